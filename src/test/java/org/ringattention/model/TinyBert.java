package org.ringattention.model;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** A small BERT with seeded random weights (widths 16 and 32: narrower than a vector panel), for tests that need a model but not a trained one. */
public final class TinyBert {

    public static final BertConfig CONFIG = new BertConfig(30, 16, 2, 4, 32, 24, 2, 1e-12f);

    private TinyBert() {
    }

    public static BertWeights weights(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new HashMap<>();
        for (BertWeights.Expected e : BertWeights.expected(CONFIG)) {
            int n = 1;
            for (int d : e.shape()) {
                n *= d;
            }
            // LayerNorm gains near 1 and projections of unit gain keep activations O(1) through the layers,
            // so attention is peaked rather than uniform and a wrong scale or mask shows.
            boolean gain = e.name().endsWith("LayerNorm.weight");
            double std = e.shape().length == 2 ? 1.0 / Math.sqrt(e.shape()[1]) * 2 : 0.1;
            float[] data = new float[n];
            for (int i = 0; i < n; i++) {
                data[i] = (float) ((gain ? 1 : 0) + rnd.nextGaussian() * std);
            }
            tensors.put(e.name(), new Tensor(e.shape(), data));
        }
        return BertWeights.of(CONFIG, tensors::get, "tiny model");
    }
}
