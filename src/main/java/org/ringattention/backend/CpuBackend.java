package org.ringattention.backend;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;

/**
 * The CPU kernel (Vector API, or scalar where the JVM lacks it) as a {@link Backend}. The kernel keeps no
 * state between calls, so one per (block size, threads) serves every task of the process: a task, a ring
 * fold or a stage's partition opens a backend without building a kernel, and closing it releases nothing.
 */
final class CpuBackend implements Backend {

    private static final Map<List<Integer>, CpuAttentionKernel> KERNELS = new ConcurrentHashMap<>();

    private final CpuAttentionKernel kernel;

    CpuBackend(int blockSize, int threads) {
        kernel = KERNELS.computeIfAbsent(List.of(blockSize, threads),
                key -> CpuAttentionKernel.create(blockSize, threads));
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
        // The kernel is the process's (see above); its worker threads are daemons.
    }
}
