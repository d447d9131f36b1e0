package org.ringattention.backend;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Where a checked GPU backend's calls go once its GPU is unusable: under {@code auto} a CPU backend of the
 * same kind, opened on first need after the one line that says why; under {@code gpu} the one-line failure
 * instead. One per {@link CheckedGpuBackend} or {@link CheckedGpuEncoder}, so the line is said once per
 * GPU and the CPU backend opened once per task.
 */
final class CpuFallback<T> {

    private final BackendFactory.GpuState state;
    private final Placement where;
    private final Supplier<T> open;
    private final Consumer<T> close;
    private T cpu;

    CpuFallback(BackendFactory.GpuState state, Placement where, Supplier<T> open, Consumer<T> close) {
        this.state = state;
        this.where = where;
        this.open = open;
        this.close = close;
    }

    /** The CPU backend, opened on first need; under {@code gpu}, the failure instead. */
    T get() {
        String problem = state.problem();
        if (where.device() == Device.GPU) {
            throw BackendFactory.unavailable(problem);
        }
        if (cpu == null) {
            state.report(BackendFactory.onTheCpu(problem, where), where);
            cpu = open.get();
        }
        return cpu;
    }

    /** Closes the CPU backend if one was opened. */
    void close() {
        if (cpu != null) {
            close.accept(cpu);
        }
    }
}
