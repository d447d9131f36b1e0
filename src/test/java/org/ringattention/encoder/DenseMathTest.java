package org.ringattention.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.ReferenceAttention;
import org.ringattention.attention.TokenIndex;
import org.ringattention.model.Tensor;

/** Every {@link DenseMath} against float64 loops on random shapes, tails of rows, panels and segments included. */
class DenseMathTest {

    private static List<DenseMath> variants() {
        return List.of(new ScalarDenseMath(), BertEncoder.denseMath("vector"));
    }

    @Test
    void matmulMatchesFloat64OnRandomShapes() {
        SplittableRandom rnd = new SplittableRandom(7);
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {4, 384, 48}, {64, 384, 384}, {63, 96, 100}, {7, 1536, 33}, {9, 17, 130}};
        int checked = 0;
        for (DenseMath math : variants()) {
            for (int[] shape : shapes) {
                for (boolean addTo : new boolean[] {false, true}) {
                    int rows = shape[0];
                    int in = shape[1];
                    int out = shape[2];
                    float[] w = random(rnd, out * in);
                    float[] b = random(rnd, out);
                    int ldx = in + 3;
                    int ldy = out + 5;
                    float[] x = random(rnd, rows * ldx + 2);
                    float[] y = random(rnd, rows * ldy + 4);
                    float[] before = y.clone();
                    PackedLinear p = new PackedLinear(new Tensor(new int[] {out, in}, w), new Tensor(new int[] {out}, b),
                            math.panelWidth());
                    math.matmul(x, 2, ldx, rows, p, y, 4, ldy, addTo);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < ldy; c++) {
                            int at = 4 + r * ldy + c;
                            if (c >= out) {
                                assertEquals(before[at], y[at], "wrote outside the output row");
                                continue;
                            }
                            double ref = b[c] + (addTo ? before[at] : 0);
                            for (int k = 0; k < in; k++) {
                                ref += (double) x[2 + r * ldx + k] * w[c * in + k];
                            }
                            assertEquals(ref, y[at], 1e-5 * Math.sqrt(in) * 4, math.name() + " " + rows + "x" + in + "x" + out);
                        }
                    }
                    checked++;
                }
            }
        }
        assertEquals(2 * shapes.length * 2, checked);
    }

    @Test
    void geluMatchesErfFormInFloat64() {
        int checked = 0;
        for (DenseMath math : variants()) {
            float[] x = new float[2001];
            for (int i = 0; i < x.length; i++) {
                x[i] = -10f + i * 0.01f;
            }
            float[] y = x.clone();
            math.gelu(y, 0, y.length);
            for (int i = 0; i < x.length; i++) {
                double ref = 0.5 * x[i] * (1 + erf(x[i] / Math.sqrt(2)));
                assertEquals(ref, y[i], 2e-7 * Math.max(1, Math.abs(x[i])), math.name() + " at " + x[i]);
            }
            checked++;
        }
        assertEquals(2, checked);
        assertTrue(BertEncoder.denseMath("vector").name().startsWith("vector-"));
    }

    @Test
    void layerNormMatchesFloat64() {
        SplittableRandom rnd = new SplittableRandom(3);
        int checked = 0;
        for (DenseMath math : variants()) {
            for (int n : new int[] {1, 7, 384, 1000}) {
                float[] x = random(rnd, n + 5);
                for (int i = 0; i < x.length; i++) {
                    x[i] = x[i] * 4 + 3;
                }
                float[] g = random(rnd, n);
                float[] b = random(rnd, n);
                float[] y = x.clone();
                math.layerNorm(y, 5, n, g, b, 1e-12f);
                double mean = 0;
                for (int i = 0; i < n; i++) {
                    mean += x[5 + i];
                }
                mean /= n;
                double var = 0;
                for (int i = 0; i < n; i++) {
                    var += (x[5 + i] - mean) * (x[5 + i] - mean);
                }
                var /= n;
                for (int i = 0; i < n; i++) {
                    double ref = (x[5 + i] - mean) / Math.sqrt(var + 1e-12) * g[i] + b[i];
                    assertEquals(ref, y[5 + i], 1e-5, math.name() + " n=" + n);
                }
                assertEquals(x[4], y[4], "wrote before the row");
                checked++;
            }
        }
        assertEquals(8, checked);
    }

    @Test
    void segmentAttentionMatchesFloat64ReferenceWithSegments() {
        SplittableRandom rnd = new SplittableRandom(11);
        int[] lengths = {1, 5, 16, 17, 38, 3, 130, 2};
        int rows = 0;
        for (int n : lengths) {
            rows += n;
        }
        int[] segments = new int[rows];
        int[] positions = new int[rows];
        int[] starts = new int[lengths.length];
        for (int s = 0, r = 0; s < lengths.length; s++) {
            starts[s] = r;
            for (int p = 0; p < lengths[s]; p++, r++) {
                segments[r] = s;
                positions[r] = p;
            }
        }
        TokenIndex index = new TokenIndex(positions, segments);
        int checked = 0;
        for (DenseMath math : variants()) {
            // 32 and 64 take the vector path on AVX2 and AVX-512; 24 is no multiple of either and takes the scalar loops.
            for (int headDim : new int[] {32, 64, 24}) {
                int heads = 3;
                AttentionSpec spec = AttentionSpec.of(heads, heads, headDim, false);
                float[] q = random(rnd, rows * heads * headDim);
                float[] k = random(rnd, rows * heads * headDim);
                float[] v = random(rnd, rows * heads * headDim);
                for (int i = 0; i < q.length; i++) {
                    q[i] *= 6;
                }
                double[] ref = ReferenceAttention.compute(spec, new Queries(q, index), new KeysValues(k, v, index)).out();
                float[] o = new float[q.length];
                float[] scratch = new float[math.segmentScratch(130, headDim)];
                for (int s = 0; s < lengths.length; s++) {
                    math.segmentAttention(q, k, v, o, starts[s], lengths[s], heads, headDim, spec.scale(), scratch);
                }
                for (int i = 0; i < o.length; i++) {
                    assertEquals(ref[i], o[i], 1e-5, math.name() + " D=" + headDim + " value " + i);
                }
                checked++;
            }
        }
        assertEquals(6, checked);
    }

    /** erf in float64 by its Maclaurin series (|x| < 3) and continued fraction for erfc beyond; error < 1e-13. */
    static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 3) {
            double term = a;
            double sum = a;
            for (int n = 1; n < 200; n++) {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = 0;
            for (int n = 60; n >= 1; n--) {
                f = n / 2.0 / (a + f);
            }
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
        }
        return x < 0 ? -r : r;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }
}
