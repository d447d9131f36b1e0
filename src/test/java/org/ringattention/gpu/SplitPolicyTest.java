package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SplitPolicyTest {

    @Test
    void halvesQueryRowsOnTileEdges() {
        assertEquals(List.of(new SplitPolicy.Rows(10, 266), new SplitPolicy.Rows(266, 500)),
                SplitPolicy.halves(new SplitPolicy.Rows(10, 500), 64));
        assertEquals(List.of(new SplitPolicy.Rows(0, 128), new SplitPolicy.Rows(128, 130)),
                SplitPolicy.halves(new SplitPolicy.Rows(0, 130), 128));
    }

    @Test
    void oneTileCannotBeSplit() {
        assertEquals(List.of(), SplitPolicy.halves(new SplitPolicy.Rows(0, 64), 64));
        assertEquals(List.of(), SplitPolicy.halves(new SplitPolicy.Rows(5, 6), 64));
        assertEquals(0, SplitPolicy.smallerChunk(64, 64));
    }

    @Test
    void halvesKeyChunksOnTileEdges() {
        assertEquals(4096, SplitPolicy.smallerChunk(8192, 64));
        assertEquals(128, SplitPolicy.smallerChunk(192, 64));
        assertEquals(64, SplitPolicy.smallerChunk(128, 64));
    }

    @Test
    void everyHalvingMakesBothHalvesSmallerAndCoversTheRows() {
        SplittableRandom random = new SplittableRandom(6);
        int checked = 0;
        for (int trial = 0; trial < 500; trial++) {
            int from = random.nextInt(100);
            SplitPolicy.Rows r = new SplitPolicy.Rows(from, from + 1 + random.nextInt(300));
            int tile = random.nextBoolean() ? 64 : 128;
            List<SplitPolicy.Rows> h = SplitPolicy.halves(r, tile);
            if (h.isEmpty()) {
                assertTrue(r.count() <= tile);
                continue;
            }
            assertTrue(h.get(0).count() < r.count() && h.get(1).count() < r.count());
            assertEquals(r.from(), h.get(0).from());
            assertEquals(h.get(0).to(), h.get(1).from());
            assertEquals(r.to(), h.get(1).to());
            assertEquals(0, h.get(0).count() % tile, "cut on a query tile edge");
            checked++;
        }
        assertTrue(checked > 300, "checked " + checked);
    }

    @Test
    void partsRunInRowOrderAndOnlyWhatOverflowsIsSplit() {
        List<String> log = new ArrayList<>();
        List<SplitPolicy.Rows> parts = new ArrayList<>();
        SplitPolicy.runSplitting(new SplitPolicy.Rows(0, 300), 64, r -> {
            if (r.count() > 100) {
                throw new SplitPolicy.TooLarge(SplitPolicy.Side.QUERIES, "over budget", null);
            }
            parts.add(r);
        }, log::add);
        assertEquals(List.of(new SplitPolicy.Rows(0, 64), new SplitPolicy.Rows(64, 128), new SplitPolicy.Rows(128, 192),
                new SplitPolicy.Rows(192, 256), new SplitPolicy.Rows(256, 300)), parts);
        assertEquals(4, log.size(), "one line per split: " + log);
    }

    @Test
    void aKeySideFailureIsNotSplitAsQueries() {
        SplitPolicy.TooLarge keys = new SplitPolicy.TooLarge(SplitPolicy.Side.KEYS, "slots", null);
        assertSame(keys, assertThrows(SplitPolicy.TooLarge.class, () -> SplitPolicy.runSplitting(
                new SplitPolicy.Rows(0, 300), 64, r -> {
                    throw keys;
                }, m -> { })));
    }

    @Test
    void unsplittableRowsFailNamingTheirSize() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SplitPolicy.runSplitting(
                new SplitPolicy.Rows(0, 100), 64, r -> {
                    throw new SplitPolicy.TooLarge(SplitPolicy.Side.QUERIES, "GPU 0: out of memory", null);
                }, m -> { }));
        assertEquals("even 64 query rows do not fit (GPU 0: out of memory); free GPU memory or use --device cpu",
                e.getMessage());
    }

    @Test
    void rowsMustBeNonEmpty() {
        assertThrows(IllegalArgumentException.class, () -> new SplitPolicy.Rows(3, 3));
        assertThrows(IllegalArgumentException.class, () -> new SplitPolicy.Rows(-1, 2));
    }
}
