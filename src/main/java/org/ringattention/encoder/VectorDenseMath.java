package org.ringattention.encoder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.ringattention.attention.VectorMath;

/**
 * {@link ScalarDenseMath} with the JDK Vector API. The product is a register-blocked micro-kernel over
 * packed weight panels three vectors wide: MR rows of x times one panel, 3 x MR accumulators, each k
 * step three contiguous weight loads and MR broadcasts feeding 3 x MR FMAs, no horizontal reduction.
 * With AVX-512 (32 registers) MR is 8: 24 accumulators, and each weight vector loaded from L2 feeds
 * eight FMAs instead of four; with AVX2's 16 registers MR is 4 (twelve accumulators). Both divide the
 * usual 64-row block.
 * Loaded by name only when {@code jdk.incubator.vector} is present ({@link BertEncoder#denseMath}).
 */
final class VectorDenseMath implements DenseMath {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final int NR = 3 * L;
    /** Rows per micro-kernel call: eight where 32 vector registers hold 24 accumulators, else four. */
    private static final int MR = F.vectorBitSize() >= 512 ? 8 : 4;
    /** Query rows per step of {@link #segmentAttention}. */
    private static final int QR = 4;

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
            for (; MR == 8 && r + 8 <= rows; r += 8) {
                if (cols == NR) {
                    kernel8(x, xo + r * ldx, ldx, w, p, y, yo + r * ldy + c0, ldy, addTo);
                } else {
                    kernel8(x, xo + r * ldx, ldx, w, p, tail, 0, NR, false);
                    merge(tail, 8, cols, y, yo + r * ldy + c0, ldy, addTo);
                }
            }
            for (; r + 4 <= rows; r += 4) {
                if (cols == NR) {
                    kernel4(x, xo + r * ldx, ldx, w, p, y, yo + r * ldy + c0, ldy, addTo);
                } else {
                    kernel4(x, xo + r * ldx, ldx, w, p, tail, 0, NR, false);
                    merge(tail, 4, cols, y, yo + r * ldy + c0, ldy, addTo);
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

    /** {@link #kernel4} for eight rows: 24 accumulators, which only AVX-512's 32 registers hold without spilling. */
    private static void kernel8(float[] x, int x0, int ldx, PackedLinear w, int p, float[] y, int y0, int ldy,
                                boolean addTo) {
        int in = w.in;
        float[] pw = w.w;
        int wo = p * in * NR;
        FloatVector b0 = FloatVector.fromArray(F, w.bias, p * NR);
        FloatVector b1 = FloatVector.fromArray(F, w.bias, p * NR + L);
        FloatVector b2 = FloatVector.fromArray(F, w.bias, p * NR + 2 * L);
        FloatVector a00 = b0, a01 = b1, a02 = b2;
        FloatVector a10 = b0, a11 = b1, a12 = b2;
        FloatVector a20 = b0, a21 = b1, a22 = b2;
        FloatVector a30 = b0, a31 = b1, a32 = b2;
        FloatVector a40 = b0, a41 = b1, a42 = b2;
        FloatVector a50 = b0, a51 = b1, a52 = b2;
        FloatVector a60 = b0, a61 = b1, a62 = b2;
        FloatVector a70 = b0, a71 = b1, a72 = b2;
        int x1 = x0 + ldx;
        int x2 = x1 + ldx;
        int x3 = x2 + ldx;
        int x4 = x3 + ldx;
        int x5 = x4 + ldx;
        int x6 = x5 + ldx;
        int x7 = x6 + ldx;
        for (int k = 0; k < in; k++) {
            int wk = wo + k * NR;
            FloatVector w0 = FloatVector.fromArray(F, pw, wk);
            FloatVector w1 = FloatVector.fromArray(F, pw, wk + L);
            FloatVector w2 = FloatVector.fromArray(F, pw, wk + 2 * L);
            FloatVector v;
            v = FloatVector.broadcast(F, x[x0 + k]);
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
            v = FloatVector.broadcast(F, x[x4 + k]);
            a40 = w0.fma(v, a40);
            a41 = w1.fma(v, a41);
            a42 = w2.fma(v, a42);
            v = FloatVector.broadcast(F, x[x5 + k]);
            a50 = w0.fma(v, a50);
            a51 = w1.fma(v, a51);
            a52 = w2.fma(v, a52);
            v = FloatVector.broadcast(F, x[x6 + k]);
            a60 = w0.fma(v, a60);
            a61 = w1.fma(v, a61);
            a62 = w2.fma(v, a62);
            v = FloatVector.broadcast(F, x[x7 + k]);
            a70 = w0.fma(v, a70);
            a71 = w1.fma(v, a71);
            a72 = w2.fma(v, a72);
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
            a40 = a40.add(FloatVector.fromArray(F, y, y0 + 4 * ldy));
            a41 = a41.add(FloatVector.fromArray(F, y, y0 + 4 * ldy + L));
            a42 = a42.add(FloatVector.fromArray(F, y, y0 + 4 * ldy + 2 * L));
            a50 = a50.add(FloatVector.fromArray(F, y, y0 + 5 * ldy));
            a51 = a51.add(FloatVector.fromArray(F, y, y0 + 5 * ldy + L));
            a52 = a52.add(FloatVector.fromArray(F, y, y0 + 5 * ldy + 2 * L));
            a60 = a60.add(FloatVector.fromArray(F, y, y0 + 6 * ldy));
            a61 = a61.add(FloatVector.fromArray(F, y, y0 + 6 * ldy + L));
            a62 = a62.add(FloatVector.fromArray(F, y, y0 + 6 * ldy + 2 * L));
            a70 = a70.add(FloatVector.fromArray(F, y, y0 + 7 * ldy));
            a71 = a71.add(FloatVector.fromArray(F, y, y0 + 7 * ldy + L));
            a72 = a72.add(FloatVector.fromArray(F, y, y0 + 7 * ldy + 2 * L));
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
        a40.intoArray(y, y0 + 4 * ldy);
        a41.intoArray(y, y0 + 4 * ldy + L);
        a42.intoArray(y, y0 + 4 * ldy + 2 * L);
        a50.intoArray(y, y0 + 5 * ldy);
        a51.intoArray(y, y0 + 5 * ldy + L);
        a52.intoArray(y, y0 + 5 * ldy + 2 * L);
        a60.intoArray(y, y0 + 6 * ldy);
        a61.intoArray(y, y0 + 6 * ldy + L);
        a62.intoArray(y, y0 + 6 * ldy + 2 * L);
        a70.intoArray(y, y0 + 7 * ldy);
        a71.intoArray(y, y0 + 7 * ldy + L);
        a72.intoArray(y, y0 + 7 * ldy + 2 * L);
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

    /** K of one head transposed, {@code headDim x np}, then {@link #QR} rows of logits, {@code np} each. */
    @Override
    public int segmentScratch(int n, int headDim) {
        int np = (n + L - 1) / L * L;
        return (headDim + QR) * np;
    }

    /**
     * Per head, K is transposed into scratch ({@code kt[c][j] = scale k[j][c]}, zero past n) so that the
     * logits of {@link #QR} query rows come from broadcasts of q times contiguous rows of kt, L keys per
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
            for (int i0 = 0; i0 < n; i0 += QR) {
                int q0 = (from + i0) * ld + ho;
                int q1 = (from + Math.min(i0 + 1, n - 1)) * ld + ho;
                int q2 = (from + Math.min(i0 + 2, n - 1)) * ld + ho;
                int q3 = (from + Math.min(i0 + 3, n - 1)) * ld + ho;
                int j0 = 0;
                for (; j0 + 2 * L <= np; j0 += 2 * L) {
                    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
                    FloatVector t0 = s0, t1 = s0, t2 = s0, t3 = s0;
                    for (int c = 0; c < headDim; c++) {
                        FloatVector kc = FloatVector.fromArray(F, scratch, c * np + j0);
                        FloatVector kd = FloatVector.fromArray(F, scratch, c * np + j0 + L);
                        FloatVector b = FloatVector.broadcast(F, q[q0 + c]);
                        s0 = kc.fma(b, s0);
                        t0 = kd.fma(b, t0);
                        b = FloatVector.broadcast(F, q[q1 + c]);
                        s1 = kc.fma(b, s1);
                        t1 = kd.fma(b, t1);
                        b = FloatVector.broadcast(F, q[q2 + c]);
                        s2 = kc.fma(b, s2);
                        t2 = kd.fma(b, t2);
                        b = FloatVector.broadcast(F, q[q3 + c]);
                        s3 = kc.fma(b, s3);
                        t3 = kd.fma(b, t3);
                    }
                    s0.intoArray(scratch, pOff + j0);
                    t0.intoArray(scratch, pOff + j0 + L);
                    s1.intoArray(scratch, pOff + np + j0);
                    t1.intoArray(scratch, pOff + np + j0 + L);
                    s2.intoArray(scratch, pOff + 2 * np + j0);
                    t2.intoArray(scratch, pOff + 2 * np + j0 + L);
                    s3.intoArray(scratch, pOff + 3 * np + j0);
                    t3.intoArray(scratch, pOff + 3 * np + j0 + L);
                }
                if (j0 < np) {
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
                int c = 0;
                for (; c + 2 * L <= headDim; c += 2 * L) {
                    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                    FloatVector e0 = a0, e1 = a0, e2 = a0, e3 = a0;
                    for (int j = 0; j < n; j++) {
                        int vj = (from + j) * ld + ho + c;
                        FloatVector va = FloatVector.fromArray(F, v, vj);
                        FloatVector vb = FloatVector.fromArray(F, v, vj + L);
                        FloatVector b = FloatVector.broadcast(F, scratch[pOff + j]);
                        a0 = va.fma(b, a0);
                        e0 = vb.fma(b, e0);
                        b = FloatVector.broadcast(F, scratch[pOff + np + j]);
                        a1 = va.fma(b, a1);
                        e1 = vb.fma(b, e1);
                        b = FloatVector.broadcast(F, scratch[pOff + 2 * np + j]);
                        a2 = va.fma(b, a2);
                        e2 = vb.fma(b, e2);
                        b = FloatVector.broadcast(F, scratch[pOff + 3 * np + j]);
                        a3 = va.fma(b, a3);
                        e3 = vb.fma(b, e3);
                    }
                    a0.mul(inv0).intoArray(o, q0 + c);
                    e0.mul(inv0).intoArray(o, q0 + c + L);
                    if (i0 + 1 < n) {
                        a1.mul(inv1).intoArray(o, q1 + c);
                        e1.mul(inv1).intoArray(o, q1 + c + L);
                    }
                    if (i0 + 2 < n) {
                        a2.mul(inv2).intoArray(o, q2 + c);
                        e2.mul(inv2).intoArray(o, q2 + c + L);
                    }
                    if (i0 + 3 < n) {
                        a3.mul(inv3).intoArray(o, q3 + c);
                        e3.mul(inv3).intoArray(o, q3 + c + L);
                    }
                }
                if (c < headDim) {
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
        float mx = p[off];
        for (int j = 1; j < n; j++) {
            mx = Math.max(mx, p[off + j]);
        }
        FloatVector max = FloatVector.broadcast(F, mx);
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
