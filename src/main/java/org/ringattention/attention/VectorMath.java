package org.ringattention.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector functions that give the same bits however far the JIT has compiled the caller: the interpreter,
 * C1 and C2 run the Vector API through different code (a Java fallback, then intrinsics), and the
 * incubator's own {@code lanewise(EXP)} and {@code reduceLanes(ADD)} differ between them in the last
 * bit. Same inputs must give the same outputs, also when Spark retries a task on a warmer JVM, so every
 * vector kernel of the project takes its exp and lane sums from here. Load only where
 * {@code jdk.incubator.vector} is present.
 */
public final class VectorMath {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorMath() {
    }

    /**
     * {@code exp(x)} from IEEE add, multiply, FMA and exact conversions only (Cephes {@code expf}:
     * Cody-Waite reduction {@code x = n ln2 + r}, a degree-5 polynomial for {@code exp(r)}, about
     * 1 ulp), so the interpreter and JIT-compiled code give the same bits. The incubator's
     * {@code lanewise(EXP)} does not: its SVML intrinsic and its Java fallback differ in the last bit,
     * which made a retried Spark task disagree with the first attempt. Inputs below {@link #EXP_LO}
     * (about -87.3, where float {@code exp} leaves the normal range), masked {@code -inf} logits
     * included, give 0.
     */
    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> underflow = x.lt(EXP_LO);
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        // n = round(x log2 e): adding 1.5 * 2^23 leaves n in the low mantissa bits (no float-int
        // conversion, which the JDK 17 compiler does not turn into one instruction on every CPU).
        FloatVector shifted = xc.mul(LOG2E).add(ROUNDER);
        FloatVector n = shifted.sub(ROUNDER);
        FloatVector r = xc.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector y = FloatVector.broadcast(F, 1.9875691500e-4f);
        y = y.fma(r, FloatVector.broadcast(F, 1.3981999507e-3f));
        y = y.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        y = y.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        y = y.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        y = y.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        y = y.fma(r.mul(r), r).add(1f);
        FloatVector twoN = shifted.reinterpretAsInts().sub(ROUNDER_BITS - 127).lanewise(VectorOperators.LSHL, 23)
                .reinterpretAsFloats();
        return y.mul(twoN).blend(0f, underflow);
    }

    private static final float EXP_LO = -87.33654f;
    private static final float EXP_HI = 88.37626f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    /** ln 2 split so that {@code n * LN2_HI} is exact for the n that occur (Cody-Waite). */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    /** The lanes of {@code v} added one after another, lane 0 first. */
    public static float sumLanes(FloatVector v) {
        float total = 0f;
        for (int lane = 0; lane < v.length(); lane++) {
            total += v.lane(lane);
        }
        return total;
    }
}
