package org.ringattention.backend;

import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.gpu.GpuAttentionKernel;

/** A {@link GpuAttentionKernel} as a {@link Backend}. */
final class CudaBackend implements Backend {

    private final GpuAttentionKernel kernel;
    private final String description;

    CudaBackend(GpuAttentionKernel kernel, String description) {
        this.kernel = kernel;
        this.description = description;
    }

    @Override
    public AttentionKernel attention() {
        return kernel;
    }

    @Override
    public float[] attentionMass(AttentionSpec spec, Queries queries, float[] lse, KeysValues keysValues) {
        return kernel.attentionMass(spec, queries, lse, keysValues);
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void close() {
        kernel.close();
    }
}
