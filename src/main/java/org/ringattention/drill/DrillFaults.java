package org.ringattention.drill;

import java.io.File;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.ringattention.summarize.FaultPoints;

/**
 * The drill's {@link FaultPoints.Handler}: reads the plan the driver set for the current job (a Spark
 * local property, so each run of a session plans its own), counts the calls of each point within a task
 * attempt, and fires when the plan says so. Installed in every JVM of the drill's session by
 * {@link DrillPlugin}; the commit's point is reached through {@link DrillFileSystem}.
 */
final class DrillFaults implements FaultPoints.Handler {

    /** The local property holding the plan ({@link FaultPlan#text}). */
    static final String PROPERTY = "ringattention.drill.plan";

    /**
     * Calls of each point in the current task attempt. Counted per point: Spark runs narrow stages of one
     * document in the same task (the splitter's call, then the encoder's), and a count shared by the points
     * would never let a point's first call be call 1.
     */
    private static final ThreadLocal<TaskCalls> CALLS = ThreadLocal.withInitial(TaskCalls::new);

    private static final class TaskCalls {
        private long attempt = -1;
        private final Map<String, Long> byPoint = new HashMap<>();

        long next(long taskAttempt, String point) {
            if (attempt != taskAttempt) {
                attempt = taskAttempt;
                byPoint.clear();
            }
            return byPoint.merge(point, 1L, Long::sum);
        }
    }

    /** Plans {@code plan} for the jobs this driver thread starts next (null: none). */
    static void plan(SparkContext sc, FaultPlan plan) {
        sc.setLocalProperty(PROPERTY, plan == null ? null : plan.text());
    }

    @Override
    public void reached(String point, long call, String docId) {
        TaskContext task = TaskContext.get();
        String text = task == null ? null : task.getLocalProperty(PROPERTY);
        if (text == null) {
            return;
        }
        FaultPlan plan = FaultPlan.parse(text);
        if (plan.kind() == FaultPlan.Kind.DOCUMENT) {
            if (plan.point().equals(point) && plan.once().equals(docId)) {
                throw new IllegalStateException("injected " + plan);
            }
            return;
        }
        long n = call > 0 ? call : CALLS.get().next(task.taskAttemptId(), point);
        if (plan.point().equals(point) && (plan.partition() == FaultPlan.ANY || plan.partition() == task.partitionId())
                && plan.call() == n && task.attemptNumber() == 0 && task.stageAttemptNumber() == 0
                && (plan.once() == null || claim(plan.once()))) {
            if (plan.kind() == FaultPlan.Kind.EXECUTOR && !"driver".equals(SparkEnv.get().executorId())) {
                Runtime.getRuntime().halt(137);
            }
            throw new InjectedFault("injected " + plan);
        }
    }

    /** True for the first caller only, across the executors of one machine. */
    private static boolean claim(String once) {
        try {
            return new File(once).createNewFile();
        } catch (IOException e) {
            return false;
        }
    }
}
