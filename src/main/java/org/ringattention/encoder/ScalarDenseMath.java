package org.ringattention.encoder;

/** Plain loops: the fallback where the Vector API is absent, and the readable statement of each step. */
final class ScalarDenseMath implements DenseMath {

    /** Panels of 16 keep the inner loop's accumulators in a small stack array the JIT can unroll. */
    private static final int NR = 16;

    @Override
    public int panelWidth() {
        return NR;
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void matmul(float[] x, int xo, int ldx, int rows, PackedLinear w, float[] y, int yo, int ldy, boolean addTo) {
        float[] acc = new float[NR];
        for (int p = 0; p < w.panels; p++) {
            int c0 = p * NR;
            int cols = Math.min(NR, w.out - c0);
            int wo = p * w.in * NR;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(w.bias, c0, acc, 0, NR);
                int xr = xo + r * ldx;
                for (int k = 0; k < w.in; k++) {
                    float xk = x[xr + k];
                    int wk = wo + k * NR;
                    for (int c = 0; c < NR; c++) {
                        acc[c] += xk * w.w[wk + c];
                    }
                }
                int yr = yo + r * ldy + c0;
                for (int c = 0; c < cols; c++) {
                    y[yr + c] = addTo ? y[yr + c] + acc[c] : acc[c];
                }
            }
        }
    }

    @Override
    public void gelu(float[] x, int from, int n) {
        for (int i = from; i < from + n; i++) {
            x[i] = gelu(x[i]);
        }
    }

    static float gelu(float v) {
        float z = Math.abs(v) * INV_SQRT2;
        float t = 1f / (1f + ERF_P * z);
        float poly = t * (ERF_A1 + t * (ERF_A2 + t * (ERF_A3 + t * (ERF_A4 + t * ERF_A5))));
        float erfAbs = 1f - poly * (float) Math.exp(-z * z);
        return 0.5f * v * (1f + (v < 0f ? -erfAbs : erfAbs));
    }

    @Override
    public int segmentScratch(int n, int headDim) {
        return n;
    }

    @Override
    public void segmentAttention(float[] q, float[] k, float[] v, float[] o, int from, int n, int heads, int headDim,
                                 float scale, float[] scratch) {
        attendSegment(q, k, v, o, from, n, heads, headDim, scale, scratch);
    }

    /** One query row at a time: logits, softmax with the row's maximum subtracted, then the weighted sum of values. */
    static void attendSegment(float[] q, float[] k, float[] v, float[] o, int from, int n, int heads, int headDim,
                              float scale, float[] p) {
        int ld = heads * headDim;
        for (int h = 0; h < heads; h++) {
            int ho = h * headDim;
            for (int i = 0; i < n; i++) {
                int qi = (from + i) * ld + ho;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    int kj = (from + j) * ld + ho;
                    float s = 0f;
                    for (int c = 0; c < headDim; c++) {
                        s += q[qi + c] * k[kj + c];
                    }
                    p[j] = s * scale;
                    max = Math.max(max, p[j]);
                }
                float sum = 0f;
                for (int j = 0; j < n; j++) {
                    p[j] = (float) Math.exp(p[j] - max);
                    sum += p[j];
                }
                for (int c = 0; c < headDim; c++) {
                    float acc = 0f;
                    for (int j = 0; j < n; j++) {
                        acc += p[j] * v[(from + j) * ld + ho + c];
                    }
                    o[qi + c] = acc / sum;
                }
            }
        }
    }

    /** Moments in double: this is also the reference the vector version is tested against. */
    @Override
    public void layerNorm(float[] x, int off, int n, float[] gamma, float[] beta, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[off + i];
        }
        double mean = sum / n;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double d = x[off + i] - mean;
            sq += d * d;
        }
        double inv = 1.0 / Math.sqrt(sq / n + eps);
        for (int i = 0; i < n; i++) {
            x[off + i] = (float) ((x[off + i] - mean) * inv) * gamma[i] + beta[i];
        }
    }
}
