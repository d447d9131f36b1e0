package org.ringattention.ring;

import java.io.Serializable;

/**
 * A ring position's online-softmax state after a ring step (arrays as in
 * {@link org.ringattention.attention.AttentionState}), the KV shard that arrived during the step for
 * the next one (null after the last step), and what the step cost: the Arrow bytes of the KV shard it
 * folded and the kernel's wall time.
 */
record StepState(float[] acc, float[] m, float[] l, KvShard next, long kvBytes, long kernelNanos)
        implements Serializable {
}
