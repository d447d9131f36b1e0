package org.ringattention.attention;

/**
 * The arithmetic of one (query tile, key tile) pair, on packed tiles. {@link CpuAttentionKernel} owns
 * tiling, masking, threading and the online-softmax bookkeeping; implementations of this interface
 * only make the inner loops fast, so a scalar and a Vector API version can be compared line by line.
 *
 * <p>Packed layouts: a query tile {@code qt} is {@code [rows][D]}; keys are transposed per head,
 * {@code kT[D][ldK]}; values per head are {@code v[keys][D]}; logits {@code s[rows][ldS]}.
 */
interface TileMath {

    /** Columns the key layout must be padded by, so that {@link #logits} may read past the last key. */
    int columnPadding();

    /** {@code s[r][c] = sum_d qt[r][d] * kT[d][j0 + c]} for {@code r < rows, c < cols}. */
    void logits(float[] qt, int rows, int d, float[] kT, int ldK, int j0, int cols, float[] s, int ldS);

    /** Largest of {@code x[from, from + n)}. */
    float max(float[] x, int from, int n);

    /**
     * {@code x = exp(x - shift)} over {@code x[from, from + n)}, returning the sum of the new values; the
     * same inputs give the same bits however far the JIT has compiled it (ring retries rely on it). May
     * use the {@link #columnPadding()} floats after {@code x[from + n)} as scratch.
     */
    float expAndSum(float[] x, int from, int n, float shift);

    /** {@code x *= alpha} over {@code x[from, from + n)}. */
    void scale(float[] x, int from, int n, float alpha);

    /** {@code acc[r][:] += sum_c p[r][c] * v[j0 + c][:]} for {@code r < rows, c < cols}; rows of {@code acc} are D long. */
    void accumulate(float[] p, int ldS, int rows, int cols, float[] v, int j0, int d, float[] acc);
}
