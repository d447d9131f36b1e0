package org.ringattention.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ringattention.model.BertCheckpoint;
import org.ringattention.model.BertWeights;

/**
 * The encoder on the bundled all-MiniLM-L6-v2 weights against ONNX Runtime on the same model file
 * (issue 4): last hidden states within 1e-4 max abs over 60 sentences from 2 to 512 tokens, sentence
 * embeddings with cosine >= 0.99999.
 */
class OnnxRuntimeEqualityTest {

    private static BertWeights weights;
    private static SentenceTokenizer tokenizer;
    private static OrtReference ort;

    @BeforeAll
    static void load() throws Exception {
        weights = BertCheckpoint.bundledMiniLm();
        tokenizer = SentenceTokenizer.bundledMiniLm();
        ort = new OrtReference(2);
    }

    @AfterAll
    static void close() throws Exception {
        tokenizer.close();
        ort.close();
    }

    /** 20 written sentences, 30 short-to-medium synthetic ones, 10 long ones up to and past 512 tokens. */
    static int[][] sentences() {
        List<String> s = new ArrayList<>(TestSentences.written());
        s.addAll(TestSentences.synthetic(30, 3, 80, 11));
        s.addAll(TestSentences.synthetic(10, 150, 600, 12));
        int[][] ids = tokenizer.encode(s);
        SentenceEmbedder.fit(ids, 512, SentenceEmbedder.Overlong.TRUNCATE, 1);
        return ids;
    }

    @Test
    void lastHiddenStatesAndEmbeddingsMatchOnnxRuntime() throws Exception {
        int[][] ids = sentences();
        int longest = 0;
        int shortest = Integer.MAX_VALUE;
        for (int[] s : ids) {
            longest = Math.max(longest, s.length);
            shortest = Math.min(shortest, s.length);
        }
        assertEquals(60, ids.length);
        assertEquals(512, longest, "the set must reach the model's 512 positions");
        assertTrue(shortest <= 3, "the set must include near-empty sentences");

        try (BertEncoder encoder = BertEncoder.create(weights, BertEncoder.DEFAULT_BLOCK_SIZE, 2)) {
            SentenceEmbedder embedder = new SentenceEmbedder(encoder, 1024);
            float[][] ours = embedder.lastHiddenStates(ids);
            float[] ourEmbeddings = embedder.embed(ids);
            double maxAbs = 0;
            double minCos = 1;
            int h = encoder.config().hiddenSize();
            for (int i = 0; i < ids.length; i++) {
                float[] ref = ort.lastHiddenStates(ids, i, i + 1)[0];
                assertEquals(ref.length, ours[i].length);
                for (int k = 0; k < ref.length; k++) {
                    maxAbs = Math.max(maxAbs, Math.abs(ref[k] - ours[i][k]));
                }
                float[] refEmbedding = new float[h];
                SentenceEmbedder.pool(ref, 0, ids[i].length, h, refEmbedding, 0);
                double dot = 0;
                for (int c = 0; c < h; c++) {
                    dot += (double) refEmbedding[c] * ourEmbeddings[i * h + c];
                }
                minCos = Math.min(minCos, dot);
            }
            System.out.printf("encoder %s vs ONNX Runtime: max abs %.3g, min cosine %.9f over %d sentences%n",
                    encoder.mathName(), maxAbs, minCos, ids.length);
            assertTrue(maxAbs <= 1e-4, "max abs difference " + maxAbs + " exceeds 1e-4");
            assertTrue(minCos >= 0.99999, "min cosine " + minCos + " is below 0.99999");
        }
    }
}
