package org.ringattention.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ringattention.io.BadInputException;

/**
 * BERT weights from an ONNX export of Hugging Face's {@code BertModel} (torch.onnx.export / optimum).
 *
 * <p>Biases, embeddings and LayerNorm parameters keep their PyTorch names as initializers, but the
 * exporter stores every Linear weight pre-transposed under an anonymous name ({@code onnx::MatMul_787}).
 * Those are placed by following the graph: a MatMul whose weight is an initializer feeds an Add with the
 * Linear's bias, so the weight takes the bias's name with {@code .bias} replaced by {@code .weight}, and
 * is transposed back to PyTorch's {@code (out, in)}. The shape of the model comes from the tensors; the
 * head count from the Reshape that splits Q into heads; LayerNorm's epsilon from the constant added to
 * the variance (or a fused LayerNormalization's attribute).
 */
public final class OnnxBertLoader {

    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    private final OnnxGraph graph;
    private final String what;
    private final Map<String, OnnxGraph.Node> producers = new HashMap<>();
    private final Map<String, List<OnnxGraph.Node>> consumers = new HashMap<>();

    private OnnxBertLoader(OnnxGraph graph, String what) {
        this.graph = graph;
        this.what = what;
        for (OnnxGraph.Node n : graph.nodes()) {
            for (String out : n.outputs()) {
                producers.put(out, n);
            }
            for (String in : n.inputs()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
    }

    /** Weights of the BERT model in {@code graph}; {@code what} names the model in errors. */
    public static BertWeights load(OnnxGraph graph, String what) {
        return new OnnxBertLoader(graph, what).load();
    }

    private BertWeights load() {
        Map<String, Tensor> named = new HashMap<>();
        for (OnnxTensor t : graph.initializers().values()) {
            if (t.dataType() == OnnxTensor.FLOAT && !t.name().startsWith("onnx::")) {
                named.put(t.name(), tensor(t));
            }
        }
        placeMatMulWeights(named);
        BertConfig config = config(named);
        return BertWeights.of(config, named::get, what);
    }

    private void placeMatMulWeights(Map<String, Tensor> named) {
        for (OnnxGraph.Node n : graph.nodes()) {
            if (!n.opType().equals("MatMul") || n.inputs().size() != 2) {
                continue;
            }
            OnnxTensor w = graph.initializers().get(n.inputs().get(1));
            if (w == null || w.dataType() != OnnxTensor.FLOAT || w.dims().length != 2) {
                continue;
            }
            String bias = null;
            for (OnnxGraph.Node add : consumers.getOrDefault(n.outputs().get(0), List.of())) {
                if (!add.opType().equals("Add")) {
                    continue;
                }
                for (String in : add.inputs()) {
                    if (in.endsWith(".bias") && graph.initializers().containsKey(in)) {
                        bias = in;
                    }
                }
            }
            if (bias == null) {
                continue;
            }
            String name = bias.substring(0, bias.length() - ".bias".length()) + ".weight";
            if (named.containsKey(name)) {
                throw new BadInputException(what + " has two weights for '" + name + "'; the graph is not a plain"
                        + " BertModel export");
            }
            named.put(name, tensor(w).transpose2d());
        }
    }

    private BertConfig config(Map<String, Tensor> named) {
        Tensor words = require(named, "embeddings.word_embeddings.weight");
        Tensor positions = require(named, "embeddings.position_embeddings.weight");
        Tensor types = require(named, "embeddings.token_type_embeddings.weight");
        Tensor intermediate = require(named, BertWeights.layer(0, "intermediate.dense.bias"));
        int layers = 0;
        for (String name : named.keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
            }
        }
        int hidden = words.shape()[1];
        requireErfGelu();
        return new BertConfig(words.shape()[0], hidden, layers, heads(hidden), intermediate.shape()[0],
                positions.shape()[0], types.shape()[0], layerNormEps());
    }

    private Tensor require(Map<String, Tensor> named, String name) {
        Tensor t = named.get(name);
        if (t == null) {
            throw new BadInputException(what + " lacks tensor '" + name + "'; is it an ONNX export of a BERT model?");
        }
        return t;
    }

    /** Heads from the Reshape of the layer-0 query to (batch, seq, heads, head_dim), or a fused op's attribute. */
    private int heads(int hidden) {
        for (OnnxGraph.Node n : graph.nodes()) {
            if (n.attributes().containsKey("num_heads")) {
                return (int) n.attributes().get("num_heads").i();
            }
        }
        OnnxGraph.Node add = null;
        for (OnnxGraph.Node n : consumers.getOrDefault(BertWeights.layer(0, "attention.self.query.bias"), List.of())) {
            if (n.opType().equals("Add")) {
                add = n;
            }
        }
        if (add != null) {
            for (OnnxGraph.Node reshape : consumers.getOrDefault(add.outputs().get(0), List.of())) {
                if (!reshape.opType().equals("Reshape")) {
                    continue;
                }
                long[] shape = shapeOf(reshape.inputs().get(1));
                if (shape != null && shape.length == 4 && shape[2] > 0 && shape[2] * shape[3] == hidden) {
                    return (int) shape[2];
                }
            }
        }
        throw new BadInputException(what + ": cannot find how many attention heads the model has (no Reshape of"
                + " the query into heads); export it from Hugging Face's BertModel with torch.onnx.export");
    }

    /** The value of a shape tensor: a constant, or a Concat of constants (dynamic dims as -1). */
    private long[] shapeOf(String name) {
        long[] constant = longs(name);
        if (constant != null) {
            return constant;
        }
        OnnxGraph.Node concat = producers.get(name);
        if (concat == null || !concat.opType().equals("Concat")) {
            return null;
        }
        long[] shape = new long[concat.inputs().size()];
        for (int k = 0; k < shape.length; k++) {
            long[] part = longs(concat.inputs().get(k));
            shape[k] = part != null && part.length == 1 ? part[0] : -1;
        }
        return shape;
    }

    private long[] longs(String name) {
        OnnxTensor t = constant(name);
        return t == null ? null : t.longs();
    }

    private OnnxTensor constant(String name) {
        OnnxTensor init = graph.initializers().get(name);
        if (init != null) {
            return init;
        }
        OnnxGraph.Node p = producers.get(name);
        if (p != null && p.opType().equals("Constant") && p.attributes().containsKey("value")) {
            return p.attributes().get("value").t();
        }
        return null;
    }

    /**
     * LayerNorm epsilon: PyTorch exports LayerNorm as {@code (x - mean) / Sqrt(var + eps) * w + b}, so eps
     * is the constant in the Add under the Sqrt under the Div that the weight multiplies; newer opsets
     * export one LayerNormalization node with an {@code epsilon} attribute.
     */
    private float layerNormEps() {
        String weight = "embeddings.LayerNorm.weight";
        for (OnnxGraph.Node n : consumers.getOrDefault(weight, List.of())) {
            if (n.opType().equals("LayerNormalization")) {
                OnnxGraph.Attribute eps = n.attributes().get("epsilon");
                return eps == null ? 1e-5f : eps.f();
            }
            if (!n.opType().equals("Mul")) {
                continue;
            }
            OnnxGraph.Node div = producers.get(other(n, weight));
            OnnxGraph.Node sqrt = div != null && div.opType().equals("Div") ? producers.get(div.inputs().get(1)) : null;
            OnnxGraph.Node add = sqrt != null && sqrt.opType().equals("Sqrt") ? producers.get(sqrt.inputs().get(0)) : null;
            if (add != null && add.opType().equals("Add")) {
                for (String in : add.inputs()) {
                    OnnxTensor c = constant(in);
                    if (c != null && c.floats() != null && c.floats().length == 1) {
                        return c.floats()[0];
                    }
                }
            }
        }
        throw new BadInputException(what + ": cannot find the LayerNorm epsilon (neither a LayerNormalization node"
                + " nor the exported (x - mean) / sqrt(var + eps) pattern); re-export the model");
    }

    private static String other(OnnxGraph.Node binary, String input) {
        return binary.inputs().get(0).equals(input) ? binary.inputs().get(1) : binary.inputs().get(0);
    }

    /**
     * The feed-forward activation must be exact GELU, exported as Erf. A Tanh alone (the pooler has one)
     * says nothing; a graph without Erf uses some other activation.
     */
    private void requireErfGelu() {
        for (OnnxGraph.Node n : graph.nodes()) {
            if (n.opType().equals("Erf")) {
                return;
            }
        }
        throw new BadInputException(what + " has no Erf node, so its activation is not GELU in the erf form; only"
                + " BERT models with hidden_act 'gelu' are supported");
    }

    private Tensor tensor(OnnxTensor t) {
        int[] shape = new int[t.dims().length];
        for (int k = 0; k < shape.length; k++) {
            shape[k] = Math.toIntExact(t.dims()[k]);
        }
        return new Tensor(shape, t.floats());
    }
}
