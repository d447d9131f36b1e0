package org.ringattention.ring;

import java.io.Serializable;
import java.util.List;
import java.util.UUID;

/**
 * A ring position after a ring step, as Spark keeps it between the step stages.
 *
 * <p>On the CPU the online-softmax state itself ({@code acc, m, l}, arrays as in
 * {@link org.ringattention.attention.AttentionState}), taken at this step. On a GPU the state stays in GPU
 * memory ({@link HeldStates}, named by {@code heldToken}), and what Spark keeps is enough to rebuild it
 * wherever the next task runs: the host copy taken at step {@code copyStep} (every
 * {@link RingConfig#checkpointInterval} steps, so exactly the states a checkpoint writes; -1 and null arrays
 * before the first: the empty state plus the position's local keys) and the KV shards folded since
 * ({@code since}, at most interval - 1 of them).
 *
 * @param next        the KV shard that arrived during the step for the next one (null after the last step)
 * @param kvBytes     the Arrow bytes of the KV shard this step folded
 * @param kernelNanos the fold's wall time
 */
record StepState(float[] acc, float[] m, float[] l, int copyStep, List<KvShard> since, UUID heldToken, KvShard next,
                 long kvBytes, long kernelNanos) implements Serializable {
}
