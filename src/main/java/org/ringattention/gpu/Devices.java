package org.ringattention.gpu;

import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.CpuAttentionKernel;

/**
 * {@code --device cpu|gpu|auto}: the one place a command turns that option into a kernel.
 * {@code cpu} never touches CUDA; {@code gpu} fails at once, naming the reason, when no working GPU can be
 * had; {@code auto} takes the GPU Spark assigned (device 0 outside Spark) when it works and otherwise the
 * CPU, and says which through {@code log}. The GPU kernel runs fp32 inputs, so both devices give exact
 * attention to fp32 rounding.
 */
public final class Devices {

    /** The option's values. */
    public enum Request {
        CPU, GPU, AUTO;

        /** {@code cpu}, {@code gpu} or {@code auto}; null (option not given) is {@code cpu}. */
        public static Request parse(String text) {
            if (text == null) {
                return CPU;
            }
            for (Request r : values()) {
                if (r.name().toLowerCase(Locale.ROOT).equals(text)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("--device must be cpu, gpu or auto, got '" + text + "'");
        }
    }

    /** Where the work goes. */
    enum Backend { CPU, GPU }

    /** A chosen kernel; closing it frees its threads or GPU buffers. */
    public static final class Opened implements AutoCloseable {
        private final AttentionKernel kernel;
        private final Runnable release;

        private Opened(AttentionKernel kernel, Runnable release) {
            this.kernel = kernel;
            this.release = release;
        }

        public AttentionKernel kernel() {
            return kernel;
        }

        @Override
        public void close() {
            release.run();
        }
    }

    private Devices() {
    }

    /**
     * The kernel for {@code device} (the option's value, null when absent); CPU kernels get {@code blockSize}
     * and {@code threads}.
     *
     * @throws IllegalArgumentException for a bad value, or {@code gpu} without a working GPU
     */
    public static Opened open(String device, int blockSize, int threads, Consumer<String> log) {
        Request request = Request.parse(device);
        if (decide(request, Devices::gpuProblem, log) == Backend.GPU) {
            GpuAttentionKernel gpu = GpuAttentionKernel.open(Precision.FP32);
            if (request == Request.AUTO) {
                log.accept("device auto: using GPU " + gpu.device().ordinal() + " (" + gpu.device().name() + ")");
            }
            return new Opened(gpu, gpu::close);
        }
        CpuAttentionKernel cpu = CpuAttentionKernel.create(blockSize, threads);
        return new Opened(cpu, cpu::close);
    }

    /**
     * The fallback rules. {@code gpuProblem} is asked only when the GPU is wanted and returns null when the
     * GPU works, else why not.
     */
    static Backend decide(Request request, Supplier<String> gpuProblem, Consumer<String> log) {
        if (request == Request.CPU) {
            return Backend.CPU;
        }
        String problem = gpuProblem.get();
        if (problem == null) {
            return Backend.GPU;
        }
        if (request == Request.GPU) {
            throw new IllegalArgumentException("--device gpu: " + problem + "; use --device cpu or --device auto");
        }
        log.accept("device auto: using the CPU (" + problem + ")");
        return Backend.CPU;
    }

    /** Null when the assigned GPU has a context and the kernels loaded, else the reason. */
    private static String gpuProblem() {
        try {
            GpuRuntime.device(GpuAssignment.deviceOrdinal());
            return null;
        } catch (IllegalStateException | CudaFailure e) {
            return e.getMessage();
        }
    }
}
