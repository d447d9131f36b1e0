package org.ringattention.encoder;

/**
 * Sentence vectors from token ids, whatever computes them: {@link SentenceEmbedder} on the CPU, or the GPU
 * encoder of {@code org.ringattention.gpu}. Both follow sentence-transformers (mean of the last hidden
 * states over the sentence's tokens, L2-normalized), so callers can take either.
 */
public interface SentenceEncoder {

    /** Length of each vector (the model's hidden size). */
    int dimension();

    /** Token positions the model has: longer sentences must be fitted first ({@link SentenceEmbedder#fit}). */
    int maxPositions();

    /** Vectors {@code (n, dimension)} of sentences given as token ids already fitted to the model's positions. */
    float[] embed(int[][] ids);
}
