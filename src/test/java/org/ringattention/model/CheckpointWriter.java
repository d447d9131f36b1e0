package org.ringattention.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Writes checkpoints in the formats the project reads (Hugging Face's {@code config.json} and safetensors),
 * for tests and the device check's model: the job only reads them.
 */
public final class CheckpointWriter {

    private CheckpointWriter() {
    }

    /** Writes {@code weights} as a Hugging Face directory: {@code config.json} and {@code model.safetensors}. */
    public static void write(BertWeights weights, Path dir) throws IOException {
        Files.createDirectories(dir);
        safetensors(dir.resolve("model.safetensors"), weights.tensors());
        Path config = dir.resolve("config.json");
        Path tmp = Files.createTempFile(dir, ".config", ".tmp");
        Files.writeString(tmp, configJson(weights.config()), StandardCharsets.UTF_8);
        Files.move(tmp, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** {@code config} as the {@code config.json} Hugging Face's {@code BertModel} reads. */
    public static String configJson(BertConfig config) {
        JsonObject o = new JsonObject();
        o.addProperty("model_type", "bert");
        JsonArray arch = new JsonArray();
        arch.add("BertModel");
        o.add("architectures", arch);
        o.addProperty("vocab_size", config.vocabSize());
        o.addProperty("hidden_size", config.hiddenSize());
        o.addProperty("num_hidden_layers", config.layers());
        o.addProperty("num_attention_heads", config.heads());
        o.addProperty("intermediate_size", config.intermediateSize());
        o.addProperty("max_position_embeddings", config.maxPositions());
        o.addProperty("type_vocab_size", config.typeVocabSize());
        o.addProperty("layer_norm_eps", config.layerNormEps());
        o.addProperty("hidden_act", "gelu");
        o.addProperty("position_embedding_type", "absolute");
        return new GsonBuilder().setPrettyPrinting().create().toJson(o);
    }

    /** Writes {@code tensors} as F32, in map order, to {@code file} (complete or not at all). */
    public static void safetensors(Path file, Map<String, Tensor> tensors) throws IOException {
        JsonObject header = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("format", "pt");
        header.add("__metadata__", meta);
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            JsonObject o = new JsonObject();
            o.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (int d : e.getValue().shape()) {
                shape.add(d);
            }
            o.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += 4L * e.getValue().data().length;
            offsets.add(offset);
            o.add("data_offsets", offsets);
            header.add(e.getKey(), o);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        // The format pads the header with spaces so the data starts 8-byte aligned.
        int padded = (json.length + 7) / 8 * 8;
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(padded).put(json);
                while (head.hasRemaining()) {
                    head.put((byte) ' ');
                }
                head.flip();
                writeFully(ch, head);
                for (Tensor t : tensors.values()) {
                    ByteBuffer b = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(t.data());
                    writeFully(ch, b);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
