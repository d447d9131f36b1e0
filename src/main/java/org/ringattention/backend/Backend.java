package org.ringattention.backend;

import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;

/**
 * The kernels one task (or one command) runs, on one device: attention ({@link AttentionKernel}) and the
 * attention-mass pass of sentence centrality. Opened by {@link BackendFactory} only; closing it frees its
 * threads or GPU buffers (the device's context stays for the process). Not thread-safe, as the kernels.
 */
public interface Backend extends AutoCloseable {

    /** The attention kernel. */
    AttentionKernel attention();

    /**
     * {@code mass[h][j] = sum_i exp(s_ij - LSE_i)} over visible pairs, {@code (Hq, keys)}; see
     * {@code CpuAttentionKernel.attentionMass}, the reference every backend agrees with.
     */
    float[] attentionMass(AttentionSpec spec, Queries queries, float[] lse, KeysValues keysValues);

    /** Where the work runs, for logs: {@code cpu} or {@code gpu 1 (NVIDIA H200)}. */
    String description();

    @Override
    void close();
}
