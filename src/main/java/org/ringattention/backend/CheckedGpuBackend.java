package org.ringattention.backend;

import java.util.function.Consumer;
import java.util.function.Supplier;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;

/**
 * A GPU backend whose every call first asks its {@link BackendFactory.GpuState} whether that kernel passed
 * its self-check at this head dimension (running the check the first time). After a failed check calls go
 * to the CPU under {@code auto} and fail under {@code gpu}; the whole call goes to one device, so a result
 * never mixes the two.
 */
final class CheckedGpuBackend implements Backend {

    static final String ATTENTION = "attention";
    static final String MASS = "attention-mass";

    private final BackendFactory.GpuState state;
    private final Device device;
    private final Backend gpu;
    private final Supplier<Backend> cpuFactory;
    private final Consumer<String> warn;
    private Backend cpu;
    private boolean warned;

    private final AttentionKernel attention = new AttentionKernel() {
        @Override
        public void accumulate(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState s) {
            current(ATTENTION, spec.headDim()).attention().accumulate(spec, queries, keysValues, s);
        }

        @Override
        public String name() {
            return (state.problem() == null ? gpu : cpu()).attention().name();
        }
    };

    CheckedGpuBackend(BackendFactory.GpuState state, Device device, Backend gpu, Supplier<Backend> cpuFactory,
                      Consumer<String> warn) {
        this.state = state;
        this.device = device;
        this.gpu = gpu;
        this.cpuFactory = cpuFactory;
        this.warn = warn;
    }

    @Override
    public AttentionKernel attention() {
        return attention;
    }

    @Override
    public float[] attentionMass(AttentionSpec spec, Queries queries, float[] lse, KeysValues keysValues) {
        return current(MASS, spec.headDim()).attentionMass(spec, queries, lse, keysValues);
    }

    @Override
    public String description() {
        return state.problem() == null ? gpu.description() : "cpu";
    }

    private Backend current(String kernel, int headDim) {
        String problem = state.verify(kernel + " kernel (head dimension " + headDim + ")", () -> {
            try (Backend reference = cpuFactory.get()) {
                return kernel.equals(ATTENTION) ? SelfCheck.attention(gpu, reference, headDim)
                        : SelfCheck.attentionMass(gpu, reference, headDim);
            }
        });
        if (problem == null) {
            return gpu;
        }
        if (device == Device.GPU) {
            throw BackendFactory.unavailable(problem);
        }
        if (!warned) {
            warned = true;
            warn.accept("device auto: using the CPU (" + problem + ")");
        }
        return cpu();
    }

    private Backend cpu() {
        if (cpu == null) {
            cpu = cpuFactory.get();
        }
        return cpu;
    }

    @Override
    public void close() {
        gpu.close();
        if (cpu != null) {
            cpu.close();
        }
    }
}
