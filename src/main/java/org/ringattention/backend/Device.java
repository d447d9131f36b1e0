package org.ringattention.backend;

import java.util.Locale;
import org.ringattention.io.BadInputException;

/**
 * Where a job's kernels run, as users write it ({@code --device}, the stages' {@code device} Param, the
 * ring's configuration). {@code cpu} never touches CUDA; {@code gpu} fails the task, naming the reason,
 * when no working GPU can be had; {@code auto} takes the GPU when it works and otherwise the CPU.
 */
public enum Device {
    CPU, GPU, AUTO;

    /** {@code cpu}, {@code gpu} or {@code auto}; null (option not given) is {@code cpu}. */
    public static Device parse(String text) {
        if (text == null) {
            return CPU;
        }
        for (Device d : values()) {
            if (d.label().equals(text)) {
                return d;
            }
        }
        throw new BadInputException("--device must be cpu, gpu or auto, got '" + text + "'");
    }

    /** Every label, in declaration order: for a Param's validator. */
    public static String[] labels() {
        return java.util.Arrays.stream(values()).map(Device::label).toArray(String[]::new);
    }

    /** As written on a command line: {@code cpu}, {@code gpu} or {@code auto}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
