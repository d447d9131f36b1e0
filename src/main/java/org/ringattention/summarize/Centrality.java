package org.ringattention.summarize;

import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.backend.Backend;

/**
 * Sentence centrality by exact attention among a document's sentences. With unit sentence vectors
 * {@code e_i} as queries, keys and values and logits {@code e_i . e_j / temperature}:
 * <ol>
 *   <li>first pass: context vectors {@code O_i = sum_j P_ij e_j} and {@code LSE_i};</li>
 *   <li>second pass: the attention each sentence receives from the others,
 *       {@code c_j = sum_{i != j} P_ij = mass_j - P_jj} with {@code P_ij = exp(s_ij - LSE_i)}.</li>
 * </ol>
 * A sentence's attention to itself is left out: with unit vectors it is the largest logit of every
 * row and would give every sentence about the same score in short documents.
 */
public final class Centrality {

    /** Context vectors {@code (N, D)} and centrality {@code (N)} of one document. */
    public record Scores(float[] context, double[] centrality) {
    }

    private Centrality() {
    }

    public static AttentionSpec spec(int dimension, double temperature) {
        return new AttentionSpec(1, 1, dimension, (float) (1.0 / temperature), false);
    }

    /** Both passes for {@code n} sentence vectors of dimension {@code d} (row-major in {@code e}). */
    public static Scores of(float[] e, int n, int d, double temperature, Backend backend) {
        AttentionSpec spec = spec(d, temperature);
        TokenIndex index = TokenIndex.contiguous(0, n, null);
        Queries q = new Queries(e, index);
        KeysValues kv = new KeysValues(e, e, index);
        AttentionResult first = backend.attention().attend(spec, q, kv);
        float[] mass = backend.attentionMass(spec, q, first.lse(), kv);
        return new Scores(first.out(), withoutSelf(mass, e, first.lse(), n, d, spec.scale()));
    }

    /** {@code mass_j - P_jj}, the self term recomputed in double from the same LSE. */
    static double[] withoutSelf(float[] mass, float[] e, float[] lse, int n, int d, float scale) {
        double[] c = new double[n];
        for (int j = 0; j < n; j++) {
            double self = 0;
            for (int k = 0; k < d; k++) {
                self += (double) e[j * d + k] * e[j * d + k];
            }
            c[j] = Math.max(0, mass[j] - Math.exp(scale * self - lse[j]));
        }
        return c;
    }
}
