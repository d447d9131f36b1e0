package org.ringattention.backend;

import org.ringattention.gpu.GpuAttentionKernel;
import org.ringattention.gpu.GpuRuntime;
import org.ringattention.gpu.Precision;

/**
 * The production {@link GpuDriver}: the JCuda backend of {@code org.ringattention.gpu}. A GPU is its primary
 * context with the kernels loaded ({@link GpuRuntime#device}); each backend is a fp32 {@link GpuAttentionKernel}
 * with its own streams and buffers.
 */
final class CudaDriver implements GpuDriver {

    @Override
    public Gpu open(int ordinal) {
        GpuRuntime.Device device = GpuRuntime.device(ordinal);
        String description = "gpu " + ordinal + " (" + device.name() + ")";
        return new Gpu() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public Backend openBackend() {
                return new CudaBackend(GpuAttentionKernel.open(ordinal, Precision.FP32), description);
            }
        };
    }
}
