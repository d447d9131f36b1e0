package org.ringattention.selection;

import java.util.List;

/**
 * What every selection method sees of one document: its sentences in order, each sentence's section,
 * fragment flag and purpose flag (it states what the document is about), the unit sentence vectors
 * (row-major {@code (N, dimension)}) and the attention centrality of each sentence. Only non-fragment
 * sentences are {@link #candidates()}.
 */
public record Document(List<String> sentences, int[] sections, boolean[] fragments, boolean[] purpose,
                       float[] vectors, int dimension, double[] centrality) {

    public Document {
        int n = sentences.size();
        if (sections.length != n || fragments.length != n || purpose.length != n || centrality.length != n
                || (long) n * dimension != vectors.length) {
            throw new IllegalStateException("document of " + n + " sentences has " + sections.length + " sections, "
                    + fragments.length + " fragment flags, " + centrality.length + " scores and "
                    + vectors.length + " vector values for dimension " + dimension);
        }
    }

    /** A document that marks no sentence as stating its purpose. */
    public Document(List<String> sentences, int[] sections, boolean[] fragments, float[] vectors, int dimension,
                    double[] centrality) {
        this(sentences, sections, fragments, new boolean[sentences.size()], vectors, dimension, centrality);
    }

    public int size() {
        return sentences.size();
    }

    /** Indices of the sentences a summary may hold, in document order. */
    public int[] candidates() {
        int count = 0;
        for (boolean f : fragments) {
            if (!f) {
                count++;
            }
        }
        int[] c = new int[count];
        for (int i = 0, k = 0; i < fragments.length; i++) {
            if (!fragments[i]) {
                c[k++] = i;
            }
        }
        return c;
    }

    /** Words of sentence {@code i} as a {@link Budget} counts them. */
    public int words(int i) {
        return Budget.words(sentences.get(i));
    }

    /** Cosine similarity of sentences {@code i} and {@code j} (the vectors are unit length). */
    public double cosine(int i, int j) {
        double dot = 0;
        int a = i * dimension;
        int b = j * dimension;
        for (int k = 0; k < dimension; k++) {
            dot += (double) vectors[a + k] * vectors[b + k];
        }
        return dot;
    }
}
