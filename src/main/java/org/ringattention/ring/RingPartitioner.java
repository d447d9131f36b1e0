package org.ringattention.ring;

import org.apache.spark.Partitioner;

/**
 * Places a block on the partition of its ring position: key {@code r} (an {@code Integer} in
 * {@code 0..P-1}) goes to partition r. Query-side state is cached on partition r for the whole job,
 * so moving a KV block one position round the ring is re-keying it {@code r -> (r + 1) mod P} and
 * shuffling with this partitioner.
 */
public final class RingPartitioner extends Partitioner {

    private static final long serialVersionUID = 1L;

    private final int positions;

    public RingPartitioner(int positions) {
        if (positions < 1) {
            throw new IllegalArgumentException("a ring needs at least 1 position, got " + positions);
        }
        this.positions = positions;
    }

    @Override
    public int numPartitions() {
        return positions;
    }

    @Override
    public int getPartition(Object key) {
        int r = (Integer) key;
        if (r < 0 || r >= positions) {
            throw new IllegalArgumentException("ring position " + r + " is outside 0.." + (positions - 1));
        }
        return r;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RingPartitioner p && p.positions == positions;
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(positions) * 31 + 7;
    }
}
