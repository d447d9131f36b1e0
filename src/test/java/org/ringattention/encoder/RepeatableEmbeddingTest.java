package org.ringattention.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.ringattention.model.BertCheckpoint;

/**
 * The same sentences give the same bits on every call of a fresh encoder, while the JIT moves the
 * vector code from the interpreter to compiled code (Spark retries and reruns rely on it). With the
 * incubator's own exp and lane reduction, the first calls differed from later ones in the last bit.
 */
class RepeatableEmbeddingTest {

    @Test
    void repeatedCallsGiveIdenticalBits() {
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            sentences.add("Sentence number " + i + " talks about rivers, printing presses and night shifts.");
        }
        try (SentenceTokenizer tokenizer = SentenceTokenizer.bundledMiniLm();
             BertEncoder encoder = BertEncoder.create(BertCheckpoint.bundledMiniLm(), BertEncoder.DEFAULT_BLOCK_SIZE, 1)) {
            SentenceEmbedder embedder = new SentenceEmbedder(encoder, 256);
            int[][] ids = tokenizer.encode(sentences);
            float[] first = embedder.embed(ids);
            for (int call = 0; call < 5; call++) {
                assertArrayEquals(first, embedder.embed(ids), "call " + (call + 2));
            }
        }
    }

    @Test
    void passesOnASharedPoolGiveTheSameBitsAsOneThread() throws Exception {
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            sentences.add("Line " + i + " of the log: the " + "night ".repeat(i % 7) + "job wrote its tables.");
        }
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (SentenceTokenizer tokenizer = SentenceTokenizer.bundledMiniLm();
             BertEncoder encoder = BertEncoder.create(BertCheckpoint.bundledMiniLm(), BertEncoder.DEFAULT_BLOCK_SIZE, 1)) {
            int[][] ids = tokenizer.encode(sentences);
            float[] alone = new SentenceEmbedder(encoder, 64).embed(ids);
            SentenceEmbedder pooled = new SentenceEmbedder(encoder, 64, pool);
            // Two callers at once, as two Spark tasks of one executor: each gets its own sentences' rows.
            ExecutorService caller = Executors.newSingleThreadExecutor();
            Future<float[]> other = caller.submit(() -> pooled.embed(ids));
            assertArrayEquals(alone, pooled.embed(ids));
            assertArrayEquals(alone, other.get());
            caller.shutdown();
        } finally {
            pool.shutdownNow();
        }
    }
}
