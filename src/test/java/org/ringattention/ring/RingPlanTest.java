package org.ringattention.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RingPlanTest {

    /** A corpus of mixed lengths: a few long documents and many short ones. */
    static List<RingPlan.DocumentInfo> mixedCorpus(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<RingPlan.DocumentInfo> docs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            int length = i % 15 == 0 ? 2000 + random.nextInt(3000) : 20 + random.nextInt(400);
            docs.add(new RingPlan.DocumentInfo(String.format("doc-%03d", i), length, 0, 0));
        }
        return docs;
    }

    @Test
    void mixedBatchesAreBalancedWithinTarget() {
        int checked = 0;
        for (boolean causal : new boolean[] {false, true}) {
            for (int parts : new int[] {2, 3, 4, 7}) {
                for (long seed = 1; seed <= 5; seed++) {
                    List<RingPlan.DocumentInfo> docs = mixedCorpus(seed);
                    long tokens = docs.stream().mapToLong(RingPlan.DocumentInfo::length).sum();
                    RingPlan plan = RingPlan.of(docs, parts, Layout.auto(causal), causal,
                            (int) ((tokens + parts - 1) / parts));
                    assertTrue(plan.imbalance() <= RingPlan.TARGET_IMBALANCE,
                            "P=" + parts + " causal=" + causal + " seed " + seed + ": " + plan.imbalance());
                    assertTrue(plan.ringDocuments() < docs.size(), "short documents stay local");
                    checked++;
                }
            }
        }
        assertEquals(2 * 4 * 5, checked);
    }

    @Test
    void documentsLongerThanTheLimitRideTheRing() {
        List<RingPlan.DocumentInfo> docs = List.of(new RingPlan.DocumentInfo("a", 1000, 0, 0),
                new RingPlan.DocumentInfo("b", 10, 0, 0));
        RingPlan plan = RingPlan.of(docs, 4, Layout.ZIGZAG, true, 100);
        assertTrue(plan.onRing(plan.indexOf("a")));
        assertFalse(plan.onRing(plan.indexOf("b")));
        assertTrue(plan.home(plan.indexOf("b")) >= 0);
    }

    @Test
    void contiguousCausalCannotBeBalancedAndSaysSo() {
        RingPlan plan = RingPlan.of(List.of(new RingPlan.DocumentInfo("a", 4096, 0, 0)), 4, Layout.CONTIGUOUS, true, 0);
        assertTrue(plan.imbalance() > 1.7, "contiguous causal: " + plan.imbalance());
    }

    @Test
    void segmentIdsOfDocumentsNeverCollide() {
        RingPlan plan = RingPlan.of(List.of(new RingPlan.DocumentInfo("a", 10, -5, 5),
                new RingPlan.DocumentInfo("b", 10, 100, 102)), 2, Layout.CONTIGUOUS, false, 0);
        int a = plan.indexOf("a");
        int b = plan.indexOf("b");
        assertEquals(plan.segment(a, 5) + 1, plan.segment(b, 100));
        assertEquals(0, plan.segment(a, -5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RingPlan.of(
                List.of(new RingPlan.DocumentInfo("x", 1, 0, 0), new RingPlan.DocumentInfo("x", 1, 0, 0)),
                2, Layout.CONTIGUOUS, false, 0));
        assertTrue(e.getMessage().contains("document x is listed twice"), e.getMessage());
    }
}
