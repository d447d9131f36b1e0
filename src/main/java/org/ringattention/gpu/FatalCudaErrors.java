package org.ringattention.gpu;

import java.util.function.IntConsumer;
import java.util.logging.Logger;

/**
 * After a sticky CUDA error (an illegal address and its kin) every later CUDA call in this process
 * fails, so an executor that went on would fail every GPU task it is given. Inside a Spark task the
 * process therefore exits at once: Spark sees the executor lost and runs the task again elsewhere.
 * Outside Spark (the jobs/ commands) the error is thrown, the command exits 1, and the runtime refuses
 * further GPU work.
 */
public final class FatalCudaErrors {

    /** Exit status of an executor that stopped because its CUDA context was lost. */
    public static final int EXIT_STATUS = 86;

    private static final Logger LOG = Logger.getLogger(FatalCudaErrors.class.getName());

    private FatalCudaErrors() {
    }

    /**
     * What to throw for {@code failure} (the caller has marked the runtime lost if it is sticky). For a
     * sticky one inside a Spark task, {@code halt} is called first with {@link #EXIT_STATUS}: Runtime::halt in
     * production, since shutdown hooks could call into the dead context and hang.
     */
    public static RuntimeException handle(CudaFailure failure, boolean inSparkTask, IntConsumer halt) {
        if (!failure.sticky()) {
            return failure;
        }
        LOG.severe("sticky CUDA error, the GPU context of this process is lost: " + failure.getMessage()
                + (inSparkTask ? "; exiting with status " + EXIT_STATUS + " so Spark reschedules the task" : ""));
        if (inSparkTask) {
            halt.accept(EXIT_STATUS);
        }
        return new IllegalStateException("the GPU context of this process is lost after " + failure.getMessage()
                + "; restart the process, or use --device cpu", failure);
    }
}
