package org.ringattention.attention;

import java.util.SplittableRandom;

/** A random attention problem for tests: standard normal Q, K, V scaled by {@code magnitude}. */
public record Problem(AttentionSpec spec, Queries queries, KeysValues keysValues) {

    /** Self-attention over {@code s} tokens; {@code segmentCount > 0} packs that many documents of random lengths. */
    public static Problem random(SplittableRandom random, int s, int hq, int hkv, int d, boolean causal,
                                 int segmentCount, float magnitude) {
        AttentionSpec spec = AttentionSpec.of(hq, hkv, d, causal);
        int[] segments = segmentCount > 0 ? segments(random, s, segmentCount) : null;
        TokenIndex index = TokenIndex.contiguous(0, s, segments);
        return new Problem(spec,
                new Queries(gaussian(random, s * hq * d, magnitude), index),
                new KeysValues(gaussian(random, s * hkv * d, magnitude), gaussian(random, s * hkv * d, 1f), index));
    }

    /** Sorted document ids {@code 0..count-1} over {@code s} tokens, each document non-empty where possible. */
    static int[] segments(SplittableRandom random, int s, int count) {
        int[] ids = new int[s];
        int id = 0;
        for (int i = 0; i < s; i++) {
            if (i > 0 && id < count - 1 && random.nextInt(Math.max(1, s / count)) == 0) {
                id++;
            }
            ids[i] = id;
        }
        return ids;
    }

    static float[] gaussian(SplittableRandom random, int n, float magnitude) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u = 1.0 - random.nextDouble();
            x[i] = magnitude * (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble()));
        }
        return x;
    }

    public ReferenceAttention.Result reference() {
        return ReferenceAttention.compute(spec, queries, keysValues);
    }

    /** This problem with only key rows {@code [from, to)}, keeping their original positions and segments. */
    public KeysValues keySlice(int from, int to) {
        int w = spec.kvRowWidth();
        return new KeysValues(java.util.Arrays.copyOfRange(keysValues.k(), from * w, to * w),
                java.util.Arrays.copyOfRange(keysValues.v(), from * w, to * w),
                keysValues.index().slice(from, to));
    }
}
