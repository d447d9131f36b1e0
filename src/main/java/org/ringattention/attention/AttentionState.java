package org.ringattention.attention;

import java.util.Arrays;

/**
 * The running online-softmax state of a block of query rows (BPT Algorithm 1, Liu & Abbeel, arXiv 2305.19370):
 * per (row, head) an unnormalized output {@code acc[D]}, the running maximum logit {@code m} and the
 * running sum {@code l} of {@code exp(s - m)}. Key/value blocks are folded in by an
 * {@link AttentionKernel} in any number of calls; {@link #finish()} turns it into O and LSE.
 *
 * <p>Layouts: {@code acc} is {@code (rows, Hq, D)} like Q; {@code m} and {@code l} are {@code (Hq, rows)}
 * like LSE. Kept in float32 whatever the input precision: partials carried in lower precision drift
 * with ring size.
 */
public final class AttentionState {

    private final AttentionSpec spec;
    private final int rows;
    final float[] acc;
    final float[] m;
    final float[] l;

    private AttentionState(AttentionSpec spec, int rows, float[] acc, float[] m, float[] l) {
        this.spec = spec;
        this.rows = rows;
        this.acc = acc;
        this.m = m;
        this.l = l;
    }

    /** The state of rows that have seen no key yet: {@code m = -inf}, {@code l = 0}, {@code acc = 0}. */
    public static AttentionState empty(AttentionSpec spec, int rows) {
        float[] m = new float[spec.queryHeads() * rows];
        Arrays.fill(m, Float.NEGATIVE_INFINITY);
        return new AttentionState(spec, rows, new float[rows * spec.queryRowWidth()], m,
                new float[spec.queryHeads() * rows]);
    }

    /** Rebuilds a state from its three arrays (as stored between ring steps); they are used, not copied. */
    public static AttentionState of(AttentionSpec spec, int rows, float[] acc, float[] m, float[] l) {
        if (acc.length != rows * spec.queryRowWidth() || m.length != spec.queryHeads() * rows
                || l.length != m.length) {
            throw new IllegalArgumentException("state arrays do not match " + rows + " rows of " + spec);
        }
        return new AttentionState(spec, rows, acc, m, l);
    }

    public AttentionSpec spec() {
        return spec;
    }

    public int rows() {
        return rows;
    }

    /** Unnormalized outputs, {@code (rows, Hq, D)}; the live array. */
    public float[] acc() {
        return acc;
    }

    /** Running maxima, {@code (Hq, rows)}; the live array. */
    public float[] m() {
        return m;
    }

    /** Running sums, {@code (Hq, rows)}; the live array. */
    public float[] l() {
        return l;
    }

    /**
     * {@code O = acc / l} and {@code LSE = m + ln l}. A row that saw no visible key gets {@code O = 0} and
     * {@code LSE = -inf}, never NaN.
     */
    public AttentionResult finish() {
        int hq = spec.queryHeads();
        int d = spec.headDim();
        float[] out = new float[acc.length];
        float[] lse = new float[m.length];
        for (int h = 0; h < hq; h++) {
            for (int i = 0; i < rows; i++) {
                int s = h * rows + i;
                if (l[s] == 0f) {
                    lse[s] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                lse[s] = (float) (m[s] + Math.log(l[s]));
                float inv = 1f / l[s];
                int base = (i * hq + h) * d;
                for (int c = 0; c < d; c++) {
                    out[base + c] = acc[base + c] * inv;
                }
            }
        }
        return new AttentionResult(spec, rows, out, lse);
    }
}
