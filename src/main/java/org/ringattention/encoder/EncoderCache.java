package org.ringattention.encoder;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.ringattention.model.BertCheckpoint;
import org.ringattention.model.BertWeights;

/**
 * Encoders loaded in this JVM, by model name: the one per-executor cache of the project's Spark jobs.
 * Weights are read-only and the encoder's steps allocate their own scratch, so every task of an
 * executor shares one copy instead of loading the model (about 90 MB for MiniLM) per task.
 */
public final class EncoderCache {

    private static final Map<String, BertEncoder> ENCODERS = new ConcurrentHashMap<>();

    private EncoderCache() {
    }

    /**
     * The single-threaded encoder of {@code model}: empty for the bundled all-MiniLM-L6-v2, else a model
     * directory or file as {@link BertCheckpoint#load} takes it. Spark runs one task per core, so the
     * encoder itself uses one thread.
     */
    public static BertEncoder get(String model) {
        return ENCODERS.computeIfAbsent(model, m -> {
            BertWeights weights = m.isEmpty() ? BertCheckpoint.bundledMiniLm() : BertCheckpoint.load(Path.of(m));
            return BertEncoder.create(weights, BertEncoder.DEFAULT_BLOCK_SIZE, 1);
        });
    }
}
