package org.ringattention.encoder;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.ringattention.model.BertCheckpoint;

/**
 * ONNX Runtime on the bundled all-MiniLM-L6-v2 file: the trusted engine the encoder is compared with.
 * Sentences of a batch are right-padded to the longest, with attention_mask 0 on the padding, as
 * sentence-transformers feeds them. Session options are ONNX Runtime's defaults (all graph optimizations,
 * sequential execution) but for the thread count, as a user who asks for T threads would set them.
 */
final class OrtReference implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtReference(int threads) throws IOException, OrtException {
        byte[] model;
        try (InputStream in = BertCheckpoint.resource(BertCheckpoint.BUNDLED_ONNX)) {
            model = in.readAllBytes();
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        session = env.createSession(model, options);
    }

    /** Last hidden states of sentences {@code [from, to)} run as one padded batch, each {@code (tokens, 384)}. */
    float[][] lastHiddenStates(int[][] ids, int from, int to) throws OrtException {
        int n = to - from;
        int longest = 0;
        for (int i = from; i < to; i++) {
            longest = Math.max(longest, ids[i].length);
        }
        long[][] inputIds = new long[n][longest];
        long[][] mask = new long[n][longest];
        long[][] types = new long[n][longest];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < ids[from + i].length; j++) {
                inputIds[i][j] = ids[from + i][j];
                mask[i][j] = 1;
            }
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, inputIds);
             OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            float[][][] out = (float[][][]) r.get(0).getValue();
            float[][] hidden = new float[n][];
            for (int i = 0; i < n; i++) {
                int len = ids[from + i].length;
                int h = out[i][0].length;
                hidden[i] = new float[len * h];
                for (int j = 0; j < len; j++) {
                    System.arraycopy(out[i][j], 0, hidden[i], j * h, h);
                }
            }
            return hidden;
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
