package org.ringattention.backend;

import java.util.function.Supplier;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.HeldState;
import org.ringattention.attention.HeldStateLost;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.gpu.Precision;

/**
 * A GPU backend guarded at every call. First its {@link BackendFactory.GpuState} is asked whether that
 * kernel passed its self-check at this head dimension (running the check the first time); then the call
 * runs, and a CUDA failure in it disables the GPU for the process. After either, calls go to the CPU under
 * {@code auto} and fail with the one-line reason under {@code gpu}. The whole call goes to one device, so
 * a result never mixes the two: a running state the failed GPU call may have half-updated is put back as
 * it came before the CPU computes the call again. A state held in GPU memory cannot be put back: a call on
 * it that fails, or comes after the GPU was disabled, throws {@link HeldStateLost}, and the caller rebuilds
 * the state from its host copy (through this backend, so on the CPU under {@code auto}).
 *
 * <p>Closing it hands a GPU backend that has not failed back to its {@link BackendFactory.GpuState}, which
 * gives it to the next caller on that GPU: its streams, pinned staging and key slots live for the process,
 * not for one task.
 */
final class CheckedGpuBackend implements Backend {

    static final String ATTENTION = "attention";
    static final String MASS = "attention-mass";

    private final BackendFactory.GpuState state;
    private final Placement where;
    private final Backend gpu;
    private final Supplier<Backend> cpuFactory;
    private final Supplier<Backend> checkFactory;
    private final CpuFallback<Backend> cpu;

    private final AttentionKernel attention = new AttentionKernel() {
        @Override
        public void accumulate(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState s) {
            if (usable(ATTENTION, spec.headDim())) {
                float[] acc = s.acc().clone();
                float[] m = s.m().clone();
                float[] l = s.l().clone();
                try {
                    gpu.attention().accumulate(spec, queries, keysValues, s);
                    return;
                } catch (RuntimeException e) {
                    failed(ATTENTION, e);
                    System.arraycopy(acc, 0, s.acc(), 0, acc.length);
                    System.arraycopy(m, 0, s.m(), 0, m.length);
                    System.arraycopy(l, 0, s.l(), 0, l.length);
                }
            }
            cpu.get().attention().accumulate(spec, queries, keysValues, s);
        }

        @Override
        public HeldState hold(AttentionSpec spec, Queries queries, AttentionState s) {
            if (usable(ATTENTION, spec.headDim())) {
                try {
                    return gpu.attention().hold(spec, queries, s);
                } catch (RuntimeException e) {
                    failed(ATTENTION, e);
                }
            }
            return cpu.get().attention().hold(spec, queries, s);
        }

        @Override
        public boolean continues(HeldState held) {
            return held.onDevice() ? state.problem() == null && gpu.attention().continues(held)
                    : AttentionKernel.super.continues(held);
        }

        @Override
        public void accumulate(HeldState held, KeysValues keysValues) {
            if (!held.onDevice()) {
                cpu.get().attention().accumulate(held, keysValues);
                return;
            }
            onDevice(held, () -> {
                gpu.attention().accumulate(held, keysValues);
                return null;
            });
        }

        @Override
        public AttentionState state(HeldState held) {
            return held.onDevice() ? onDevice(held, () -> gpu.attention().state(held)) : cpu.get().attention().state(held);
        }

        @Override
        public String name() {
            return (state.problem() == null ? gpu : cpu.get()).attention().name();
        }
    };

    /** A call on a state in GPU memory: a failure, or a GPU already disabled, loses the state. */
    private <T> T onDevice(HeldState held, Supplier<T> call) {
        String problem = state.problem();
        if (problem == null) {
            try {
                return call.get();
            } catch (RuntimeException e) {
                if (e instanceof IllegalArgumentException) {
                    throw e;
                }
                problem = failed(ATTENTION, e);
            }
        }
        throw new HeldStateLost("the state of " + held.rows() + " query rows was held on a GPU that is disabled ("
                + problem + ")", null);
    }

    /** {@code checkFactory} opens the GPU kernels the self-check runs on ({@link GpuDriver.Gpu#openBackend(int)}). */
    CheckedGpuBackend(BackendFactory.GpuState state, Placement where, Backend gpu, Supplier<Backend> cpuFactory,
                      Supplier<Backend> checkFactory) {
        this.state = state;
        this.where = where;
        this.gpu = gpu;
        this.cpuFactory = cpuFactory;
        this.cpu = new CpuFallback<>(state, where, cpuFactory, Backend::close);
        this.checkFactory = checkFactory;
    }

    @Override
    public AttentionKernel attention() {
        return attention;
    }

    @Override
    public float[] attentionMass(AttentionSpec spec, Queries queries, float[] lse, KeysValues keysValues) {
        if (usable(MASS, spec.headDim())) {
            try {
                return gpu.attentionMass(spec, queries, lse, keysValues);
            } catch (RuntimeException e) {
                failed(MASS, e);
            }
        }
        return cpu.get().attentionMass(spec, queries, lse, keysValues);
    }

    @Override
    public String description() {
        return state.problem() == null ? gpu.description() : "cpu";
    }

    /** Whether the GPU may run {@code kernel} at {@code headDim}: no earlier failure, self-check passed. */
    private boolean usable(String kernel, int headDim) {
        Precision precision = where.precision();
        String what = kernel + " kernel (head dimension " + headDim
                + (kernel.equals(ATTENTION) && precision != Precision.FP32 ? ", " + precision.label() : "") + ")";
        return state.verify(what, () -> {
            try (Backend reference = cpuFactory.get(); Backend checked = checkFactory.get()) {
                return kernel.equals(ATTENTION) ? SelfCheck.attention(checked, reference, headDim, precision)
                        : SelfCheck.attentionMass(checked, reference, headDim);
            }
        }) == null;
    }

    /** A call failed on the GPU: bad arguments are the caller's, anything else disables the GPU (returned). */
    private String failed(String kernel, RuntimeException e) {
        if (e instanceof IllegalArgumentException) {
            throw e;
        }
        return state.fail("failed in the " + kernel + " kernel: " + BackendFactory.oneLine(e));
    }

    @Override
    public void close() {
        state.giveBack(where.precision(), gpu);
        cpu.close();
    }
}
