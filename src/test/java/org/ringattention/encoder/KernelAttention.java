package org.ringattention.encoder;

import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;

/** Whole-sequence attention on this machine through one {@link AttentionKernel}. */
public record KernelAttention(AttentionKernel kernel) implements SequenceAttention {

    @Override
    public float[] attend(int layer, AttentionSpec spec, Queries queries, KeysValues keysValues) {
        return kernel.attend(spec, queries, keysValues).out();
    }
}
