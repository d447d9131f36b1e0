package org.ringattention.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LayoutTest {

    @Test
    void everyTokenHasExactlyOnePositionAndPairsAddUp() {
        int checked = 0;
        for (Layout layout : Layout.values()) {
            for (int parts : new int[] {1, 2, 3, 4, 7}) {
                for (int length : new int[] {1, 5, 13, 64, 203}) {
                    int[] owners = new int[length];
                    long causalPairs = 0;
                    for (int r = 0; r < parts; r++) {
                        int[] tokens = layout.tokens(r, length, parts, 0, length);
                        for (int i = 0; i < tokens.length; i++) {
                            owners[tokens[i]]++;
                            assertTrue(i == 0 || tokens[i] > tokens[i - 1], layout + ": ascending");
                            causalPairs += tokens[i] + 1;
                        }
                        assertEquals(IntStream.of(tokens).asLongStream().map(i -> i + 1).sum(),
                                layout.visiblePairs(r, length, parts, true), layout + " causal pairs of " + r);
                        assertEquals((long) tokens.length * length, layout.visiblePairs(r, length, parts, false));
                    }
                    assertArrayEquals(IntStream.generate(() -> 1).limit(length).toArray(), owners,
                            layout + " P=" + parts + " S=" + length);
                    assertEquals((long) length * (length + 1) / 2, causalPairs);
                    checked++;
                }
            }
        }
        assertEquals(3 * 5 * 5, checked);
    }

    @Test
    void restrictingToABlockKeepsOnlyItsTokens() {
        for (Layout layout : Layout.values()) {
            int[] all = layout.tokens(2, 100, 4, 0, 100);
            int[] block = layout.tokens(2, 100, 4, 30, 70);
            assertArrayEquals(IntStream.of(all).filter(i -> i >= 30 && i < 70).toArray(), block, layout.toString());
        }
    }

    @Test
    void layoutsPlaceTokensAsThePapersSay() {
        assertArrayEquals(new int[] {4, 5, 6, 7}, Layout.CONTIGUOUS.tokens(1, 16, 4, 0, 16));
        // 2P = 8 chunks of 2: position 1 holds chunks 1 and 6.
        assertArrayEquals(new int[] {2, 3, 12, 13}, Layout.ZIGZAG.tokens(1, 16, 4, 0, 16));
        assertArrayEquals(new int[] {1, 5, 9, 13}, Layout.STRIPED.tokens(1, 16, 4, 0, 16));
    }

    @Test
    void balancedLayoutsEvenOutCausalWork() {
        int parts = 4;
        int length = 4096;
        assertTrue(ratio(Layout.CONTIGUOUS, parts, length) > 1.7);
        assertTrue(ratio(Layout.ZIGZAG, parts, length) < 1.001);
        assertTrue(ratio(Layout.STRIPED, parts, length) < 1.001);
        assertEquals(Layout.ZIGZAG, Layout.auto(true));
        assertEquals(Layout.CONTIGUOUS, Layout.auto(false));
    }

    @Test
    void parseNamesTheChoices() {
        assertEquals(Layout.STRIPED, Layout.parse("striped"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Layout.parse("diagonal"));
        assertTrue(e.getMessage().contains("contiguous, zigzag or striped"), e.getMessage());
    }

    private static double ratio(Layout layout, int parts, int length) {
        long[] work = IntStream.range(0, parts).mapToLong(r -> layout.visiblePairs(r, length, parts, true)).toArray();
        double mean = IntStream.range(0, parts).mapToDouble(r -> work[r]).average().orElseThrow();
        return IntStream.range(0, parts).mapToDouble(r -> work[r]).max().orElseThrow() / mean;
    }
}
