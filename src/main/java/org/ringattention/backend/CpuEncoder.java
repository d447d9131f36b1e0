package org.ringattention.backend;

import java.util.concurrent.ExecutorService;
import java.util.function.LongConsumer;
import org.ringattention.encoder.EncoderCache;
import org.ringattention.encoder.SentenceEmbedder;

/**
 * The CPU sentence encoder as an {@link EmbeddingBackend}: {@link SentenceEmbedder} over the process's
 * cached encoder ({@link EncoderCache}), its passes run either on a pool shared by every caller of the
 * process (a Spark executor's tasks) or on threads of the call's own (a command's {@code --threads}).
 * Each pass is computed by one thread, so the vectors do not depend on which.
 */
final class CpuEncoder implements EmbeddingBackend {

    /** Where the passes run: a shared pool, or a number of threads for each call. */
    record Threads(ExecutorService pool, int count) {
    }

    static Threads pool(ExecutorService pool) {
        return new Threads(pool, 0);
    }

    static Threads threads(int count) {
        return new Threads(null, count);
    }

    private final SentenceEmbedder embedder;
    private final Threads threads;

    private CpuEncoder(SentenceEmbedder embedder, Threads threads) {
        this.embedder = embedder;
        this.threads = threads;
    }

    /** {@code model} as {@link EncoderCache#get} takes it, {@code passTokens} tokens per encoder pass. */
    static CpuEncoder open(String model, int passTokens, Threads threads) {
        return new CpuEncoder(threads.pool() != null
                ? new SentenceEmbedder(EncoderCache.get(model), passTokens, threads.pool())
                : new SentenceEmbedder(EncoderCache.get(model), passTokens), threads);
    }

    @Override
    public int dimension() {
        return embedder.dimension();
    }

    @Override
    public int maxPositions() {
        return embedder.maxPositions();
    }

    @Override
    public float[] embed(int[][] ids) {
        return embed(ids, done -> { });
    }

    @Override
    public float[] embed(int[][] ids, LongConsumer sentencesDone) {
        if (threads.pool() != null) {
            return embedder.embed(ids, sentencesDone);
        }
        return embedder.embed(ids, threads.count(), sentencesDone);
    }

    @Override
    public String description() {
        return "cpu";
    }

    @Override
    public void close() {
        // The encoder is the process's (EncoderCache); a shared pool outlives every caller.
    }
}
