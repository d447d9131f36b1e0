package org.ringattention.encoder;

/**
 * The dense arithmetic of an encoder layer: projections (matrix times packed weights plus bias), the
 * GELU activation and LayerNorm. {@link BertEncoder} owns blocking, residuals and threads; implementations only
 * make these loops fast, so the scalar and Vector API versions can be read side by side.
 */
interface DenseMath {

    /** Columns per weight panel that {@link PackedLinear} must use for this implementation. */
    int panelWidth();

    /**
     * {@code y[r][c] (+)= bias[c] + sum_k x[r][k] * W[k][c]} for {@code r < rows, c < w.out()}, where row
     * {@code r} of x starts at {@code xo + r * ldx} and of y at {@code yo + r * ldy}. With {@code addTo}
     * the product is added to y (a residual already there), otherwise y is overwritten.
     */
    void matmul(float[] x, int xo, int ldx, int rows, PackedLinear w, float[] y, int yo, int ldy, boolean addTo);

    /** {@code x = GELU(x) = x/2 * (1 + erf(x / sqrt 2))} over {@code x[from, from + n)}. */
    void gelu(float[] x, int from, int n);

    /**
     * {@code x = (x - mean) / sqrt(var + eps) * gamma + beta} over the {@code n} values of one row from
     * {@code off} (Ba et al., LayerNorm; population variance, as PyTorch).
     */
    void layerNorm(float[] x, int off, int n, float[] gamma, float[] beta, float eps);

    /**
     * Attention of one segment's rows over themselves, not causal, every head: for rows i, j of
     * {@code [from, from + n)}, {@code o_i = sum_j softmax_j(scale q_i . k_j) v_j}. q, k, v and o are
     * {@code (rows, heads, headDim)}, rows {@code heads * headDim} apart; {@code scratch} holds at least
     * {@link #segmentScratch} floats. A segment sees only itself, so this is the whole of a packed
     * sentence's attention, with no masked logits computed.
     */
    void segmentAttention(float[] q, float[] k, float[] v, float[] o, int from, int n, int heads, int headDim,
                          float scale, float[] scratch);

    /** Scratch floats {@link #segmentAttention} needs for a segment of {@code n} rows. */
    int segmentScratch(int n, int headDim);

    /** A short name for logs and benchmark lines. */
    String name();

    /**
     * erf(x) by Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7 (the float32 resolution near 1):
     * {@code 1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-x^2)}, {@code t = 1 / (1 + p |x|)}, odd in x.
     * Both implementations evaluate this same formula.
     */
    float ERF_P = 0.3275911f;
    float ERF_A1 = 0.254829592f;
    float ERF_A2 = -0.284496736f;
    float ERF_A3 = 1.421413741f;
    float ERF_A4 = -1.453152027f;
    float ERF_A5 = 1.061405429f;
    float INV_SQRT2 = 0.70710678118654752f;
}
