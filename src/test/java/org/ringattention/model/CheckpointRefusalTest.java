package org.ringattention.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.io.BadInputException;

/** Each input the loaders refuse (issue 4: formats, header size, external-data paths, missing tensors, shapes). */
class CheckpointRefusalTest {

    @TempDir
    Path dir;

    private String refusal(Path model) {
        return assertThrows(BadInputException.class, () -> BertCheckpoint.load(model)).getMessage();
    }

    private Path tinyCheckpoint() throws IOException {
        Path model = dir.resolve("tiny");
        CheckpointWriter.write(TinyBert.weights(1), model);
        return model;
    }

    @Test
    void tinyCheckpointLoadsSoTheRefusalsBelowAreAboutTheirOneDefect() throws IOException {
        BertWeights w = BertCheckpoint.load(tinyCheckpoint());
        assertEquals(TinyBert.CONFIG, w.config());
    }

    @Test
    void refusesPickleCheckpoints() throws IOException {
        Path model = Files.createDirectories(dir.resolve("torch"));
        Files.write(model.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2, 'c'});
        Files.writeString(model.resolve("config.json"), CheckpointWriter.configJson(TinyBert.CONFIG));
        String m = refusal(model);
        assertTrue(m.contains("pickle") && m.contains("safetensors"), m);
        assertTrue(refusal(model.resolve("pytorch_model.bin")).contains("pickle"));
    }

    @Test
    void refusesFilesThatAreNeitherSafetensorsNorOnnx() throws IOException {
        Path file = Files.writeString(dir.resolve("weights.npz"), "PK");
        assertTrue(refusal(file).contains("neither safetensors"), refusal(file));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertTrue(refusal(empty).contains("neither safetensors"));
        assertTrue(refusal(dir.resolve("missing")).contains("does not exist"));
    }

    @Test
    void refusesOversizedSafetensorsHeader() throws IOException {
        Path model = tinyCheckpoint();
        byte[] bytes = Files.readAllBytes(model.resolve("model.safetensors"));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Safetensors.MAX_HEADER_BYTES + 1);
        Files.write(model.resolve("model.safetensors"), bytes);
        String m = refusal(model);
        assertTrue(m.contains("header") && m.contains("at most " + Safetensors.MAX_HEADER_BYTES), m);
    }

    @Test
    void refusesTruncatedSafetensors() throws IOException {
        Path model = tinyCheckpoint();
        byte[] bytes = Files.readAllBytes(model.resolve("model.safetensors"));
        Files.write(model.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length - 4));
        assertTrue(refusal(model).contains("outside the"), refusal(model));
    }

    @Test
    void refusesSafetensorsHeaderThatIsNotJson() throws IOException {
        Path model = tinyCheckpoint();
        writeSafetensors(model, "{\"a\": [", new byte[0]);
        assertTrue(refusal(model).contains("not valid JSON"));
    }

    @Test
    void refusesUnsupportedDtypeAndOverlappingTensors() throws IOException {
        Path model = tinyCheckpoint();
        writeSafetensors(model, "{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        assertTrue(refusal(model).contains("dtype I64"));
        writeSafetensors(model, "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        assertTrue(refusal(model).contains("overlapping"));
        writeSafetensors(model, "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        assertTrue(refusal(model).contains("needs 12"));
    }

    @Test
    void refusesMissingTensor() throws IOException {
        Path model = tinyCheckpoint();
        Map<String, Tensor> tensors = new LinkedHashMap<>(Safetensors.read(model.resolve("model.safetensors")));
        tensors.remove("encoder.layer.1.output.dense.weight");
        CheckpointWriter.safetensors(model.resolve("model.safetensors"), tensors);
        String m = refusal(model);
        assertTrue(m.contains("lacks tensor 'encoder.layer.1.output.dense.weight'"), m);
    }

    @Test
    void refusesWrongShape() throws IOException {
        Path model = tinyCheckpoint();
        Map<String, Tensor> tensors = new LinkedHashMap<>(Safetensors.read(model.resolve("model.safetensors")));
        Tensor q = tensors.get("encoder.layer.0.attention.self.query.weight");
        tensors.put("encoder.layer.0.attention.self.query.weight", new Tensor(new int[] {8, 32}, q.data()));
        CheckpointWriter.safetensors(model.resolve("model.safetensors"), tensors);
        String m = refusal(model);
        assertTrue(m.contains("'encoder.layer.0.attention.self.query.weight' has shape [8, 32]")
                && m.contains("[16, 16]"), m);
    }

    @Test
    void refusesMissingOrUnsupportedConfig() throws IOException {
        Path model = tinyCheckpoint();
        String config = Files.readString(model.resolve("config.json"));
        Files.writeString(model.resolve("config.json"), config.replace("\"gelu\"", "\"relu\""));
        assertTrue(refusal(model).contains("hidden_act 'relu'"));
        Files.delete(model.resolve("config.json"));
        assertTrue(refusal(model).contains("config.json") && refusal(model).contains("missing"));
    }

    @Test
    void refusesOnnxExternalDataOutsideTheModelDirectory() throws IOException {
        Path model = Files.createDirectories(dir.resolve("onnx"));
        Files.write(dir.resolve("secret.bin"), new byte[16]);
        Files.write(model.resolve("model.onnx"), ProtoWriter.modelWithExternalInitializer("w", "../secret.bin", 4));
        String m = refusal(model);
        assertTrue(m.contains("outside the model directory"), m);

        Files.write(model.resolve("model.onnx"),
                ProtoWriter.modelWithExternalInitializer("w", dir.resolve("secret.bin").toString(), 4));
        assertTrue(refusal(model).contains("absolute external-data path"));

        Files.createSymbolicLink(model.resolve("link.bin"), dir.resolve("secret.bin"));
        Files.write(model.resolve("model.onnx"), ProtoWriter.modelWithExternalInitializer("w", "link.bin", 4));
        assertTrue(refusal(model).contains("links outside the model directory"));
    }

    @Test
    void readsOnnxExternalDataInsideTheModelDirectoryAndRefusesShortFiles() throws IOException {
        Path model = Files.createDirectories(dir.resolve("onnx"));
        Files.write(model.resolve("model.onnx"), ProtoWriter.modelWithExternalInitializer("w", "data/w.bin", 4));
        Files.createDirectories(model.resolve("data"));
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1f).putFloat(2f).putFloat(3f).putFloat(4f);
        Files.write(model.resolve("data/w.bin"), data.array());
        OnnxGraph g = OnnxGraph.read(model.resolve("model.onnx"));
        assertEquals(4f, g.initializers().get("w").floats()[3]);
        // The graph holds no BERT, so loading it as one is refused by name of the first missing tensor.
        assertTrue(refusal(model).contains("lacks tensor 'embeddings.word_embeddings.weight'"), refusal(model));

        Files.write(model.resolve("data/w.bin"), new byte[8]);
        assertTrue(assertThrows(BadInputException.class, () -> OnnxGraph.read(model.resolve("model.onnx")))
                .getMessage().contains("truncated"));
    }

    @Test
    void refusesBytesThatAreNotOnnx() throws IOException {
        Path file = dir.resolve("model.onnx");
        Files.write(file, "this is not a protobuf at all".getBytes(StandardCharsets.UTF_8));
        assertTrue(refusal(file).contains("not a valid ONNX protobuf") || refusal(file).contains("has no graph"),
                refusal(file));
    }

    private static void writeSafetensors(Path model, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(model.resolve("model.safetensors"), b.array());
    }
}
