package org.ringattention.backend;

import java.util.function.Supplier;

/**
 * A GPU sentence encoder that passed its self-check, guarded against failing later: a CUDA failure in a
 * call disables the GPU for the process ({@link BackendFactory.GpuState#fail}); under {@code auto} the
 * same call is then computed by the CPU encoder (the call has no state to restore: ids in, vectors out),
 * under {@code gpu} it fails with the one-line reason. Closing it hands the GPU encoder back to its
 * {@link BackendFactory.GpuState} for the next caller (its stream and pass buffers live for the process).
 */
final class CheckedGpuEncoder implements EmbeddingBackend {

    private final BackendFactory.GpuState state;
    private final Placement where;
    private final String model;
    private final EmbeddingBackend gpu;
    private final CpuFallback<EmbeddingBackend> cpu;

    CheckedGpuEncoder(BackendFactory.GpuState state, Placement where, String model, EmbeddingBackend gpu,
                      Supplier<EmbeddingBackend> cpuFactory) {
        this.state = state;
        this.where = where;
        this.model = model;
        this.gpu = gpu;
        this.cpu = new CpuFallback<>(state, where, cpuFactory, EmbeddingBackend::close);
    }

    @Override
    public int dimension() {
        return gpu.dimension();
    }

    @Override
    public int maxPositions() {
        return gpu.maxPositions();
    }

    @Override
    public float[] embed(int[][] ids) {
        if (state.problem() == null) {
            try {
                return gpu.embed(ids);
            } catch (RuntimeException e) {
                if (e instanceof IllegalArgumentException) {
                    throw e;
                }
                state.fail("failed in the encoder: " + BackendFactory.oneLine(e));
            }
        }
        return cpu.get().embed(ids);
    }

    @Override
    public String description() {
        return state.problem() == null ? gpu.description() : "cpu";
    }

    @Override
    public void close() {
        state.giveBack(model, where.precision(), gpu);
        cpu.close();
    }
}
