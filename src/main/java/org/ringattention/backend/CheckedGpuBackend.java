package org.ringattention.backend;

import java.util.function.Supplier;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;

/**
 * A GPU backend guarded at every call. First its {@link BackendFactory.GpuState} is asked whether that
 * kernel passed its self-check at this head dimension (running the check the first time); then the call
 * runs, and a CUDA failure in it disables the GPU for the process. After either, calls go to the CPU under
 * {@code auto} and fail with the one-line reason under {@code gpu}. The whole call goes to one device, so
 * a result never mixes the two: a running state the failed GPU call may have half-updated is put back as
 * it came before the CPU computes the call again.
 */
final class CheckedGpuBackend implements Backend {

    static final String ATTENTION = "attention";
    static final String MASS = "attention-mass";

    private final BackendFactory.GpuState state;
    private final Placement where;
    private final Backend gpu;
    private final Supplier<Backend> cpuFactory;
    private final Supplier<Backend> checkFactory;
    private Backend cpu;

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
            cpu().attention().accumulate(spec, queries, keysValues, s);
        }

        @Override
        public String name() {
            return (state.problem() == null ? gpu : cpu()).attention().name();
        }
    };

    /** {@code checkFactory} opens the GPU kernels the self-check runs on ({@link GpuDriver.Gpu#openBackend(int)}). */
    CheckedGpuBackend(BackendFactory.GpuState state, Placement where, Backend gpu, Supplier<Backend> cpuFactory,
                      Supplier<Backend> checkFactory) {
        this.state = state;
        this.where = where;
        this.gpu = gpu;
        this.cpuFactory = cpuFactory;
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
        return cpu().attentionMass(spec, queries, lse, keysValues);
    }

    @Override
    public String description() {
        return state.problem() == null ? gpu.description() : "cpu";
    }

    /** Whether the GPU may run {@code kernel} at {@code headDim}: no earlier failure, self-check passed. */
    private boolean usable(String kernel, int headDim) {
        return state.verify(kernel + " kernel (head dimension " + headDim + ")", () -> {
            try (Backend reference = cpuFactory.get(); Backend checked = checkFactory.get()) {
                return kernel.equals(ATTENTION) ? SelfCheck.attention(checked, reference, headDim)
                        : SelfCheck.attentionMass(checked, reference, headDim);
            }
        }) == null;
    }

    /** A call failed on the GPU: bad arguments are the caller's, anything else disables the GPU. */
    private void failed(String kernel, RuntimeException e) {
        if (e instanceof IllegalArgumentException) {
            throw e;
        }
        state.fail("failed in the " + kernel + " kernel: " + BackendFactory.oneLine(e));
    }

    /** The CPU, after the one line that says why; under {@code gpu}, the failure instead. */
    private Backend cpu() {
        String problem = state.problem();
        if (where.device() == Device.GPU) {
            throw BackendFactory.unavailable(problem);
        }
        if (cpu == null) {
            state.report("device auto: using the CPU (" + problem + ")", where);
            cpu = cpuFactory.get();
        }
        return cpu;
    }

    @Override
    public void close() {
        try {
            gpu.close();
        } catch (RuntimeException e) {
            // A GPU that failed may refuse to free its buffers; its context is gone with it.
            state.fail("failed freeing its buffers: " + BackendFactory.oneLine(e));
        }
        if (cpu != null) {
            cpu.close();
        }
    }
}
