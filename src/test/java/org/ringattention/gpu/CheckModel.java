package org.ringattention.gpu;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.ringattention.model.BertCheckpoint;
import org.ringattention.model.BertConfig;
import org.ringattention.model.BertWeights;
import org.ringattention.model.Tensor;

/**
 * Writes the device check's model (bench/gpu-bundle.sh): the bundled all-MiniLM-L6-v2 with every weight
 * rounded to bf16 and the vocabulary cut to its first {@value #VOCAB} ids, as config.json +
 * model.safetensors (BF16), about 23 MB instead of the jar's 83. The check compares GPU and CPU (and
 * PyTorch) on the same weights, so the rounding changes nothing it measures; the architecture and the
 * sizes of every layer are MiniLM's.
 *
 * <pre>java ... org.ringattention.gpu.CheckModel OUT_DIR</pre>
 */
public final class CheckModel {

    /** Ids kept: [PAD], [unused], [CLS]=101, [SEP]=102, ... up to 1999 (the check's sentences use 999..1999). */
    static final int VOCAB = 2000;

    private CheckModel() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        BertWeights w = BertCheckpoint.bundledMiniLm();
        BertConfig c = w.config();
        BertConfig cut = new BertConfig(VOCAB, c.hiddenSize(), c.layers(), c.heads(), c.intermediateSize(),
                c.maxPositions(), c.typeVocabSize(), c.layerNormEps());
        Files.writeString(dir.resolve("config.json"), org.ringattention.model.CheckpointWriter.configJson(cut), StandardCharsets.UTF_8);
        Map<String, Tensor> tensors = new TreeMap<>(w.tensors());
        Tensor word = tensors.get("embeddings.word_embeddings.weight");
        tensors.put("embeddings.word_embeddings.weight", new Tensor(new int[] {VOCAB, c.hiddenSize()},
                Arrays.copyOf(word.data(), VOCAB * c.hiddenSize())));
        writeBf16(dir.resolve("model.safetensors"), tensors);
        System.err.println("check model: " + dir + " (" + Files.size(dir.resolve("model.safetensors")) / 1024 / 1024 + " MiB)");
    }

    /** safetensors: 8-byte header length, JSON header, then each tensor as little-endian bf16 (round to nearest even). */
    static void writeBf16(Path file, Map<String, Tensor> tensors) throws IOException {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long bytes = e.getValue().data().length * 2L;
            if (header.length() > 1) {
                header.append(',');
            }
            header.append('"').append(e.getKey()).append("\":{\"dtype\":\"BF16\",\"shape\":")
                    .append(Arrays.toString(e.getValue().shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        while (header.length() % 8 != 0) {
            header.append(' ');
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            out.write(h);
            for (Tensor t : tensors.values()) {
                ByteBuffer b = ByteBuffer.allocate(t.data().length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : t.data()) {
                    int bits = Float.floatToRawIntBits(x);
                    b.putShort((short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
                }
                out.write(b.array());
            }
        }
    }
}
