package org.ringattention.gpu;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * What to do when work does not fit in GPU memory: out-of-memory is not sticky (CUDA driver API, error
 * codes), so the side that overflowed is made smaller and the step tried again. The two sides are
 * allocated apart ({@link DeviceLayout}), so the failure names its side:
 * <ul>
 *   <li>the query side (the block holding queries and their state): a one-call accumulate halves its rows on
 *       tile edges and runs the parts one after the other, each over every key, which is the same
 *       arithmetic per row; a state to be held across calls that does not fit stays on the host
 *       ({@link GpuAttentionKernel#hold});</li>
 *   <li>the key side (the two key slots): the chunk is halved on tile edges; the online softmax is a fold
 *       over key blocks in order (BPT Algorithm 1), so smaller chunks change only how many calls it takes.</li>
 * </ul>
 * Below one tile a side cannot shrink and the failure stands.
 */
public final class SplitPolicy {

    private SplitPolicy() {
    }

    /** The side of a launch that did not fit. */
    public enum Side { QUERIES, KEYS }

    /** Query rows {@code [from, to)}. */
    public record Rows(int from, int to) {

        public Rows {
            if (from < 0 || to <= from) {
                throw new IllegalArgumentException("empty or negative query rows [" + from + ", " + to + ")");
            }
        }

        public int count() {
            return to - from;
        }
    }

    /** Signals that one side does not fit (device out of memory, or pinned staging over its limit). */
    public static final class TooLarge extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final Side side;

        public TooLarge(Side side, String reason, Throwable cause) {
            super(reason, cause);
            this.side = side;
        }

        public Side side() {
            return side;
        }
    }

    /** The two halves of {@code rows} on edges of {@code tile}; empty when it is one tile or less. */
    public static List<Rows> halves(Rows rows, int tile) {
        if (rows.count() <= tile) {
            return List.of();
        }
        int mid = rows.from() + half(rows.count(), tile);
        return List.of(new Rows(rows.from(), mid), new Rows(mid, rows.to()));
    }

    /** Half of a key chunk of {@code keys}, a whole number of {@code tile}s; 0 when it is one tile or less. */
    public static int smallerChunk(int keys, int tile) {
        return keys <= tile ? 0 : half(keys, tile);
    }

    /**
     * Runs {@code rows} through {@code run}, and each time it throws {@link TooLarge} for the query side, the
     * two halves of the rows that failed instead, first half first: each part holds only its own rows on the
     * device, one part at a time, and every part sees all keys, so the result is the unsplit one row by row.
     * Fails naming the smallest part that did not fit.
     */
    public static void runSplitting(Rows rows, int tile, Consumer<Rows> run, Consumer<String> log) {
        Deque<Rows> work = new ArrayDeque<>();
        work.push(rows);
        while (!work.isEmpty()) {
            Rows r = work.pop();
            try {
                run.accept(r);
            } catch (TooLarge e) {
                if (e.side() != Side.QUERIES) {
                    throw e;
                }
                List<Rows> h = halves(r, tile);
                if (h.isEmpty()) {
                    throw new IllegalStateException("even " + r.count() + " query rows do not fit (" + e.getMessage()
                            + "); free GPU memory or use --device cpu", e);
                }
                log.accept(e.getMessage() + ": query rows " + r + " in two parts " + h);
                // Pushed last-first so that parts run in row order.
                work.push(h.get(1));
                work.push(h.get(0));
            }
        }
    }

    /** Half of {@code rows} rounded up to a whole number of tiles; strictly between 0 and rows when rows > tile. */
    private static int half(int rows, int tile) {
        int tiles = (rows + tile - 1) / tile;
        return (tiles + 1) / 2 * tile;
    }
}
