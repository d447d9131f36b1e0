package org.ringattention.attention;

/**
 * Finished attention of some query rows over some set of keys: O {@code (rows, Hq, D)} and the
 * log-sum-exp of the scaled logits, LSE {@code (Hq, rows)}, natural log. Two results for the same
 * queries over disjoint key sets merge exactly into the result over their union ({@link #merge}),
 * which is what lets blocks, ring steps and devices compute pieces independently.
 */
public record AttentionResult(AttentionSpec spec, int rows, float[] out, float[] lse) {

    public AttentionResult {
        if (out.length != rows * spec.queryRowWidth() || lse.length != rows * spec.queryHeads()) {
            throw new IllegalArgumentException("O has " + out.length + " and LSE " + lse.length
                    + " values; " + rows + " rows of " + spec + " need " + rows * spec.queryRowWidth()
                    + " and " + rows * spec.queryHeads());
        }
    }

    /**
     * The result over the union of both key sets (the online softmax rescaling of Milakov & Gimelshein, arXiv 1805.02867):
     * {@code L = max + ln(exp(L1 - max) + exp(L2 - max))}, {@code O = exp(L1 - L) O1 + exp(L2 - L) O2},
     * evaluated in double. A side with {@code LSE = -inf} (no visible key) contributes nothing; both
     * empty stays {@code O = 0, LSE = -inf}.
     */
    public AttentionResult merge(AttentionResult other) {
        if (!spec.equals(other.spec) || rows != other.rows) {
            throw new IllegalArgumentException("cannot merge results of different queries: " + rows + " rows of "
                    + spec + " and " + other.rows + " rows of " + other.spec);
        }
        int hq = spec.queryHeads();
        int d = spec.headDim();
        float[] o = new float[out.length];
        float[] l = new float[lse.length];
        for (int h = 0; h < hq; h++) {
            for (int i = 0; i < rows; i++) {
                int s = h * rows + i;
                double l1 = lse[s];
                double l2 = other.lse[s];
                double max = Math.max(l1, l2);
                if (max == Double.NEGATIVE_INFINITY) {
                    l[s] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                double merged = max + Math.log(Math.exp(l1 - max) + Math.exp(l2 - max));
                double w1 = Math.exp(l1 - merged);
                double w2 = Math.exp(l2 - merged);
                l[s] = (float) merged;
                int base = (i * hq + h) * d;
                for (int c = 0; c < d; c++) {
                    o[base + c] = (float) (w1 * out[base + c] + w2 * other.out[base + c]);
                }
            }
        }
        return new AttentionResult(spec, rows, o, l);
    }
}
