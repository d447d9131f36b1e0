package org.ringattention.model;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** A small BERT with seeded random weights, for tests that need a model but not a trained one. */
final class TinyBert {

    static final BertConfig CONFIG = new BertConfig(30, 16, 2, 4, 32, 24, 2, 1e-12f);

    private TinyBert() {
    }

    static BertWeights weights(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new HashMap<>();
        for (BertWeights.Expected e : BertWeights.expected(CONFIG)) {
            int n = 1;
            for (int d : e.shape()) {
                n *= d;
            }
            float[] data = new float[n];
            for (int i = 0; i < n; i++) {
                data[i] = (float) (rnd.nextGaussian() * 0.2);
            }
            tensors.put(e.name(), new Tensor(e.shape(), data));
        }
        return BertWeights.of(CONFIG, tensors::get, "tiny model");
    }
}
