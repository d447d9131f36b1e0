package org.ringattention.gpu;

/**
 * How the keys of one block are streamed through the device: chunks of {@code size} keys (the last
 * may be shorter), folded into the resident query state one after the other in key order, which is
 * exact (the online softmax is a fold over key blocks, BPT Algorithm 1). Chunk c+1 is copied while
 * chunk c is computed; a chunk of {@value #MAX_KEYS} keys keeps each copy long enough to hide behind
 * a kernel and each slot small next to the query side.
 */
public record KeyChunks(int keys, int size) {

    /** Keys per chunk at most; a multiple of every kernel's key tile, so only the last tile of a block is short. */
    static final int MAX_KEYS = 8192;

    /** The largest key tile of any kernel: chunks are whole numbers of it. */
    static final int TILE = 64;

    public KeyChunks {
        if (keys < 1 || size < 1 || size > keys) {
            throw new IllegalArgumentException("bad key chunking: " + keys + " keys in chunks of " + size);
        }
    }

    /** Chunks of up to {@value #MAX_KEYS} for {@code keys} keys. */
    public static KeyChunks of(int keys) {
        return of(keys, MAX_KEYS);
    }

    /** Chunks of up to {@code maxKeys} (a multiple of {@value #TILE}, the largest key tile) for {@code keys} keys. */
    public static KeyChunks of(int keys, int maxKeys) {
        if (maxKeys < TILE || maxKeys % TILE != 0) {
            throw new IllegalArgumentException("key chunks must be a positive multiple of 64 keys, got " + maxKeys);
        }
        return new KeyChunks(keys, Math.min(keys, maxKeys));
    }

    public int count() {
        return (keys + size - 1) / size;
    }

    /** First key of chunk {@code c}, relative to the block. */
    public int from(int c) {
        return c * size;
    }

    /** Keys in chunk {@code c}. */
    public int rows(int c) {
        return Math.min(size, keys - c * size);
    }
}
