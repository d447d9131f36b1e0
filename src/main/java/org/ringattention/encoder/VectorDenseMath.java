package org.ringattention.encoder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.ringattention.attention.VectorMath;

/**
 * {@link ScalarDenseMath} with the JDK Vector API. The product is a register-blocked micro-kernel over
 * packed weight panels three vectors wide: four rows of x times one panel, twelve accumulators, each k
 * step three contiguous weight loads and four broadcasts feeding twelve FMAs, no horizontal reduction.
 * Twelve accumulators plus four operands fit the sixteen registers of AVX2 as well as AVX-512's
 * thirty-two, and four rows divide the usual 64-row block.
 * Loaded by name only when {@code jdk.incubator.vector} is present ({@link BertEncoder#denseMath}).
 */
final class VectorDenseMath implements DenseMath {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final int NR = 3 * L;
    private static final int MR = 4;

    @Override
    public int panelWidth() {
        return NR;
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    @Override
    public void matmul(float[] x, int xo, int ldx, int rows, PackedLinear w, float[] y, int yo, int ldy, boolean addTo) {
        if (w.nr != NR) {
            throw new IllegalArgumentException("weights packed in panels of " + w.nr + " columns; this kernel needs " + NR);
        }
        // A last panel narrower than NR is computed into a full-width scratch and copied: masked vector
        // stores are not intrinsified everywhere in JDK 17, and one non-intrinsified path makes C2 box
        // the accumulators of the whole kernel (a tenfold slowdown).
        float[] tail = w.out % NR == 0 ? null : new float[MR * NR];
        for (int p = 0; p < w.panels; p++) {
            int c0 = p * NR;
            int cols = Math.min(NR, w.out - c0);
            int r = 0;
            for (; r + MR <= rows; r += MR) {
                if (cols == NR) {
                    kernel4(x, xo + r * ldx, ldx, w, p, y, yo + r * ldy + c0, ldy, addTo);
                } else {
                    kernel4(x, xo + r * ldx, ldx, w, p, tail, 0, NR, false);
                    merge(tail, MR, cols, y, yo + r * ldy + c0, ldy, addTo);
                }
            }
            for (; r < rows; r++) {
                if (cols == NR) {
                    kernel1(x, xo + r * ldx, w, p, y, yo + r * ldy + c0, addTo);
                } else {
                    kernel1(x, xo + r * ldx, w, p, tail, 0, false);
                    merge(tail, 1, cols, y, yo + r * ldy + c0, ldy, addTo);
                }
            }
        }
    }

    private static void merge(float[] tail, int rows, int cols, float[] y, int y0, int ldy, boolean addTo) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                y[y0 + r * ldy + c] = addTo ? y[y0 + r * ldy + c] + tail[r * NR + c] : tail[r * NR + c];
            }
        }
    }

    private static void kernel4(float[] x, int x0, int ldx, PackedLinear w, int p, float[] y, int y0, int ldy,
                                boolean addTo) {
        int in = w.in;
        float[] pw = w.w;
        int wo = p * in * NR;
        FloatVector b0 = FloatVector.fromArray(F, w.bias, p * NR);
        FloatVector b1 = FloatVector.fromArray(F, w.bias, p * NR + L);
        FloatVector b2 = FloatVector.fromArray(F, w.bias, p * NR + 2 * L);
        FloatVector a00 = b0, a01 = b1, a02 = b2, a10 = b0, a11 = b1, a12 = b2;
        FloatVector a20 = b0, a21 = b1, a22 = b2, a30 = b0, a31 = b1, a32 = b2;
        int x1 = x0 + ldx;
        int x2 = x1 + ldx;
        int x3 = x2 + ldx;
        for (int k = 0; k < in; k++) {
            int wk = wo + k * NR;
            FloatVector w0 = FloatVector.fromArray(F, pw, wk);
            FloatVector w1 = FloatVector.fromArray(F, pw, wk + L);
            FloatVector w2 = FloatVector.fromArray(F, pw, wk + 2 * L);
            FloatVector v = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(v, a00);
            a01 = w1.fma(v, a01);
            a02 = w2.fma(v, a02);
            v = FloatVector.broadcast(F, x[x1 + k]);
            a10 = w0.fma(v, a10);
            a11 = w1.fma(v, a11);
            a12 = w2.fma(v, a12);
            v = FloatVector.broadcast(F, x[x2 + k]);
            a20 = w0.fma(v, a20);
            a21 = w1.fma(v, a21);
            a22 = w2.fma(v, a22);
            v = FloatVector.broadcast(F, x[x3 + k]);
            a30 = w0.fma(v, a30);
            a31 = w1.fma(v, a31);
            a32 = w2.fma(v, a32);
        }
        if (addTo) {
            a00 = a00.add(FloatVector.fromArray(F, y, y0));
            a01 = a01.add(FloatVector.fromArray(F, y, y0 + L));
            a02 = a02.add(FloatVector.fromArray(F, y, y0 + 2 * L));
            a10 = a10.add(FloatVector.fromArray(F, y, y0 + ldy));
            a11 = a11.add(FloatVector.fromArray(F, y, y0 + ldy + L));
            a12 = a12.add(FloatVector.fromArray(F, y, y0 + ldy + 2 * L));
            a20 = a20.add(FloatVector.fromArray(F, y, y0 + 2 * ldy));
            a21 = a21.add(FloatVector.fromArray(F, y, y0 + 2 * ldy + L));
            a22 = a22.add(FloatVector.fromArray(F, y, y0 + 2 * ldy + 2 * L));
            a30 = a30.add(FloatVector.fromArray(F, y, y0 + 3 * ldy));
            a31 = a31.add(FloatVector.fromArray(F, y, y0 + 3 * ldy + L));
            a32 = a32.add(FloatVector.fromArray(F, y, y0 + 3 * ldy + 2 * L));
        }
        a00.intoArray(y, y0);
        a01.intoArray(y, y0 + L);
        a02.intoArray(y, y0 + 2 * L);
        a10.intoArray(y, y0 + ldy);
        a11.intoArray(y, y0 + ldy + L);
        a12.intoArray(y, y0 + ldy + 2 * L);
        a20.intoArray(y, y0 + 2 * ldy);
        a21.intoArray(y, y0 + 2 * ldy + L);
        a22.intoArray(y, y0 + 2 * ldy + 2 * L);
        a30.intoArray(y, y0 + 3 * ldy);
        a31.intoArray(y, y0 + 3 * ldy + L);
        a32.intoArray(y, y0 + 3 * ldy + 2 * L);
    }

    private static void kernel1(float[] x, int x0, PackedLinear w, int p, float[] y, int y0, boolean addTo) {
        int in = w.in;
        float[] pw = w.w;
        int wo = p * in * NR;
        FloatVector a0 = FloatVector.fromArray(F, w.bias, p * NR);
        FloatVector a1 = FloatVector.fromArray(F, w.bias, p * NR + L);
        FloatVector a2 = FloatVector.fromArray(F, w.bias, p * NR + 2 * L);
        for (int k = 0; k < in; k++) {
            int wk = wo + k * NR;
            FloatVector v = FloatVector.broadcast(F, x[x0 + k]);
            a0 = FloatVector.fromArray(F, pw, wk).fma(v, a0);
            a1 = FloatVector.fromArray(F, pw, wk + L).fma(v, a1);
            a2 = FloatVector.fromArray(F, pw, wk + 2 * L).fma(v, a2);
        }
        if (addTo) {
            a0 = a0.add(FloatVector.fromArray(F, y, y0));
            a1 = a1.add(FloatVector.fromArray(F, y, y0 + L));
            a2 = a2.add(FloatVector.fromArray(F, y, y0 + 2 * L));
        }
        a0.intoArray(y, y0);
        a1.intoArray(y, y0 + L);
        a2.intoArray(y, y0 + 2 * L);
    }

    /** K of one head transposed, {@code headDim x np}, then {@link #MR} rows of logits, {@code np} each. */
    @Override
    public int segmentScratch(int n, int headDim) {
        int np = (n + L - 1) / L * L;
        return (headDim + MR) * np;
    }

    /**
     * Per head, K is transposed into scratch ({@code kt[c][j] = scale k[j][c]}, zero past n) so that the
     * logits of {@link #MR} query rows come from broadcasts of q times contiguous rows of kt, L keys per
     * vector, with no horizontal sums; the values are then summed in the same way, L head features per
     * vector. Logits past n are set to -inf, so exp makes them 0 and every lane sum is over the segment only.
     * Head dimensions that are not a multiple of the vector length take the scalar loops.
     */
    @Override
    public void segmentAttention(float[] q, float[] k, float[] v, float[] o, int from, int n, int heads, int headDim,
                                 float scale, float[] scratch) {
        if (headDim % L != 0) {
            ScalarDenseMath.attendSegment(q, k, v, o, from, n, heads, headDim, scale, scratch);
            return;
        }
        int ld = heads * headDim;
        int np = (n + L - 1) / L * L;
        int pOff = headDim * np;
        for (int h = 0; h < heads; h++) {
            int ho = h * headDim;
            for (int j = 0; j < np; j++) {
                int kj = (from + j) * ld + ho;
                for (int c = 0; c < headDim; c++) {
                    scratch[c * np + j] = j < n ? k[kj + c] * scale : 0f;
                }
            }
            for (int i0 = 0; i0 < n; i0 += MR) {
                int q0 = (from + i0) * ld + ho;
                int q1 = (from + Math.min(i0 + 1, n - 1)) * ld + ho;
                int q2 = (from + Math.min(i0 + 2, n - 1)) * ld + ho;
                int q3 = (from + Math.min(i0 + 3, n - 1)) * ld + ho;
                for (int j0 = 0; j0 < np; j0 += L) {
                    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                    for (int c = 0; c < headDim; c++) {
                        FloatVector kc = FloatVector.fromArray(F, scratch, c * np + j0);
                        s0 = kc.fma(FloatVector.broadcast(F, q[q0 + c]), s0);
                        s1 = kc.fma(FloatVector.broadcast(F, q[q1 + c]), s1);
                        s2 = kc.fma(FloatVector.broadcast(F, q[q2 + c]), s2);
                        s3 = kc.fma(FloatVector.broadcast(F, q[q3 + c]), s3);
                    }
                    s0.intoArray(scratch, pOff + j0);
                    s1.intoArray(scratch, pOff + np + j0);
                    s2.intoArray(scratch, pOff + 2 * np + j0);
                    s3.intoArray(scratch, pOff + 3 * np + j0);
                }
                float inv0 = softmaxRow(scratch, pOff, n, np);
                float inv1 = softmaxRow(scratch, pOff + np, n, np);
                float inv2 = softmaxRow(scratch, pOff + 2 * np, n, np);
                float inv3 = softmaxRow(scratch, pOff + 3 * np, n, np);
                for (int c = 0; c < headDim; c += L) {
                    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                    for (int j = 0; j < n; j++) {
                        FloatVector vj = FloatVector.fromArray(F, v, (from + j) * ld + ho + c);
                        a0 = vj.fma(FloatVector.broadcast(F, scratch[pOff + j]), a0);
                        a1 = vj.fma(FloatVector.broadcast(F, scratch[pOff + np + j]), a1);
                        a2 = vj.fma(FloatVector.broadcast(F, scratch[pOff + 2 * np + j]), a2);
                        a3 = vj.fma(FloatVector.broadcast(F, scratch[pOff + 3 * np + j]), a3);
                    }
                    a0.mul(inv0).intoArray(o, q0 + c);
                    if (i0 + 1 < n) {
                        a1.mul(inv1).intoArray(o, q1 + c);
                    }
                    if (i0 + 2 < n) {
                        a2.mul(inv2).intoArray(o, q2 + c);
                    }
                    if (i0 + 3 < n) {
                        a3.mul(inv3).intoArray(o, q3 + c);
                    }
                }
            }
        }
    }

    /** Row {@code p[off, off + np)} of logits to exp(logit - max), lanes past n to 0; returns 1 / (sum of the row). */
    private static float softmaxRow(float[] p, int off, int n, int np) {
        for (int j = n; j < np; j++) {
            p[off + j] = Float.NEGATIVE_INFINITY;
        }
        FloatVector m = FloatVector.fromArray(F, p, off);
        for (int j = L; j < np; j += L) {
            m = m.max(FloatVector.fromArray(F, p, off + j));
        }
        FloatVector max = FloatVector.broadcast(F, m.reduceLanes(VectorOperators.MAX));
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < np; j += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(F, p, off + j).sub(max));
            e.intoArray(p, off + j);
            sum = sum.add(e);
        }
        return 1f / VectorMath.sumLanes(sum);
    }

    @Override
    public void gelu(float[] x, int from, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        FloatVector half = FloatVector.broadcast(F, 0.5f);
        FloatVector a3 = FloatVector.broadcast(F, ERF_A3);
        FloatVector a2 = FloatVector.broadcast(F, ERF_A2);
        FloatVector a1 = FloatVector.broadcast(F, ERF_A1);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, from + i);
            FloatVector z = v.abs().mul(INV_SQRT2);
            FloatVector t = one.div(z.mul(ERF_P).add(one));
            FloatVector poly = t.fma(ERF_A5, ERF_A4).fma(t, a3).fma(t, a2).fma(t, a1).mul(t);
            FloatVector e = VectorMath.exp(z.mul(z).neg());
            FloatVector erfAbs = one.sub(poly.mul(e));
            FloatVector erf = erfAbs.blend(erfAbs.neg(), v.lt(0f));
            v.mul(half).mul(one.add(erf)).intoArray(x, from + i);
        }
        for (; i < n; i++) {
            x[from + i] = ScalarDenseMath.gelu(x[from + i]);
        }
    }

    /** Moments in float lanes, reduced once per row: each lane sums n / L values, well inside 1e-6 relative. */
    @Override
    public void layerNorm(float[] x, int off, int n, float[] gamma, float[] beta, float eps) {
        FloatVector sum = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            sum = sum.add(FloatVector.fromArray(F, x, off + i));
        }
        float total = VectorMath.sumLanes(sum);
        for (; i < n; i++) {
            total += x[off + i];
        }
        float mean = total / n;
        FloatVector m = FloatVector.broadcast(F, mean);
        FloatVector sq = FloatVector.zero(F);
        i = 0;
        for (; i + L <= n; i += L) {
            FloatVector d = FloatVector.fromArray(F, x, off + i).sub(m);
            sq = d.fma(d, sq);
        }
        float squares = VectorMath.sumLanes(sq);
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            squares += d * d;
        }
        float inv = (float) (1.0 / Math.sqrt(squares / n + eps));
        i = 0;
        for (; i + L <= n; i += L) {
            FloatVector g = FloatVector.fromArray(F, gamma, i).mul(inv);
            FloatVector.fromArray(F, x, off + i).sub(m).fma(g, FloatVector.fromArray(F, beta, i)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = (x[off + i] - mean) * inv * gamma[i] + beta[i];
        }
    }
}
