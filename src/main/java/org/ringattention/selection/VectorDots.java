package org.ringattention.selection;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Dots} with the JDK Vector API: lane i of a four-lane double vector is running sum i, so four
 * floats widened to double and one fused multiply-add advance all four sums of a pair; four pairs at a
 * time keep four independent chains in flight. Loaded by name only when {@code jdk.incubator.vector}
 * is present.
 */
final class VectorDots extends Dots {

    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    private static final VectorSpecies<Double> D4 = DoubleVector.SPECIES_256;

    @Override
    void four(float[] v, int x, int y0, int y1, int y2, int y3, int d, double[] out, int at) {
        DoubleVector s0 = DoubleVector.zero(D4);
        DoubleVector s1 = s0;
        DoubleVector s2 = s0;
        DoubleVector s3 = s0;
        int k = 0;
        for (; k + 3 < d; k += 4) {
            DoubleVector xk = widen(v, x + k);
            s0 = widen(v, y0 + k).fma(xk, s0);
            s1 = widen(v, y1 + k).fma(xk, s1);
            s2 = widen(v, y2 + k).fma(xk, s2);
            s3 = widen(v, y3 + k).fma(xk, s3);
        }
        out[at] = finish(s0, v, x, y0, k, d);
        out[at + 1] = finish(s1, v, x, y1, k, d);
        out[at + 2] = finish(s2, v, x, y2, k, d);
        out[at + 3] = finish(s3, v, x, y3, k, d);
    }

    private static DoubleVector widen(float[] v, int offset) {
        return (DoubleVector) FloatVector.fromArray(F4, v, offset).convertShape(VectorOperators.F2D, D4, 0);
    }

    /** The indices from {@code k} on into sum 0, then {@code (s0 + s1) + (s2 + s3)}. */
    private static double finish(DoubleVector s, float[] v, int x, int y, int k, int d) {
        double s0 = s.lane(0);
        for (; k < d; k++) {
            s0 += (double) v[x + k] * v[y + k];
        }
        return (s0 + s.lane(1)) + (s.lane(2) + s.lane(3));
    }
}
