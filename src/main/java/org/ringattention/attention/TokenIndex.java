package org.ringattention.attention;

import java.util.Arrays;

/**
 * Who each row of a block is: its position in the whole sequence and its document (segment) id.
 * Masks are decided from these alone, so a block can sit anywhere (a ring shard, a striped layout)
 * and still be masked as in the original sequence.
 *
 * <p>A key is visible to a query when both have the same segment id and, if causal, the key's
 * position is not after the query's. {@code segments == null} means one document.
 */
public record TokenIndex(int[] positions, int[] segments) {

    public TokenIndex {
        if (segments != null && segments.length != positions.length) {
            throw new IllegalArgumentException("segments has " + segments.length + " ids for "
                    + positions.length + " tokens");
        }
    }

    /** Tokens {@code start, start+1, ...} of a sequence; {@code segments} (or null) already sliced to them. */
    public static TokenIndex contiguous(int start, int rows, int[] segments) {
        int[] positions = new int[rows];
        Arrays.setAll(positions, i -> start + i);
        return new TokenIndex(positions, segments);
    }

    public int rows() {
        return positions.length;
    }

    /** Whether query row {@code i} of this block sees key row {@code j} of {@code keys}. */
    public boolean sees(int i, TokenIndex keys, int j, boolean causal) {
        if (causal && keys.positions[j] > positions[i]) {
            return false;
        }
        return segments == null || keys.segments == null || segments[i] == keys.segments[j];
    }

    /** This block's rows {@code [from, to)}. */
    public TokenIndex slice(int from, int to) {
        return new TokenIndex(Arrays.copyOfRange(positions, from, to),
                segments == null ? null : Arrays.copyOfRange(segments, from, to));
    }
}
