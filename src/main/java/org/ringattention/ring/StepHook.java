package org.ringattention.ring;

import java.io.Serializable;

/**
 * Called in the task after a ring step has folded its KV block into a partition's state and before
 * the task returns it. Meant for fault drills: a hook that throws (or ends the executor) makes Spark
 * retry the task, which must then produce the same bytes.
 */
@FunctionalInterface
public interface StepHook extends Serializable {

    /** {@code step} counts from 0; {@code position} is the ring position (partition) of the task. */
    void afterFold(int step, int position) throws Exception;
}
