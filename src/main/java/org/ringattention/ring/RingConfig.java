package org.ringattention.ring;

import java.io.Serializable;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.backend.Device;
import org.ringattention.backend.Placement;
import org.ringattention.gpu.Precision;

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
 * @param checkpointInterval  with a checkpoint directory set on the context, every this many ring
 *                     steps the states are checkpointed, which cuts their lineage (as MLlib's ALS
 *                     does); without one nothing is checkpointed and a lost partition is recomputed
 *                     from the scatter
 * @param hook         called after each phase of a task, or null (see {@link StepHook})
 * @param device       where each task's kernel runs (the GPU Spark assigned to the task, for gpu and auto)
 * @param precision    the GPU kernels' input precision (the state stays fp32 on every device)
 */
public record RingConfig(int partitions, Layout layout, int blockSize, int threads, WireCompression compression,
                         int localLimit, int checkpointInterval, StepHook hook, Device device, Precision precision)
        implements Serializable {

    /** Ring steps between checkpoints unless told otherwise, MLlib ALS's default. */
    public static final int DEFAULT_CHECKPOINT_INTERVAL = 10;

    public RingConfig {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        if (blockSize < 1 || threads < 1) {
            throw new IllegalArgumentException("block size and threads must be at least 1, got " + blockSize
                    + " and " + threads);
        }
        if (checkpointInterval < 1) {
            throw new IllegalArgumentException("checkpoint interval must be at least 1 step, got " + checkpointInterval);
        }
        if (device == null) {
            throw new IllegalArgumentException("device must be given (Device.CPU for the CPU)");
        }
        if (compression == null) {
            throw new IllegalArgumentException("compression must be given (WireCompression.NONE for none)");
        }
        Placement.checkPrecision(device, precision);
    }

    /** P partitions, automatic layout, default tiles, one thread per task, no compression. */
    public static RingConfig of(int partitions) {
        return new RingConfig(partitions, null, CpuAttentionKernel.DEFAULT_BLOCK_SIZE, 1, WireCompression.NONE, -1,
                DEFAULT_CHECKPOINT_INTERVAL, null, Device.CPU, Precision.FP32);
    }

    public RingConfig withLayout(Layout value) {
        return new RingConfig(partitions, value, blockSize, threads, compression, localLimit, checkpointInterval, hook,
                device, precision);
    }

    public RingConfig withBlockSize(int value) {
        return new RingConfig(partitions, layout, value, threads, compression, localLimit, checkpointInterval, hook,
                device, precision);
    }

    public RingConfig withThreads(int value) {
        return new RingConfig(partitions, layout, blockSize, value, compression, localLimit, checkpointInterval, hook,
                device, precision);
    }

    public RingConfig withCompression(WireCompression value) {
        return new RingConfig(partitions, layout, blockSize, threads, value, localLimit, checkpointInterval, hook,
                device, precision);
    }

    public RingConfig withLocalLimit(int value) {
        return new RingConfig(partitions, layout, blockSize, threads, compression, value, checkpointInterval, hook,
                device, precision);
    }

    public RingConfig withCheckpointInterval(int value) {
        return new RingConfig(partitions, layout, blockSize, threads, compression, localLimit, value, hook, device,
                precision);
    }

    /** {@code value}'s kernels; a device that cannot honour the precision is refused ({@link Placement}). */
    public RingConfig withDevice(Device value) {
        return new RingConfig(partitions, layout, blockSize, threads, compression, localLimit, checkpointInterval, hook,
                value, precision);
    }

    public RingConfig withHook(StepHook value) {
        return new RingConfig(partitions, layout, blockSize, threads, compression, localLimit, checkpointInterval, value,
                device, precision);
    }

    /** GPU kernels taking {@code value} inputs; set the device first (the CPU refuses bf16). */
    public RingConfig withPrecision(Precision value) {
        return new RingConfig(partitions, layout, blockSize, threads, compression, localLimit, checkpointInterval, hook,
                device, value);
    }

    /** The layout used for a mask: the configured one, else the automatic choice. */
    public Layout layoutFor(boolean causal) {
        return layout != null ? layout : Layout.auto(causal);
    }
}
