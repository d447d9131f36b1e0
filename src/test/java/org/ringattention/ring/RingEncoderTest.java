package org.ringattention.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.TokenIndex;
import org.ringattention.encoder.BertEncoder;
import org.ringattention.encoder.EncoderCache;
import org.ringattention.encoder.KernelAttention;
import org.ringattention.encoder.SentenceEmbedder;
import org.ringattention.encoder.SentenceTokenizer;
import org.ringattention.encoder.TokenSequence;

/** The encoder with every layer's attention on the ring equals the single-machine encoder within 1e-4. */
class RingEncoderTest {

    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("RingEncoderTest")
                .config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void ringEncoderMatchesTheSingleMachineEncoderOn512Tokens() throws Exception {
        int[][] ids;
        try (SentenceTokenizer tokenizer = SentenceTokenizer.bundledMiniLm()) {
            ids = tokenizer.encode(List.of(Files.readString(Path.of("jobs/samples/history-of-the-printing-press.txt"))));
        }
        assertTrue(ids[0].length > 512, "the sample is longer than the model's positions");
        SentenceEmbedder.fit(ids, 512, SentenceEmbedder.Overlong.TRUNCATE, 1);
        int s = ids[0].length;
        assertEquals(512, s);
        TokenSequence seq = new TokenSequence(ids[0], new int[s], TokenIndex.contiguous(0, s, null));
        BertEncoder encoder = EncoderCache.get("");
        float[] expected;
        try (CpuAttentionKernel kernel = CpuAttentionKernel.create(64, 1)) {
            expected = encoder.forward(seq, new KernelAttention(kernel));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int checked = 0;
        for (int partitions : new int[] {2, 4}) {
            float[] got = new RingEncoder(jsc, "", RingConfig.of(partitions).withBlockSize(64)).forward(seq);
            assertEquals(expected.length, got.length);
            double max = 0;
            for (int i = 0; i < got.length; i++) {
                max = Math.max(max, Math.abs(got[i] - expected[i]));
            }
            assertTrue(max <= 1e-4, "P=" + partitions + ": max abs error " + max);
            checked++;
        }
        assertEquals(2, checked);
    }
}
