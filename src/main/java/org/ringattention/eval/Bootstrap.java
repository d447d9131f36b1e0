package org.ringattention.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The mean of per-document scores with a 95% percentile bootstrap interval (Efron &amp; Tibshirani):
 * documents resampled with replacement {@code rounds} times from a fixed seed, so a rerun prints the
 * same interval.
 */
public record Bootstrap(double mean, double low, double high) {

    public static Bootstrap of(double[] scores, int rounds, long seed) {
        int n = scores.length;
        double mean = Arrays.stream(scores).average().orElse(Double.NaN);
        if (n == 0) {
            return new Bootstrap(mean, Double.NaN, Double.NaN);
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += scores[random.nextInt(n)];
            }
            means[r] = s / n;
        }
        Arrays.sort(means);
        return new Bootstrap(mean, means[(int) Math.floor(0.025 * (rounds - 1))], means[(int) Math.ceil(0.975 * (rounds - 1))]);
    }
}
