package org.ringattention.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.ringattention.io.BadInputException;

/**
 * Every tensor a BERT encoder needs, under Hugging Face's {@code BertModel} names and layouts
 * (a Linear weight is {@code (out, in)}), checked for presence and shape once, at construction. The
 * pooler and task heads are not part of it: sentence embeddings pool the last hidden states.
 */
public final class BertWeights {

    /** A tensor the encoder reads: its name and required shape. */
    public record Expected(String name, int[] shape) {
    }

    private final BertConfig config;
    private final Map<String, Tensor> tensors;

    private BertWeights(BertConfig config, Map<String, Tensor> tensors) {
        this.config = config;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    public BertConfig config() {
        return config;
    }

    /** All tensors in {@link #expected} order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in a BERT model");
        }
        return t;
    }

    /** Name of a tensor of layer {@code layer}, e.g. {@code layer(2, "attention.self.query.weight")}. */
    public static String layer(int layer, String suffix) {
        return "encoder.layer." + layer + "." + suffix;
    }

    /** The tensors a model of this shape must have, in a fixed order. */
    public static List<Expected> expected(BertConfig c) {
        int h = c.hiddenSize();
        int i = c.intermediateSize();
        List<Expected> e = new ArrayList<>();
        e.add(new Expected("embeddings.word_embeddings.weight", new int[] {c.vocabSize(), h}));
        e.add(new Expected("embeddings.position_embeddings.weight", new int[] {c.maxPositions(), h}));
        e.add(new Expected("embeddings.token_type_embeddings.weight", new int[] {c.typeVocabSize(), h}));
        e.add(new Expected("embeddings.LayerNorm.weight", new int[] {h}));
        e.add(new Expected("embeddings.LayerNorm.bias", new int[] {h}));
        for (int l = 0; l < c.layers(); l++) {
            for (String proj : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                e.add(new Expected(layer(l, proj + ".weight"), new int[] {h, h}));
                e.add(new Expected(layer(l, proj + ".bias"), new int[] {h}));
            }
            e.add(new Expected(layer(l, "attention.output.LayerNorm.weight"), new int[] {h}));
            e.add(new Expected(layer(l, "attention.output.LayerNorm.bias"), new int[] {h}));
            e.add(new Expected(layer(l, "intermediate.dense.weight"), new int[] {i, h}));
            e.add(new Expected(layer(l, "intermediate.dense.bias"), new int[] {i}));
            e.add(new Expected(layer(l, "output.dense.weight"), new int[] {h, i}));
            e.add(new Expected(layer(l, "output.dense.bias"), new int[] {h}));
            e.add(new Expected(layer(l, "output.LayerNorm.weight"), new int[] {h}));
            e.add(new Expected(layer(l, "output.LayerNorm.bias"), new int[] {h}));
        }
        return e;
    }

    /**
     * Collects the expected tensors from {@code lookup} (null for absent), refusing a missing tensor or a
     * wrong shape with a message naming the tensor and {@code source}.
     */
    public static BertWeights of(BertConfig config, Function<String, Tensor> lookup, String source) {
        Map<String, Tensor> found = new LinkedHashMap<>();
        for (Expected e : expected(config)) {
            Tensor t = lookup.apply(e.name());
            if (t == null) {
                throw new BadInputException(source + " lacks tensor '" + e.name() + "'; is it a BERT checkpoint"
                        + " matching its config (" + config.layers() + " layers, hidden " + config.hiddenSize() + ")?");
            }
            if (!t.hasShape(e.shape())) {
                throw new BadInputException(source + ": tensor '" + e.name() + "' has shape "
                        + Arrays.toString(t.shape()) + " where the config needs " + Arrays.toString(e.shape()));
            }
            found.put(e.name(), t);
        }
        return new BertWeights(config, found);
    }
}
