package org.ringattention.ring;

import java.io.Serializable;

/**
 * Called in the task when a ring position has done its part of a phase of the job, before the task
 * returns it: after the scatter assembled the position's shard, after each ring step's fold, and
 * after the finish. Meant for fault drills: a hook that throws (or ends the executor) makes Spark
 * retry the task, which must then produce the same bytes.
 */
@FunctionalInterface
public interface StepHook extends Serializable {

    /** The phases of a ring job, in order. */
    enum Phase { SCATTER, STEP, FINISH }

    /**
     * {@code step} is the ring step for {@link Phase#STEP} (counting from 0), -1 for the scatter and P
     * for the finish; {@code position} is the ring position (partition) of the task.
     */
    void after(Phase phase, int step, int position) throws Exception;
}
