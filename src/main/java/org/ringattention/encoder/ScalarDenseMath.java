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
