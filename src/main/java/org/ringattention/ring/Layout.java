package org.ringattention.ring;

import java.util.Locale;

/**
 * How a document's tokens are sharded over the P ring positions (zigzag as in ring-flash-attention;
 * striped as in Striped Attention, Brandon et al., arXiv 2311.09431).
 *
 * <ul>
 *   <li>{@link #CONTIGUOUS}: position r holds tokens {@code [r S / P, (r + 1) S / P)}. Under a causal
 *       mask position 0 has one block of work and position P-1 has P.</li>
 *   <li>{@link #ZIGZAG}: the document is cut into 2P chunks; position r holds chunks r and 2P-1-r, so
 *       every position has one early (cheap) and one late (expensive) chunk.</li>
 *   <li>{@link #STRIPED}: token i goes to position {@code i mod P} (Striped Attention, Brandon et al.).</li>
 * </ul>
 * Chunk boundaries are {@code floor(c S / n)}, so any S works. Each position's tokens are listed in
 * ascending order; the kernel masks by original position, so the layout never changes the result.
 */
public enum Layout {
    CONTIGUOUS, ZIGZAG, STRIPED;

    /** Balanced (zigzag) for causal attention, where contiguous shards leave the ring lopsided; contiguous otherwise. */
    public static Layout auto(boolean causal) {
        return causal ? ZIGZAG : CONTIGUOUS;
    }

    /** Parses {@code contiguous}, {@code zigzag} or {@code striped}; the message names the accepted values. */
    public static Layout parse(String name) {
        for (Layout layout : values()) {
            if (layout.name().toLowerCase(Locale.ROOT).equals(name)) {
                return layout;
            }
        }
        throw new IllegalArgumentException("layout must be contiguous, zigzag or striped, got '" + name + "'");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Tokens of a {@code length}-token document that ring position {@code position} (of {@code parts})
     * holds, restricted to {@code [from, to)}, ascending.
     */
    public int[] tokens(int position, int length, int parts, int from, int to) {
        check(position, parts);
        switch (this) {
            case CONTIGUOUS:
                return range(chunkStart(position, length, parts), chunkStart(position + 1, length, parts), from, to);
            case ZIGZAG: {
                int[] early = range(chunkStart(position, length, 2 * parts),
                        chunkStart(position + 1, length, 2 * parts), from, to);
                int late = 2 * parts - 1 - position;
                int[] tail = range(chunkStart(late, length, 2 * parts), chunkStart(late + 1, length, 2 * parts), from, to);
                int[] both = java.util.Arrays.copyOf(early, early.length + tail.length);
                System.arraycopy(tail, 0, both, early.length, tail.length);
                return both;
            }
            case STRIPED: {
                int first = Math.max(from, 0);
                first += Math.floorMod(position - first, parts);
                int end = Math.min(to, length);
                int n = first >= end ? 0 : (end - 1 - first) / parts + 1;
                int[] out = new int[n];
                for (int i = 0; i < n; i++) {
                    out[i] = first + i * parts;
                }
                return out;
            }
            default:
                throw new AssertionError(this);
        }
    }

    /**
     * Visible (query, key) pairs whose query ring position {@code position} holds, for a document without
     * inner segments: {@code length} per query, or {@code i + 1} for query i under a causal mask. The
     * work model used to balance partitions.
     */
    public long visiblePairs(int position, int length, int parts, boolean causal) {
        check(position, parts);
        switch (this) {
            case CONTIGUOUS:
                return pairs(chunkStart(position, length, parts), chunkStart(position + 1, length, parts), length, causal);
            case ZIGZAG: {
                int late = 2 * parts - 1 - position;
                return pairs(chunkStart(position, length, 2 * parts), chunkStart(position + 1, length, 2 * parts),
                        length, causal)
                        + pairs(chunkStart(late, length, 2 * parts), chunkStart(late + 1, length, 2 * parts), length, causal);
            }
            case STRIPED: {
                long n = position >= length ? 0 : (length - 1 - position) / parts + 1;
                // Sum of (i + 1) over i = position, position + P, ...: n (position + 1) + P n (n - 1) / 2.
                return causal ? n * (position + 1) + parts * n * (n - 1) / 2 : n * length;
            }
            default:
                throw new AssertionError(this);
        }
    }

    private static void check(int position, int parts) {
        if (parts < 1 || position < 0 || position >= parts) {
            throw new IllegalArgumentException("ring position " + position + " is outside 0.." + (parts - 1));
        }
    }

    private static int chunkStart(int chunk, int length, int chunks) {
        return (int) ((long) chunk * length / chunks);
    }

    private static int[] range(int start, int end, int from, int to) {
        int a = Math.max(start, from);
        int b = Math.min(end, to);
        int[] out = new int[Math.max(0, b - a)];
        for (int i = 0; i < out.length; i++) {
            out[i] = a + i;
        }
        return out;
    }

    /** Pairs of queries {@code [a, b)}: sum of (i + 1) when causal, else {@code length} each. */
    private static long pairs(long a, long b, long length, boolean causal) {
        return causal ? (b * (b + 1) - a * (a + 1)) / 2 : (b - a) * length;
    }
}
