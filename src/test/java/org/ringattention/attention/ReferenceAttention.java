package org.ringattention.attention;

/**
 * Plain O(S^2) attention in float64: every logit materialized, softmax by the book. The yardstick
 * that every kernel is tested against; never used for real work.
 */
public final class ReferenceAttention {

    /** O {@code (rows, Hq, D)} and LSE {@code (Hq, rows)} in double; rows without a visible key give 0 and -inf. */
    public record Result(double[] out, double[] lse) {
    }

    private ReferenceAttention() {
    }

    public static Result compute(AttentionSpec spec, Queries queries, KeysValues keysValues) {
        queries.check(spec);
        keysValues.check(spec, queries.index());
        int hq = spec.queryHeads();
        int hkv = spec.kvHeads();
        int d = spec.headDim();
        int sq = queries.rows();
        int sk = keysValues.rows();
        double[] out = new double[sq * hq * d];
        double[] lse = new double[hq * sq];
        double[] logits = new double[sk];
        for (int h = 0; h < hq; h++) {
            int g = h / spec.groupSize();
            for (int i = 0; i < sq; i++) {
                lse[h * sq + i] = logits(spec, queries, keysValues, h, i, logits);
                if (lse[h * sq + i] == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                for (int j = 0; j < sk; j++) {
                    double p = Math.exp(logits[j] - lse[h * sq + i]);
                    for (int c = 0; c < d; c++) {
                        out[(i * hq + h) * d + c] += p * keysValues.v()[(j * hkv + g) * d + c];
                    }
                }
            }
        }
        return new Result(out, lse);
    }

    /** Total softmax weight each key receives, {@code sum_i P_ij}, as {@code (Hq, keys)}. */
    public static double[] attentionMass(AttentionSpec spec, Queries queries, KeysValues keysValues) {
        int hq = spec.queryHeads();
        int sq = queries.rows();
        int sk = keysValues.rows();
        double[] mass = new double[hq * sk];
        double[] logits = new double[sk];
        for (int h = 0; h < hq; h++) {
            for (int i = 0; i < sq; i++) {
                double lse = logits(spec, queries, keysValues, h, i, logits);
                for (int j = 0; j < sk && lse > Double.NEGATIVE_INFINITY; j++) {
                    mass[h * sk + j] += Math.exp(logits[j] - lse);
                }
            }
        }
        return mass;
    }

    /** Fills {@code logits} for query row {@code i} of head {@code h} (-inf where masked); returns their LSE. */
    private static double logits(AttentionSpec spec, Queries queries, KeysValues keysValues, int h, int i,
                                 double[] logits) {
        int hq = spec.queryHeads();
        int hkv = spec.kvHeads();
        int d = spec.headDim();
        int g = h / spec.groupSize();
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < keysValues.rows(); j++) {
            if (!queries.index().sees(i, keysValues.index(), j, spec.causal())) {
                logits[j] = Double.NEGATIVE_INFINITY;
                continue;
            }
            double dot = 0;
            for (int c = 0; c < d; c++) {
                dot += (double) queries.q()[(i * hq + h) * d + c] * keysValues.k()[(j * hkv + g) * d + c];
            }
            logits[j] = spec.scale() * dot;
            max = Math.max(max, logits[j]);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (int j = 0; j < keysValues.rows(); j++) {
            sum += Math.exp(logits[j] - max);
        }
        return max + Math.log(sum);
    }
}
