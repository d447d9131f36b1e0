package org.ringattention.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;

/** Seeded documents for ring tests and the single-machine answers they are checked against. */
final class RingFixture {

    /** Max abs difference allowed between ring and single-machine outputs (issue 3). */
    static final double TOLERANCE = 1e-5;

    record Doc(String id, float[] q, float[] k, float[] v, int[] segments) {
    }

    private RingFixture() {
    }

    static Doc doc(AttentionSpec spec, String id, int length, int[] segments, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return new Doc(id, uniform(random, length * spec.queryRowWidth()), uniform(random, length * spec.kvRowWidth()),
                uniform(random, length * spec.kvRowWidth()), segments);
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return x;
    }

    /** Packed sub-documents with unordered, negative and gapped ids, as segment ids may come. */
    static int[] packedSegments(int length) {
        int[] ids = {7, -3, 7000, 2};
        int[] segments = new int[length];
        for (int i = 0; i < length; i++) {
            segments[i] = ids[Math.min(ids.length - 1, i * ids.length / length + (i % 13 == 0 ? 1 : 0))];
        }
        return segments;
    }

    /** The document cut into blocks of {@code rows} tokens (the last one shorter). */
    static List<DocumentBlock> blocks(AttentionSpec spec, Doc doc, int rows) {
        return DocumentBlock.split(doc.id(), spec, doc.q(), doc.k(), doc.v(), doc.segments(), rows);
    }

    /** The single-machine kernel's answer for one document. */
    static AttentionResult expected(AttentionSpec spec, Doc doc) {
        int length = doc.q().length / spec.queryRowWidth();
        TokenIndex index = TokenIndex.contiguous(0, length, doc.segments());
        try (CpuAttentionKernel kernel = CpuAttentionKernel.create(CpuAttentionKernel.DEFAULT_BLOCK_SIZE, 1)) {
            return kernel.attend(spec, new Queries(doc.q(), index), new KeysValues(doc.k(), doc.v(), index));
        }
    }

    /** Every document of {@code docs} is in {@code actual} and within {@link #TOLERANCE} of the kernel. */
    static void assertMatchesKernel(AttentionSpec spec, List<Doc> docs, Map<String, AttentionResult> actual,
                                    String label) {
        assertEquals(docs.size(), actual.size(), label + ": documents returned");
        for (Doc doc : docs) {
            AttentionResult want = expected(spec, doc);
            AttentionResult got = actual.get(doc.id());
            assertEquals(want.rows(), got.rows(), label + " " + doc.id() + ": rows");
            assertTrue(maxAbs(want.out(), got.out()) <= TOLERANCE,
                    label + " " + doc.id() + ": O differs by " + maxAbs(want.out(), got.out()));
            assertTrue(maxAbs(want.lse(), got.lse()) <= TOLERANCE,
                    label + " " + doc.id() + ": LSE differs by " + maxAbs(want.lse(), got.lse()));
        }
    }

    /** Two runs gave the same bits for every document. */
    static void assertBitIdentical(Map<String, AttentionResult> a, Map<String, AttentionResult> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String id : a.keySet()) {
            assertArrayEquals(a.get(id).out(), b.get(id).out(), id + ": O bits");
            assertArrayEquals(a.get(id).lse(), b.get(id).lse(), id + ": LSE bits");
        }
    }

    /** Max abs difference; equal infinities (rows that see no key) count as 0. */
    static double maxAbs(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                max = Math.max(max, Double.isNaN(a[i] - b[i]) ? Double.POSITIVE_INFINITY : Math.abs(a[i] - b[i]));
            }
        }
        return max;
    }
}
