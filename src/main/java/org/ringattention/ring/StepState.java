package org.ringattention.ring;

import java.io.Serializable;

/**
 * A partition's online-softmax state after a ring step (arrays as in
 * {@link org.ringattention.attention.AttentionState}), plus what the step cost: the Arrow bytes of
 * the KV block it folded and the kernel's wall time.
 */
record StepState(float[] acc, float[] m, float[] l, long kvBytes, long kernelNanos) implements Serializable {
}
