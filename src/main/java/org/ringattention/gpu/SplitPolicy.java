package org.ringattention.gpu;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * What to do when a block does not fit in GPU memory: out-of-memory is not sticky (CUDA driver API,
 * error codes), so the block is split in two and each half tried again. Keys are halved first: the two
 * halves are folded into the same running state one after the other, in key order, which is exact
 * (the online softmax is a fold over key blocks, BPT Algorithm 1) and keeps query rows together.
 * Queries are halved once the key side is down to one tile; below one tile on both sides the block
 * cannot shrink and the failure stands. Cuts fall on tile edges so tiles stay full.
 */
public final class SplitPolicy {

    private SplitPolicy() {
    }

    /** Query rows {@code [qFrom, qTo)} against key rows {@code [kFrom, kTo)}. */
    public record Block(int qFrom, int qTo, int kFrom, int kTo) {

        public Block {
            if (qFrom < 0 || qTo <= qFrom || kFrom < 0 || kTo <= kFrom) {
                throw new IllegalArgumentException("empty or negative block: queries [" + qFrom + ", " + qTo
                        + "), keys [" + kFrom + ", " + kTo + ")");
            }
        }

        public int queryRows() {
            return qTo - qFrom;
        }

        public int keyRows() {
            return kTo - kFrom;
        }
    }

    /**
     * The two halves to run, in order, instead of {@code block}; empty when it cannot be split
     * (at most one query tile of {@code shape} against at most one key tile).
     */
    public static List<Block> split(Block block, LaunchShape shape) {
        if (block.keyRows() > shape.blockN()) {
            int mid = block.kFrom() + half(block.keyRows(), shape.blockN());
            return List.of(new Block(block.qFrom(), block.qTo(), block.kFrom(), mid),
                    new Block(block.qFrom(), block.qTo(), mid, block.kTo()));
        }
        if (block.queryRows() > shape.blockM()) {
            int mid = block.qFrom() + half(block.queryRows(), shape.blockM());
            return List.of(new Block(block.qFrom(), mid, block.kFrom(), block.kTo()),
                    new Block(mid, block.qTo(), block.kFrom(), block.kTo()));
        }
        return List.of();
    }

    /** Signals that a block does not fit (device out of memory, or staging over its limit). */
    public static final class TooLarge extends RuntimeException {

        private static final long serialVersionUID = 1L;

        public TooLarge(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    /**
     * Runs {@code block} through {@code runner}, and each time the runner throws {@link TooLarge}, the two
     * halves of the failed block instead, first half first. Fails naming the smallest block that did not fit.
     */
    public static void runSplitting(Block block, LaunchShape shape, Consumer<Block> runner, Consumer<String> log) {
        Deque<Block> work = new ArrayDeque<>();
        work.push(block);
        while (!work.isEmpty()) {
            Block b = work.pop();
            try {
                runner.accept(b);
            } catch (TooLarge e) {
                List<Block> halves = split(b, shape);
                if (halves.isEmpty()) {
                    throw new IllegalStateException("even " + b.queryRows() + " queries x " + b.keyRows()
                            + " keys do not fit (" + e.getMessage() + "); free GPU memory or use --device cpu", e);
                }
                log.accept(e.getMessage() + ": splitting " + b + " into " + halves);
                // Pushed last-first so that key halves run in key order.
                work.push(halves.get(1));
                work.push(halves.get(0));
            }
        }
    }

    /** Half of {@code rows} rounded up to a whole number of tiles; strictly between 0 and rows when rows > tile. */
    private static int half(int rows, int tile) {
        int tiles = (rows + tile - 1) / tile;
        return (tiles + 1) / 2 * tile;
    }
}
