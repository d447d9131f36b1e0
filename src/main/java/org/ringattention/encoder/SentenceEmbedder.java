package org.ringattention.encoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.ringattention.attention.TokenIndex;
import org.ringattention.attention.WorkerPool;
import org.ringattention.io.BadInputException;

/**
 * Sentence embeddings as sentence-transformers defines them for all-MiniLM-L6-v2: the mean of the last
 * hidden states over the sentence's tokens, then L2 normalization. Sentences are packed, in order, into
 * encoder passes of at most {@code maxTokensPerPass} tokens, one segment each, so no padding is computed
 * and no sentence sees another.
 */
public final class SentenceEmbedder implements SentenceEncoder {

    /** Tokens per encoder pass by default: 16 blocks of 64 rows; a pass's Q, K, V and hidden states take 6 MB for MiniLM. */
    public static final int DEFAULT_PASS_TOKENS = 1024;

    /** What to do with a sentence longer than the model's positions. */
    public enum Overlong { TRUNCATE, REFUSE }

    private final BertEncoder encoder;
    private final SequenceAttention attention;
    private final int maxTokensPerPass;
    private final ExecutorService workers;

    /** Sentences attend through the encoder's own {@link BertEncoder#segmentAttention}: each over itself only. */
    public SentenceEmbedder(BertEncoder encoder, int maxTokensPerPass) {
        this(encoder, encoder.segmentAttention(), maxTokensPerPass, null);
    }

    /**
     * As {@link #SentenceEmbedder(BertEncoder, int)}, with {@link #embed(int[][])}'s passes run on
     * {@code workers}, a pool shared by every caller of the process: a long document's passes then spread
     * over the threads that shorter documents have left, and the process never runs more encoder threads
     * than the pool has. Each pass is computed by one thread, so the result does not depend on the pool.
     */
    public SentenceEmbedder(BertEncoder encoder, int maxTokensPerPass, ExecutorService workers) {
        this(encoder, encoder.segmentAttention(), maxTokensPerPass, workers);
    }

    /**
     * Sentences attend through {@code attention}, which sees the packed pass with one segment per sentence:
     * for tests that compare another attention with the encoder's own segment attention.
     */
    SentenceEmbedder(BertEncoder encoder, SequenceAttention attention, int maxTokensPerPass) {
        this(encoder, attention, maxTokensPerPass, null);
    }

    private SentenceEmbedder(BertEncoder encoder, SequenceAttention attention, int maxTokensPerPass,
                             ExecutorService workers) {
        if (maxTokensPerPass < 1) {
            throw new IllegalArgumentException("tokens per pass must be at least 1, got " + maxTokensPerPass);
        }
        this.encoder = encoder;
        this.attention = attention;
        this.maxTokensPerPass = maxTokensPerPass;
        this.workers = workers;
    }

    @Override
    public int dimension() {
        return encoder.config().hiddenSize();
    }

    @Override
    public int maxPositions() {
        return encoder.config().maxPositions();
    }

    /**
     * Fits each sentence's ids to {@code maxPositions} in place, returning how many were too long. Truncation
     * keeps the first {@code maxPositions - 1} tokens and the final one (the {@code [SEP]} that closes the
     * sentence), as Hugging Face truncation does for {@code [CLS] A [SEP]}. With {@link Overlong#REFUSE} a
     * long sentence is an error naming its number ({@code firstNumber} + index), never its text.
     */
    public static int fit(int[][] ids, int maxPositions, Overlong policy, long firstNumber) {
        int truncated = 0;
        for (int i = 0; i < ids.length; i++) {
            int[] s = ids[i];
            if (s.length <= maxPositions) {
                continue;
            }
            if (policy == Overlong.REFUSE) {
                throw new BadInputException("sentence " + (firstNumber + i) + " has " + s.length + " tokens; the model"
                        + " takes at most " + maxPositions + ": shorten it, or allow truncation");
            }
            int[] t = Arrays.copyOf(s, maxPositions);
            t[maxPositions - 1] = s[s.length - 1];
            ids[i] = t;
            truncated++;
        }
        return truncated;
    }

    /** Embeddings {@code (n, hidden)} of sentences given as token ids (already fitted), row i for sentence i. */
    @Override
    public float[] embed(int[][] ids) {
        return embed(ids, done -> { });
    }

    /**
     * {@link #embed(int[][])}, telling {@code sentencesDone} after each pass how many sentences are done
     * (from the thread that ran the pass; passes may end out of order, so a count may follow a larger one).
     */
    public float[] embed(int[][] ids, LongConsumer sentencesDone) {
        int h = dimension();
        float[] out = new float[ids.length * h];
        AtomicLong done = new AtomicLong();
        forEachPass(ids, (first, count, hidden) -> {
            poolRows(ids, first, count, hidden, h, out);
            sentencesDone.accept(done.addAndGet(count));
        });
        return out;
    }

    /** Sentences {@code [first, first + count)} of one pass's hidden states, pooled into their rows of out. */
    private static void poolRows(int[][] ids, int first, int count, float[] hidden, int h, float[] out) {
        int row = 0;
        for (int i = 0; i < count; i++) {
            pool(hidden, row, ids[first + i].length, h, out, (first + i) * h);
            row += ids[first + i].length;
        }
    }

    /** Last hidden states of each sentence, {@code (tokens, hidden)}: what tests compare with ONNX Runtime. */
    float[][] lastHiddenStates(int[][] ids) {
        int h = dimension();
        float[][] out = new float[ids.length][];
        forEachPass(ids, (first, count, hidden) -> {
            int row = 0;
            for (int i = 0; i < count; i++) {
                int n = ids[first + i].length;
                out[first + i] = Arrays.copyOfRange(hidden, row * h, (row + n) * h);
                row += n;
            }
        });
        return out;
    }

    @FunctionalInterface
    private interface PassResult {
        void accept(int first, int count, float[] hidden);
    }

    /**
     * Runs every pass, on the calling thread or on {@code workers}; {@code result} is told of disjoint
     * sentence ranges.
     */
    private void forEachPass(int[][] ids, PassResult result) {
        List<int[]> passes = passes(ids);
        if (workers == null || passes.size() < 2) {
            for (int[] pass : passes) {
                run(ids, pass, result);
            }
            return;
        }
        List<Future<?>> running = new ArrayList<>(passes.size());
        try {
            for (int[] pass : passes) {
                running.add(workers.submit(() -> run(ids, pass, result)));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while encoding");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            for (Future<?> f : running) {
                f.cancel(false);
            }
        }
    }

    private void run(int[][] ids, int[] pass, PassResult result) {
        int tokens = 0;
        for (int i = pass[0]; i < pass[1]; i++) {
            tokens += ids[i].length;
        }
        result.accept(pass[0], pass[1] - pass[0], encoder.forward(pack(ids, pass[0], pass[1], tokens), attention));
    }

    /** Consecutive sentence ranges {@code [from, to)} of at most {@code maxTokensPerPass} tokens (or one sentence). */
    private List<int[]> passes(int[][] ids) {
        for (int s = 0; s < ids.length; s++) {
            if (ids[s].length == 0) {
                throw new IllegalArgumentException("sentence " + s + " has no tokens; tokenize with special tokens,"
                        + " which gives even an empty line [CLS] [SEP]");
            }
        }
        List<int[]> passes = new ArrayList<>();
        int i = 0;
        while (i < ids.length) {
            int first = i;
            int tokens = ids[i++].length;
            while (i < ids.length && tokens + ids[i].length <= maxTokensPerPass) {
                tokens += ids[i++].length;
            }
            passes.add(new int[] {first, i});
        }
        return passes;
    }

    /** Sentences {@code [from, to)} as one sequence: segment = sentence, positions from 0 in each. */
    static TokenSequence pack(int[][] ids, int from, int to, int tokens) {
        int[] tokenIds = new int[tokens];
        int[] positions = new int[tokens];
        int[] segments = new int[tokens];
        int r = 0;
        for (int s = from; s < to; s++) {
            for (int p = 0; p < ids[s].length; p++, r++) {
                tokenIds[r] = ids[s][p];
                positions[r] = p;
                segments[r] = s - from;
            }
        }
        return new TokenSequence(tokenIds, new int[tokens], new TokenIndex(positions, segments));
    }

    /** Mean of {@code n} rows from {@code row}, L2-normalized (sentence-transformers: eps 1e-12), in double. */
    static void pool(float[] hidden, int row, int n, int h, float[] out, int at) {
        double[] mean = new double[h];
        for (int r = row; r < row + n; r++) {
            for (int c = 0; c < h; c++) {
                mean[c] += hidden[r * h + c];
            }
        }
        double norm = 0;
        for (int c = 0; c < h; c++) {
            mean[c] /= n;
            norm += mean[c] * mean[c];
        }
        double scale = 1.0 / Math.max(Math.sqrt(norm), 1e-12);
        for (int c = 0; c < h; c++) {
            out[at + c] = (float) (mean[c] * scale);
        }
    }

    /**
     * {@link #embed(int[][])} on {@code threads} threads of its own, the caller included ({@link WorkerPool}:
     * each pass on one thread, so the encoder and attention kernel given to this embedder should be
     * single-threaded). Row i is sentence i whatever the thread count; {@code progress} is told after each
     * pass how many sentences are done.
     */
    public float[] embed(int[][] ids, int threads, LongConsumer progress) {
        List<int[]> passes = passes(ids);
        int h = dimension();
        float[] out = new float[ids.length * h];
        AtomicLong done = new AtomicLong();
        try (WorkerPool pool = new WorkerPool(threads)) {
            pool.run(passes.size(), () -> null, (p, unused) -> run(ids, passes.get(p), (first, count, hidden) -> {
                poolRows(ids, first, count, hidden, h, out);
                progress.accept(done.addAndGet(count));
            }));
        }
        return out;
    }
}
