package org.ringattention.ring;

import java.util.Arrays;
import java.util.Locale;

/**
 * What a ring job did and cost.
 *
 * @param stepBytes     Arrow bytes of the KV blocks folded at each step; entry 0 never crossed the
 *                      network (each position's own block), entries 1.. were shuffled one position
 * @param scatterBytes  Arrow bytes shuffled to place documents on ring positions
 * @param flops         attention FLOPs of all documents ({@code AttentionSpec.flops})
 */
public record RingStats(long tokens, int documents, int ringDocuments, int partitions, Layout layout, int steps,
                        long[] stepBytes, long scatterBytes, double imbalance, double seconds, double flops) {

    /** Bytes moved round the ring (steps 2..P). */
    public long ringBytes() {
        return Arrays.stream(stepBytes).skip(1).sum();
    }

    /** The one summary line printed at the end of a job. */
    public String summary() {
        return String.format(Locale.ROOT,
                "ring attention: %d tokens in %d documents (%d on the ring, %d local), P=%d, layout %s, %d steps,"
                        + " %s shuffled (scatter %s, ring %s/step), busiest partition %.2fx mean, %.3f s, %.1f GFLOP/s",
                tokens, documents, ringDocuments, documents - ringDocuments, partitions, layout, steps,
                megabytes(scatterBytes + ringBytes()), megabytes(scatterBytes),
                megabytes(steps > 1 ? ringBytes() / (steps - 1) : 0), imbalance, seconds, flops / seconds / 1e9);
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
