package org.ringattention.backend;

import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;

/** The CPU kernel (Vector API, or scalar where the JVM lacks it) as a {@link Backend}. */
final class CpuBackend implements Backend {

    private final CpuAttentionKernel kernel;

    CpuBackend(int blockSize, int threads) {
        kernel = CpuAttentionKernel.create(blockSize, threads);
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
        return "cpu";
    }

    @Override
    public void close() {
        kernel.close();
    }
}
