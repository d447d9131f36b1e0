package org.ringattention.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.io.BadInputException;
import org.ringattention.model.BertCheckpoint;
import org.ringattention.model.BertConfig;
import org.ringattention.model.BertWeights;
import org.ringattention.model.Tensor;

/** The encoder on the bundled weights: loading, safetensors round trip, blocking/threading invariance, truncation. */
class BertEncoderTest {

    private static BertWeights weights;
    private static SentenceTokenizer tokenizer;

    @BeforeAll
    static void load() {
        weights = BertCheckpoint.bundledMiniLm();
        tokenizer = SentenceTokenizer.bundledMiniLm();
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static int[][] ids() {
        List<String> s = new ArrayList<>(TestSentences.written());
        s.addAll(TestSentences.synthetic(6, 20, 90, 5));
        return tokenizer.encode(s);
    }

    private static float[][] hidden(BertWeights w, int[][] ids, int blockSize, int threads, int tokensPerPass) {
        try (BertEncoder encoder = BertEncoder.create(w, blockSize, threads)) {
            return new SentenceEmbedder(encoder, tokensPerPass).lastHiddenStates(ids);
        }
    }

    private static float[][] hiddenThroughKernel(int[][] ids) {
        try (BertEncoder encoder = BertEncoder.create(weights, 64, 1);
             CpuAttentionKernel kernel = CpuAttentionKernel.create(64, 1)) {
            return new SentenceEmbedder(encoder, new KernelAttention(kernel), 4096).lastHiddenStates(ids);
        }
    }

    @Test
    void graphGivesMiniLmShapeAndLayerNormEpsilon() {
        assertEquals(new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f), weights.config());
    }

    @Test
    void safetensorsRoundTripGivesIdenticalWeightsAndOutputs(@TempDir Path dir) throws Exception {
        org.ringattention.model.CheckpointWriter.write(weights, dir);
        BertWeights back = BertCheckpoint.load(dir);
        assertEquals(weights.config(), back.config());
        assertEquals(weights.tensors().keySet(), back.tensors().keySet());
        for (Map.Entry<String, Tensor> e : weights.tensors().entrySet()) {
            assertArrayEquals(e.getValue().shape(), back.get(e.getKey()).shape(), e.getKey());
            assertArrayEquals(e.getValue().data(), back.get(e.getKey()).data(), e.getKey());
        }
        int[][] ids = ids();
        float[][] a = hidden(weights, ids, 64, 1, 512);
        float[][] b = hidden(back, ids, 64, 1, 512);
        for (int i = 0; i < ids.length; i++) {
            assertArrayEquals(a[i], b[i], "sentence " + i);
        }
    }

    @Test
    void blockSizeAndThreadsDoNotChangeABit() {
        int[][] ids = ids();
        float[][] a = hidden(weights, ids, 64, 1, 4096);
        float[][] b = hidden(weights, ids, 17, 2, 4096);
        for (int i = 0; i < ids.length; i++) {
            assertArrayEquals(a[i], b[i], "sentence " + i);
        }
    }

    @Test
    void packingSentencesTogetherEqualsEncodingEachAlone() {
        int[][] ids = ids();
        float[][] packed = hidden(weights, ids, 64, 1, 4096);
        float[][] alone = hidden(weights, ids, 64, 1, 1);
        // Each row's arithmetic is the same wherever the row sits in a pass, and a segment's attention reads only its own rows.
        for (int i = 0; i < ids.length; i++) {
            assertArrayEquals(alone[i], packed[i], "sentence " + i);
        }
    }

    @Test
    void segmentAttentionAgreesWithTheTiledKernel() {
        int[][] ids = ids();
        float[][] segments = hidden(weights, ids, 64, 1, 4096);
        float[][] kernel = hiddenThroughKernel(ids);
        double max = 0;
        for (int i = 0; i < ids.length; i++) {
            for (int k = 0; k < segments[i].length; k++) {
                max = Math.max(max, Math.abs(segments[i][k] - kernel[i][k]));
            }
        }
        // Only the order of the softmax sums differs (one pass against the kernel's online tiles): float32 rounding.
        assertTrue(max <= 1e-4, "segment attention and the kernel differ by " + max);
    }

    @Test
    void segmentAttentionRefusesASegmentSplitInTwo() {
        try (BertEncoder encoder = BertEncoder.create(weights, 64, 1)) {
            TokenIndex index = new TokenIndex(new int[] {0, 1, 0}, new int[] {0, 1, 0});
            float[] q = new float[3 * 384];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> encoder.segmentAttention()
                    .attend(0, encoder.attentionSpec(), new Queries(q, index), new KeysValues(q, q, index)));
            assertTrue(e.getMessage().contains("follows segment 1"), e.getMessage());
        }
    }

    @Test
    void embeddingsAreUnitLength() {
        int[][] ids = ids();
        try (BertEncoder encoder = BertEncoder.create(weights, 64, 1)) {
            float[] e = new SentenceEmbedder(encoder, 1024).embed(ids, 2, done -> { });
            for (int i = 0; i < ids.length; i++) {
                double norm = 0;
                for (int c = 0; c < 384; c++) {
                    norm += e[i * 384 + c] * e[i * 384 + c];
                }
                assertEquals(1.0, norm, 1e-5, "sentence " + i);
            }
        }
    }

    @Test
    void longSentencesAreTruncatedAndCountedOrRefused() {
        List<String> s = List.of("short one", String.join(" ", TestSentences.synthetic(1, 700, 700, 3)));
        int[][] ids = tokenizer.encode(s);
        assertTrue(ids[1].length > 512);
        int[] original = ids[1].clone();
        int[][] copy = {ids[0].clone(), ids[1].clone()};
        assertEquals(1, SentenceEmbedder.fit(ids, 512, SentenceEmbedder.Overlong.TRUNCATE, 1));
        assertEquals(512, ids[1].length);
        assertEquals(101, ids[1][0], "[CLS] stays first");
        assertEquals(102, ids[1][511], "[SEP] stays last");
        assertArrayEquals(java.util.Arrays.copyOf(original, 511), java.util.Arrays.copyOf(ids[1], 511));

        BadInputException e = assertThrows(BadInputException.class,
                () -> SentenceEmbedder.fit(copy, 512, SentenceEmbedder.Overlong.REFUSE, 41));
        assertTrue(e.getMessage().startsWith("sentence 42 has " + original.length + " tokens"), e.getMessage());
        assertFalse(e.getMessage().contains(s.get(1).substring(0, 10)), "no sentence text in errors");
    }

    @Test
    void refusesTokenIdsAndPositionsOutsideTheModel() {
        try (BertEncoder encoder = BertEncoder.create(weights, 64, 1)) {
            SentenceEmbedder embedder = new SentenceEmbedder(encoder, 1024);
            int[][] badId = {{101, 30522, 102}};
            assertTrue(assertThrows(IllegalArgumentException.class, () -> embedder.embed(badId)).getMessage()
                    .contains("has id 30522"));
            int[][] tooLong = {new int[513]};
            assertTrue(assertThrows(IllegalArgumentException.class, () -> embedder.embed(tooLong)).getMessage()
                    .contains("position 512"));
        }
    }
}
