package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyChunksTest {

    @Test
    void smallBlocksAreOneChunk() {
        KeyChunks c = KeyChunks.of(1000);
        assertEquals(1, c.count());
        assertEquals(0, c.from(0));
        assertEquals(1000, c.rows(0));
    }

    @Test
    void chunksCoverTheKeysInOrderOnTileEdges() {
        int checked = 0;
        for (int keys : new int[] {1, 63, 8192, 8193, 20000, 3 * 8192, 100_003}) {
            KeyChunks c = KeyChunks.of(keys);
            int next = 0;
            for (int i = 0; i < c.count(); i++) {
                assertEquals(next, c.from(i), keys + " keys, chunk " + i);
                assertTrue(c.rows(i) >= 1 && c.rows(i) <= KeyChunks.MAX_KEYS);
                if (i + 1 < c.count()) {
                    assertEquals(0, c.rows(i) % 64, "only the last chunk may end inside a key tile");
                }
                next += c.rows(i);
                checked++;
            }
            assertEquals(keys, next, keys + " keys covered");
        }
        assertEquals(1 + 1 + 1 + 2 + 3 + 3 + 13, checked);
    }

    @Test
    void refusesEmptyChunkingAndChunksOffTileEdges() {
        assertThrows(IllegalArgumentException.class, () -> KeyChunks.of(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyChunks.of(1000, 100));
        assertEquals("key chunks must be a positive multiple of 64 keys, got 100", e.getMessage());
        KeyChunks small = KeyChunks.of(300, 128);
        assertEquals(3, small.count());
        assertEquals(44, small.rows(2));
    }
}
