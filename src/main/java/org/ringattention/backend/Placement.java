package org.ringattention.backend;

import java.util.function.Consumer;
import org.ringattention.gpu.Precision;
import org.ringattention.io.BadInputException;

/**
 * Where a caller's kernels run, and how it hears of the choice: the {@link Device}, the input precision of
 * the GPU kernels, the CUDA ordinal of the GPU it was given (Spark's assignment inside a task, 0 for a
 * command), and where the messages of a fallback or a failed GPU go: every time for a command, once per
 * process for Spark tasks, which would otherwise repeat one line per task.
 *
 * <p>bf16 is a GPU precision: {@code cpu} with bf16 is refused (the CPU kernels compute in fp32, so the
 * request could not be honoured); under {@code auto} a fallback to the CPU computes in fp32 and says so.
 */
public record Placement(Device device, Precision precision, int gpu, Consumer<String> log, boolean logEveryTime) {

    public Placement {
        if (gpu < 0) {
            throw new IllegalArgumentException("a CUDA ordinal is 0 or more, got " + gpu);
        }
        checkPrecision(device, precision);
    }

    /** Fails with the fix when {@code precision} cannot be had on {@code device}. */
    public static void checkPrecision(Device device, Precision precision) {
        if (device == Device.CPU && precision != Precision.FP32) {
            throw new BadInputException("--precision " + precision.label() + " runs on a GPU's tensor cores and the CPU"
                    + " computes in fp32; use --device gpu or --device auto, or --precision fp32");
        }
    }

    /** A command line's: GPU 0, every message to {@code log}. */
    public static Placement command(Device device, Precision precision, Consumer<String> log) {
        return new Placement(device, precision, 0, log, true);
    }
}
