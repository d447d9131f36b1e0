package org.ringattention.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The Vector API kernel's own exp against Math.exp, and the kernel against the float64 reference. */
class VectorMathTest {

    @Test
    void expIsWithinTwoUlpsOfMathExpAndZeroBelowTheNormalRange() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes];
        float[] y = new float[lanes];
        SplittableRandom random = new SplittableRandom(1);
        int checked = 0;
        for (int trial = 0; trial < 20_000; trial++) {
            for (int i = 0; i < lanes; i++) {
                x[i] = trial == 0 && i == 0 ? 0f : (float) (random.nextDouble() * 87.3 * (trial % 10 == 0 ? -0.01 : -1));
            }
            VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(y, 0);
            for (int i = 0; i < lanes; i++) {
                float want = (float) Math.exp(x[i]);
                assertTrue(Math.abs(y[i] - want) <= 2 * Math.ulp(want), "exp(" + x[i] + ") = " + y[i] + ", want " + want);
                checked++;
            }
        }
        assertEquals(20_000 * lanes, checked);
        float[] low = new float[lanes];
        java.util.Arrays.fill(low, Float.NEGATIVE_INFINITY);
        low[0] = -87.5f;
        VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, low, 0)).intoArray(y, 0);
        for (int i = 0; i < lanes; i++) {
            assertEquals(0f, y[i], "exp(" + low[i] + ")");
        }
    }

    @Test
    void vectorAndScalarKernelsMatchTheReference() {
        int checked = 0;
        for (boolean causal : new boolean[] {false, true}) {
            AttentionSpec spec = AttentionSpec.of(4, 2, 24, causal);
            int s = 77;
            SplittableRandom random = new SplittableRandom(3);
            float[] q = new float[s * spec.queryRowWidth()];
            float[] k = new float[s * spec.kvRowWidth()];
            float[] v = new float[s * spec.kvRowWidth()];
            for (float[] a : new float[][] {q, k, v}) {
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) (random.nextDouble() * 6 - 3);
                }
            }
            int[] segments = new int[s];
            for (int i = 0; i < s; i++) {
                segments[i] = i < 30 ? 4 : 9;
            }
            TokenIndex index = TokenIndex.contiguous(0, s, segments);
            ReferenceAttention.Result want = ReferenceAttention.compute(spec, new Queries(q, index), new KeysValues(k, v, index));
            for (boolean vector : new boolean[] {false, true}) {
                try (CpuAttentionKernel kernel = vector ? CpuAttentionKernel.create(16, 2) : CpuAttentionKernel.withMath("scalar", 16, 2)) {
                    assertEquals(vector ? "cpu-vector" : "cpu-scalar", kernel.name());
                    AttentionResult got = kernel.attend(spec, new Queries(q, index), new KeysValues(k, v, index));
                    for (int i = 0; i < want.out().length; i++) {
                        assertEquals(want.out()[i], got.out()[i], 1e-5, "O[" + i + "]");
                    }
                    for (int i = 0; i < want.lse().length; i++) {
                        assertEquals(want.lse()[i], got.lse()[i], 1e-5, "LSE[" + i + "]");
                    }
                }
                checked++;
            }
        }
        assertEquals(4, checked);
    }
}
