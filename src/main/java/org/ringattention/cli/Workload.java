package org.ringattention.cli;

import java.util.SplittableRandom;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;

/** A seeded attention problem for benchmarks and demos. */
final class Workload {

    private final AttentionSpec spec;
    private final Queries queries;
    private final KeysValues keysValues;

    Workload(AttentionSpec spec, int s, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        this.spec = spec;
        TokenIndex index = TokenIndex.contiguous(0, s, null);
        queries = new Queries(gaussian(random, s * spec.queryRowWidth()), index);
        keysValues = new KeysValues(gaussian(random, s * spec.kvRowWidth()),
                gaussian(random, s * spec.kvRowWidth()), index);
    }

    /** Seconds for one full attention. */
    double run(AttentionKernel kernel) {
        long start = System.nanoTime();
        kernel.attend(spec, queries, keysValues);
        return (System.nanoTime() - start) / 1e9;
    }

    /** The median of {@code x} (mean of the middle two for an even count). */
    static double median(double[] x) {
        double[] sorted = x.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** {@code n} standard normal floats. */
    static float[] gaussian(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
            double u = 1.0 - random.nextDouble();
            x[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble()));
        }
        return x;
    }
}
