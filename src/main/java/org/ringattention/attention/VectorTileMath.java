package org.ringattention.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ScalarTileMath} with the JDK Vector API. The two matrix products are written as
 * broadcast-FMA over contiguous rows (keys transposed for the logits, values as they are for the
 * output), so no horizontal reduction sits in an inner loop, and register-blocked 4 rows x 2 vectors:
 * six loads feed eight FMAs. Loaded only when {@code jdk.incubator.vector} is present
 * ({@link CpuAttentionKernel#tileMath}).
 */
final class VectorTileMath implements TileMath {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    @Override
    public int columnPadding() {
        return 2 * L;
    }

    @Override
    public void logits(float[] qt, int rows, int d, float[] kT, int ldK, int j0, int cols, float[] s, int ldS) {
        // Columns are computed in whole vectors; kT is padded so reads past the last key stay in bounds
        // and the extra logits land in s's padding, never used.
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int c = 0;
            for (; c < cols; c += 2 * L) {
                FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F);
                FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F);
                FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F);
                FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F);
                int q0 = r * d;
                for (int k = 0; k < d; k++) {
                    int ko = k * ldK + j0 + c;
                    FloatVector k0 = FloatVector.fromArray(F, kT, ko);
                    FloatVector k1 = FloatVector.fromArray(F, kT, ko + L);
                    FloatVector b = FloatVector.broadcast(F, qt[q0 + k]);
                    a00 = k0.fma(b, a00);
                    a01 = k1.fma(b, a01);
                    b = FloatVector.broadcast(F, qt[q0 + d + k]);
                    a10 = k0.fma(b, a10);
                    a11 = k1.fma(b, a11);
                    b = FloatVector.broadcast(F, qt[q0 + 2 * d + k]);
                    a20 = k0.fma(b, a20);
                    a21 = k1.fma(b, a21);
                    b = FloatVector.broadcast(F, qt[q0 + 3 * d + k]);
                    a30 = k0.fma(b, a30);
                    a31 = k1.fma(b, a31);
                }
                int so = r * ldS + c;
                a00.intoArray(s, so);
                a01.intoArray(s, so + L);
                a10.intoArray(s, so + ldS);
                a11.intoArray(s, so + ldS + L);
                a20.intoArray(s, so + 2 * ldS);
                a21.intoArray(s, so + 2 * ldS + L);
                a30.intoArray(s, so + 3 * ldS);
                a31.intoArray(s, so + 3 * ldS + L);
            }
        }
        for (; r < rows; r++) {
            for (int c = 0; c < cols; c += L) {
                FloatVector a = FloatVector.zero(F);
                for (int k = 0; k < d; k++) {
                    a = FloatVector.fromArray(F, kT, k * ldK + j0 + c).fma(FloatVector.broadcast(F, qt[r * d + k]), a);
                }
                a.intoArray(s, r * ldS + c);
            }
        }
    }

    @Override
    public float max(float[] x, int from, int n) {
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + L <= n; i += L) {
            m = m.max(FloatVector.fromArray(F, x, from + i));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[from + i]);
        }
        return max;
    }

    @Override
    public float expAndSum(float[] x, int from, int n, float shift) {
        FloatVector sum = FloatVector.zero(F);
        FloatVector sh = FloatVector.broadcast(F, shift);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, from + i).sub(sh));
            e.intoArray(x, from + i);
            sum = sum.add(e);
        }
        // Lanes added in a fixed order: reduceLanes(ADD) may associate differently once intrinsified.
        sum.intoArray(x, from + n);
        float total = 0f;
        for (int lane = 0; lane < L; lane++) {
            total += x[from + n + lane];
        }
        for (; i < n; i++) {
            // Math.exp is one intrinsic for the interpreter and the compilers alike, so this is reproducible.
            x[from + i] = (float) Math.exp(x[from + i] - shift);
            total += x[from + i];
        }
        return total;
    }

    @Override
    public void scale(float[] x, int from, int n, float alpha) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector.fromArray(F, x, from + i).mul(alpha).intoArray(x, from + i);
        }
        for (; i < n; i++) {
            x[from + i] *= alpha;
        }
    }

    @Override
    public void accumulate(float[] p, int ldS, int rows, int cols, float[] v, int j0, int d, float[] acc) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int k = 0;
            for (; k + 2 * L <= d; k += 2 * L) {
                int a0 = r * d + k;
                FloatVector a00 = FloatVector.fromArray(F, acc, a0), a01 = FloatVector.fromArray(F, acc, a0 + L);
                FloatVector a10 = FloatVector.fromArray(F, acc, a0 + d), a11 = FloatVector.fromArray(F, acc, a0 + d + L);
                FloatVector a20 = FloatVector.fromArray(F, acc, a0 + 2 * d);
                FloatVector a21 = FloatVector.fromArray(F, acc, a0 + 2 * d + L);
                FloatVector a30 = FloatVector.fromArray(F, acc, a0 + 3 * d);
                FloatVector a31 = FloatVector.fromArray(F, acc, a0 + 3 * d + L);
                int po = r * ldS;
                for (int c = 0; c < cols; c++) {
                    int vo = (j0 + c) * d + k;
                    FloatVector v0 = FloatVector.fromArray(F, v, vo);
                    FloatVector v1 = FloatVector.fromArray(F, v, vo + L);
                    FloatVector b = FloatVector.broadcast(F, p[po + c]);
                    a00 = v0.fma(b, a00);
                    a01 = v1.fma(b, a01);
                    b = FloatVector.broadcast(F, p[po + ldS + c]);
                    a10 = v0.fma(b, a10);
                    a11 = v1.fma(b, a11);
                    b = FloatVector.broadcast(F, p[po + 2 * ldS + c]);
                    a20 = v0.fma(b, a20);
                    a21 = v1.fma(b, a21);
                    b = FloatVector.broadcast(F, p[po + 3 * ldS + c]);
                    a30 = v0.fma(b, a30);
                    a31 = v1.fma(b, a31);
                }
                a00.intoArray(acc, a0);
                a01.intoArray(acc, a0 + L);
                a10.intoArray(acc, a0 + d);
                a11.intoArray(acc, a0 + d + L);
                a20.intoArray(acc, a0 + 2 * d);
                a21.intoArray(acc, a0 + 2 * d + L);
                a30.intoArray(acc, a0 + 3 * d);
                a31.intoArray(acc, a0 + 3 * d + L);
            }
            for (int rr = r; rr < r + 4; rr++) {
                accumulateRow(p, rr * ldS, cols, v, j0, d, k, acc, rr * d);
            }
        }
        for (; r < rows; r++) {
            accumulateRow(p, r * ldS, cols, v, j0, d, 0, acc, r * d);
        }
    }

    /** One row, columns {@code [k0, d)} of the output: whole vectors, then a scalar tail. */
    private static void accumulateRow(float[] p, int po, int cols, float[] v, int j0, int d, int k0,
                                      float[] acc, int ao) {
        int k = k0;
        for (; k + L <= d; k += L) {
            FloatVector a = FloatVector.fromArray(F, acc, ao + k);
            for (int c = 0; c < cols; c++) {
                a = FloatVector.fromArray(F, v, (j0 + c) * d + k).fma(FloatVector.broadcast(F, p[po + c]), a);
            }
            a.intoArray(acc, ao + k);
        }
        for (; k < d; k++) {
            float a = acc[ao + k];
            for (int c = 0; c < cols; c++) {
                a += p[po + c] * v[(j0 + c) * d + k];
            }
            acc[ao + k] = a;
        }
    }
}
