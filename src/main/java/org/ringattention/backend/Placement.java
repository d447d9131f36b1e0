package org.ringattention.backend;

import java.util.function.Consumer;

/**
 * Where a caller's kernels run, and how it hears of the choice: the {@link Device}, the CUDA ordinal of
 * the GPU it was given (Spark's assignment inside a task, 0 for a command), and where the messages of a
 * fallback or a failed GPU go: every time for a command, once per process for Spark tasks, which would
 * otherwise repeat one line per task.
 */
public record Placement(Device device, int gpu, Consumer<String> log, boolean logEveryTime) {

    public Placement {
        if (gpu < 0) {
            throw new IllegalArgumentException("a CUDA ordinal is 0 or more, got " + gpu);
        }
    }

    /** A command line's: GPU 0, every message to {@code log}. */
    public static Placement command(Device device, Consumer<String> log) {
        return new Placement(device, 0, log, true);
    }
}
