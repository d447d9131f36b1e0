package org.ringattention.encoder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ScalarDenseMath} with the JDK Vector API. The product is a register-blocked micro-kernel over
 * packed weight panels two vectors wide: six rows of x times one panel, twelve accumulators, each k step
 * two contiguous weight loads and six broadcasts feeding twelve FMAs, no horizontal reduction. Twelve
 * accumulators plus three operands fit the sixteen registers of AVX2 as well as AVX-512's thirty-two.
 * Loaded by name only when {@code jdk.incubator.vector} is present ({@link BertEncoder#denseMath}).
 */
final class VectorDenseMath implements DenseMath {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final int NR = 2 * L;
    private static final int MR = 6;

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
        for (int p = 0; p < w.panels; p++) {
            int c0 = p * NR;
            int cols = Math.min(NR, w.out - c0);
            VectorMask<Float> m0 = F.indexInRange(0, cols);
            VectorMask<Float> m1 = F.indexInRange(L, cols);
            int r = 0;
            for (; r + MR <= rows; r += MR) {
                kernel6(x, xo + r * ldx, ldx, w, p, y, yo + r * ldy + c0, ldy, cols == NR, m0, m1, addTo);
            }
            for (; r < rows; r++) {
                kernel1(x, xo + r * ldx, w, p, y, yo + r * ldy + c0, cols == NR, m0, m1, addTo);
            }
        }
    }

    private static void kernel6(float[] x, int x0, int ldx, PackedLinear w, int p, float[] y, int y0, int ldy,
                                boolean full, VectorMask<Float> m0, VectorMask<Float> m1, boolean addTo) {
        int in = w.in;
        float[] pw = w.w;
        int wo = p * in * NR;
        FloatVector b0 = FloatVector.fromArray(F, w.bias, p * NR);
        FloatVector b1 = FloatVector.fromArray(F, w.bias, p * NR + L);
        FloatVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1;
        FloatVector a30 = b0, a31 = b1, a40 = b0, a41 = b1, a50 = b0, a51 = b1;
        int x1 = x0 + ldx;
        int x2 = x1 + ldx;
        int x3 = x2 + ldx;
        int x4 = x3 + ldx;
        int x5 = x4 + ldx;
        for (int k = 0; k < in; k++) {
            int wk = wo + k * NR;
            FloatVector w0 = FloatVector.fromArray(F, pw, wk);
            FloatVector w1 = FloatVector.fromArray(F, pw, wk + L);
            FloatVector v = FloatVector.broadcast(F, x[x0 + k]);
            a00 = w0.fma(v, a00);
            a01 = w1.fma(v, a01);
            v = FloatVector.broadcast(F, x[x1 + k]);
            a10 = w0.fma(v, a10);
            a11 = w1.fma(v, a11);
            v = FloatVector.broadcast(F, x[x2 + k]);
            a20 = w0.fma(v, a20);
            a21 = w1.fma(v, a21);
            v = FloatVector.broadcast(F, x[x3 + k]);
            a30 = w0.fma(v, a30);
            a31 = w1.fma(v, a31);
            v = FloatVector.broadcast(F, x[x4 + k]);
            a40 = w0.fma(v, a40);
            a41 = w1.fma(v, a41);
            v = FloatVector.broadcast(F, x[x5 + k]);
            a50 = w0.fma(v, a50);
            a51 = w1.fma(v, a51);
        }
        store(a00, a01, y, y0, full, m0, m1, addTo);
        store(a10, a11, y, y0 + ldy, full, m0, m1, addTo);
        store(a20, a21, y, y0 + 2 * ldy, full, m0, m1, addTo);
        store(a30, a31, y, y0 + 3 * ldy, full, m0, m1, addTo);
        store(a40, a41, y, y0 + 4 * ldy, full, m0, m1, addTo);
        store(a50, a51, y, y0 + 5 * ldy, full, m0, m1, addTo);
    }

    private static void kernel1(float[] x, int x0, PackedLinear w, int p, float[] y, int y0, boolean full,
                                VectorMask<Float> m0, VectorMask<Float> m1, boolean addTo) {
        int in = w.in;
        float[] pw = w.w;
        int wo = p * in * NR;
        FloatVector a0 = FloatVector.fromArray(F, w.bias, p * NR);
        FloatVector a1 = FloatVector.fromArray(F, w.bias, p * NR + L);
        for (int k = 0; k < in; k++) {
            int wk = wo + k * NR;
            FloatVector v = FloatVector.broadcast(F, x[x0 + k]);
            a0 = FloatVector.fromArray(F, pw, wk).fma(v, a0);
            a1 = FloatVector.fromArray(F, pw, wk + L).fma(v, a1);
        }
        store(a0, a1, y, y0, full, m0, m1, addTo);
    }

    private static void store(FloatVector a0, FloatVector a1, float[] y, int at, boolean full,
                              VectorMask<Float> m0, VectorMask<Float> m1, boolean addTo) {
        if (full) {
            if (addTo) {
                a0 = a0.add(FloatVector.fromArray(F, y, at));
                a1 = a1.add(FloatVector.fromArray(F, y, at + L));
            }
            a0.intoArray(y, at);
            a1.intoArray(y, at + L);
        } else {
            // The last panel of a layer whose width is not a multiple of NR: masked, so nothing past
            // the row's end is read or written.
            if (addTo) {
                a0 = a0.add(FloatVector.fromArray(F, y, at, m0));
                a1 = a1.add(FloatVector.fromArray(F, y, at + L, m1));
            }
            a0.intoArray(y, at, m0);
            a1.intoArray(y, at + L, m1);
        }
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
            FloatVector e = z.mul(z).neg().lanewise(VectorOperators.EXP);
            FloatVector erfAbs = one.sub(poly.mul(e));
            FloatVector erf = erfAbs.blend(erfAbs.neg(), v.lt(0f));
            v.mul(half).mul(one.add(erf)).intoArray(x, from + i);
        }
        for (; i < n; i++) {
            x[from + i] = ScalarDenseMath.gelu(x[from + i]);
        }
    }
}
