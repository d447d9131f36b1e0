package org.ringattention.attention;

/** Plain loops: the fallback where the Vector API is absent, and the readable statement of each step. */
final class ScalarTileMath implements TileMath {

    @Override
    public int columnPadding() {
        return 0;
    }

    @Override
    public void logits(float[] qt, int rows, int d, float[] kT, int ldK, int j0, int cols, float[] s, int ldS) {
        for (int r = 0; r < rows; r++) {
            int so = r * ldS;
            java.util.Arrays.fill(s, so, so + cols, 0f);
            for (int k = 0; k < d; k++) {
                float q = qt[r * d + k];
                int ko = k * ldK + j0;
                for (int c = 0; c < cols; c++) {
                    s[so + c] += q * kT[ko + c];
                }
            }
        }
    }

    @Override
    public float max(float[] x, int from, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            max = Math.max(max, x[i]);
        }
        return max;
    }

    @Override
    public float expAndSum(float[] x, int from, int n, float shift) {
        float sum = 0f;
        for (int i = from; i < from + n; i++) {
            x[i] = (float) Math.exp(x[i] - shift);
            sum += x[i];
        }
        return sum;
    }

    @Override
    public void scale(float[] x, int from, int n, float alpha) {
        for (int i = from; i < from + n; i++) {
            x[i] *= alpha;
        }
    }

    @Override
    public void accumulate(float[] p, int ldS, int rows, int cols, float[] v, int j0, int d, float[] acc) {
        for (int r = 0; r < rows; r++) {
            int ao = r * d;
            for (int c = 0; c < cols; c++) {
                float w = p[r * ldS + c];
                if (w == 0f) {
                    continue;
                }
                int vo = (j0 + c) * d;
                for (int k = 0; k < d; k++) {
                    acc[ao + k] += w * v[vo + k];
                }
            }
        }
    }
}
