package org.ringattention.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Comparisons of a float32 result against the float64 reference. */
final class Tolerance {

    private Tolerance() {
    }

    /** Largest |a - b| over O; fails on any NaN. */
    static double maxAbsError(float[] actual, double[] expected) {
        assertEquals(expected.length, actual.length, "length");
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            assertTrue(!Float.isNaN(actual[i]), "NaN at " + i);
            max = Math.max(max, Math.abs(actual[i] - expected[i]));
        }
        return max;
    }

    /** Largest LSE error relative to max(1, |LSE|); both -inf counts as equal, one -inf as infinite error. */
    static double lseError(float[] actual, double[] expected) {
        assertEquals(expected.length, actual.length, "length");
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            assertTrue(!Float.isNaN(actual[i]), "NaN in LSE at " + i);
            if (expected[i] == Double.NEGATIVE_INFINITY || actual[i] == Float.NEGATIVE_INFINITY) {
                if (expected[i] != actual[i]) {
                    return Double.POSITIVE_INFINITY;
                }
                continue;
            }
            max = Math.max(max, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
        }
        return max;
    }

    /** Asserts O within {@code outTolerance} (max abs) and LSE within 1e-5 (relative to max(1, |LSE|)). */
    static void assertMatches(AttentionResult actual, ReferenceAttention.Result expected, double outTolerance,
                              String what) {
        double oErr = maxAbsError(actual.out(), expected.out());
        double lErr = lseError(actual.lse(), expected.lse());
        assertTrue(oErr <= outTolerance, what + ": O max abs error " + oErr + " > " + outTolerance);
        assertTrue(lErr <= 1e-5, what + ": LSE error " + lErr + " > 1e-5");
    }
}
