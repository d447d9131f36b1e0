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
        double scale = spec.scale();
        double[] out = new double[sq * hq * d];
        double[] lse = new double[hq * sq];
        double[] logits = new double[sk];
        for (int h = 0; h < hq; h++) {
            int g = h / spec.groupSize();
            for (int i = 0; i < sq; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < sk; j++) {
                    if (!queries.index().sees(i, keysValues.index(), j, spec.causal())) {
                        logits[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += (double) queries.q()[(i * hq + h) * d + c] * keysValues.k()[(j * hkv + g) * d + c];
                    }
                    logits[j] = scale * dot;
                    max = Math.max(max, logits[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    lse[h * sq + i] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double sum = 0;
                for (int j = 0; j < sk; j++) {
                    sum += Math.exp(logits[j] - max);
                }
                lse[h * sq + i] = max + Math.log(sum);
                for (int j = 0; j < sk; j++) {
                    double p = Math.exp(logits[j] - max) / sum;
                    if (p == 0) {
                        continue;
                    }
                    for (int c = 0; c < d; c++) {
                        out[(i * hq + h) * d + c] += p * keysValues.v()[(j * hkv + g) * d + c];
                    }
                }
            }
        }
        return new Result(out, lse);
    }
}
