package org.ringattention.backend;

import java.util.function.LongConsumer;
import org.ringattention.encoder.SentenceEncoder;

/**
 * A {@link SentenceEncoder} opened by {@link BackendFactory} for one task (or command) on one device;
 * closing it frees what the task used (the weights stay cached for the process).
 */
public interface EmbeddingBackend extends SentenceEncoder, AutoCloseable {

    /**
     * {@link #embed(int[][])}, telling {@code sentencesDone} how many sentences are done as it goes (at
     * least once, at the end), for a command's progress lines.
     */
    default float[] embed(int[][] ids, LongConsumer sentencesDone) {
        float[] e = embed(ids);
        sentencesDone.accept(ids.length);
        return e;
    }

    /** Where the work runs, for logs: {@code cpu} or {@code gpu 0 (NVIDIA H200)}. */
    String description();

    @Override
    void close();
}
