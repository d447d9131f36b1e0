package org.ringattention.backend;

import org.ringattention.encoder.SentenceEncoder;

/**
 * A {@link SentenceEncoder} opened by {@link BackendFactory} for one task (or command) on one device;
 * closing it frees what the task used (the weights stay cached for the process).
 */
public interface EmbeddingBackend extends SentenceEncoder, AutoCloseable {

    /** Where the work runs, for logs: {@code cpu} or {@code gpu 0 (NVIDIA H200)}. */
    String description();

    @Override
    void close();
}
