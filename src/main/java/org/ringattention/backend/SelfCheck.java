package org.ringattention.backend;

import java.util.Locale;
import java.util.SplittableRandom;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;

/**
 * The comparison a GPU kernel passes before its first use in a process: a small problem (a few
 * milliseconds) on the GPU and on the CPU kernel, compared value by value. The problem crosses every
 * tile edge the kernels use (150 rows: not a multiple of 16, 32 or 64), groups two query heads on one
 * key head, and is masked both causally and by segments, so tile skipping and partial tiles are taken.
 * Both sides are fp32 and agree to about 1e-6; the tolerance leaves a hundredfold margin while a wrong
 * tile, mask or stride gives errors of order one.
 */
final class SelfCheck {

    /** Largest accepted |GPU - CPU| on O and LSE, and on attention mass relative to max(1, |mass|). */
    static final double TOLERANCE = 1e-4;

    private static final int ROWS = 150;

    /** Runs one comparison: null when it passed, else what went wrong. */
    @FunctionalInterface
    interface Run {
        String run();
    }

    private SelfCheck() {
    }

    /** Null when attention (O and LSE) agrees, else the error, e.g. "gave O off by 3.1e-02 (tolerance 1e-04)". */
    static String attention(Backend gpu, Backend cpu, int headDim) {
        Problem p = new Problem(new AttentionSpec(2, 1, headDim, (float) (1 / Math.sqrt(headDim)), true));
        AttentionResult g = gpu.attention().attend(p.spec, p.queries, p.keys);
        AttentionResult c = cpu.attention().attend(p.spec, p.queries, p.keys);
        String o = compare("O", g.out(), c.out(), false);
        return o != null ? o : compare("LSE", g.lse(), c.lse(), false);
    }

    /** Null when the attention mass agrees, else the error. */
    static String attentionMass(Backend gpu, Backend cpu, int headDim) {
        Problem p = new Problem(new AttentionSpec(2, 1, headDim, (float) (1 / Math.sqrt(headDim)), true));
        float[] lse = cpu.attention().attend(p.spec, p.queries, p.keys).lse();
        return compare("mass", gpu.attentionMass(p.spec, p.queries, lse, p.keys),
                cpu.attentionMass(p.spec, p.queries, lse, p.keys), true);
    }

    private static String compare(String what, float[] gpu, float[] cpu, boolean relative) {
        if (gpu.length != cpu.length) {
            return "gave " + gpu.length + " values of " + what + " where the CPU gives " + cpu.length;
        }
        double worst = 0;
        for (int i = 0; i < gpu.length; i++) {
            double scale = relative ? Math.max(1, Math.abs(cpu[i])) : 1;
            // Rows that see no key have LSE = -inf on both sides; anything else non-finite is an error.
            double e = gpu[i] == cpu[i] ? 0 : Math.abs((double) gpu[i] - cpu[i]) / scale;
            if (!(e <= worst)) {
                worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
            }
        }
        if (worst <= TOLERANCE) {
            return null;
        }
        return String.format(Locale.ROOT, "gave %s off by %.1e from the CPU (tolerance %.0e)", what, worst, TOLERANCE);
    }

    /** Deterministic inputs: the same problem in every process, so a failure can be reproduced. */
    private static final class Problem {
        final AttentionSpec spec;
        final Queries queries;
        final KeysValues keys;

        Problem(AttentionSpec spec) {
            this.spec = spec;
            SplittableRandom random = new SplittableRandom(150);
            int[] segments = new int[ROWS];
            for (int i = 0; i < ROWS; i++) {
                segments[i] = i < 70 ? 0 : 1;
            }
            TokenIndex index = TokenIndex.contiguous(0, ROWS, segments);
            queries = new Queries(normals(random, ROWS * spec.queryRowWidth()), index);
            keys = new KeysValues(normals(random, ROWS * spec.kvRowWidth()), normals(random, ROWS * spec.kvRowWidth()),
                    index);
        }

        private static float[] normals(SplittableRandom random, int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                // Sum of 4 uniforms: mean 0, variance 1/3, close enough to normal for logits of order one.
                x[i] = (float) (random.nextDouble() + random.nextDouble() + random.nextDouble() + random.nextDouble() - 2);
            }
            return x;
        }
    }
}
