package org.ringattention.ring;

import java.io.Serializable;
import org.ringattention.attention.CpuAttentionKernel;

/**
 * How a ring job runs; built once, changed by copy ({@code withX}).
 *
 * @param partitions   ring positions P (Spark partitions of the query side)
 * @param layout       how documents are sharded; null chooses {@link Layout#auto} from the mask
 * @param blockSize    the kernel's tile edge in tokens
 * @param threads      kernel threads per task (Spark already runs one task per core)
 * @param compression  Arrow buffer compression on the wire
 * @param localLimit   longest document (tokens) that may be attended in place without riding the
 *                     ring; negative means one partition's share of all tokens
 * @param hook         called after every fold, or null (see {@link StepHook})
 */
public record RingConfig(int partitions, Layout layout, int blockSize, int threads, WireCompression compression,
                         int localLimit, StepHook hook) implements Serializable {

    public RingConfig {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        if (blockSize < 1 || threads < 1) {
            throw new IllegalArgumentException("block size and threads must be at least 1, got " + blockSize
                    + " and " + threads);
        }
        if (compression == null) {
            throw new IllegalArgumentException("compression must be given (WireCompression.NONE for none)");
        }
    }

    /** P partitions, automatic layout, default tiles, one thread per task, no compression. */
    public static RingConfig of(int partitions) {
        return new RingConfig(partitions, null, CpuAttentionKernel.DEFAULT_BLOCK_SIZE, 1, WireCompression.NONE, -1, null);
    }

    public RingConfig withLayout(Layout value) {
        return new RingConfig(partitions, value, blockSize, threads, compression, localLimit, hook);
    }

    public RingConfig withBlockSize(int value) {
        return new RingConfig(partitions, layout, value, threads, compression, localLimit, hook);
    }

    public RingConfig withThreads(int value) {
        return new RingConfig(partitions, layout, blockSize, value, compression, localLimit, hook);
    }

    public RingConfig withCompression(WireCompression value) {
        return new RingConfig(partitions, layout, blockSize, threads, value, localLimit, hook);
    }

    public RingConfig withLocalLimit(int value) {
        return new RingConfig(partitions, layout, blockSize, threads, compression, value, hook);
    }

    public RingConfig withHook(StepHook value) {
        return new RingConfig(partitions, layout, blockSize, threads, compression, localLimit, value);
    }

    /** The layout used for a mask: the configured one, else the automatic choice. */
    public Layout layoutFor(boolean causal) {
        return layout != null ? layout : Layout.auto(causal);
    }
}
