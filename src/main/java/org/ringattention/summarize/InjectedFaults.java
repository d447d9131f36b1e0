package org.ringattention.summarize;

import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.ringattention.ring.StepHook;

/**
 * Fault drills: one planned failure in a run of the nightly job, carried to the tasks as a Spark local
 * property so each run of one session can plan its own. A point named by the plan fails on its task's
 * first attempt only (first stage attempt too), so Spark's retry must then produce the same bytes:
 * {@code fail} throws {@link Fault}, {@code kill} ends the executor's JVM (ignored on the driver, where
 * it would end the job itself). Points are counted per task: the plan names the stage, the partition and
 * the how-manieth call of that task fails. Without a plan a point costs one local-property lookup.
 */
public final class InjectedFaults {

    /** The local property holding the plan, {@code stage:partition:call:fail|kill}. */
    public static final String PROPERTY = "ringattention.faults";

    /** The points of the job, in pipeline order. */
    public static final List<String> STAGES = List.of("SentenceSplitter", "SentenceEmbeddings", "SentenceCentrality", "ring-scatter",
            "ring-step", "ring-finish", "SummarySelector", "commit");

    private static final ThreadLocal<long[]> CALLS = ThreadLocal.withInitial(() -> new long[] {-1, 0});

    private InjectedFaults() {
    }

    /** A planned fault: at the {@code call}-th point (from 1) of {@code stage} in task {@code partition}. */
    public record Plan(String stage, int partition, long call, boolean kill) {

        public Plan {
            if (!STAGES.contains(stage)) {
                throw new IllegalArgumentException("no fault point '" + stage + "'; points are " + STAGES);
            }
        }

        String text() {
            return stage + ":" + partition + ":" + call + ":" + (kill ? "kill" : "fail");
        }

        static Plan parse(String text) {
            String[] f = text.split(":");
            return new Plan(f[0], Integer.parseInt(f[1]), Long.parseLong(f[2]), f[3].equals("kill"));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %s in partition %d at call %d", kill ? "executor kill" : "task failure",
                    stage, partition, call);
        }
    }

    /** Plans {@code plan} for the jobs this thread starts next (null: none). */
    public static void plan(SparkContext sc, Plan plan) {
        sc.setLocalProperty(PROPERTY, plan == null ? null : plan.text());
    }

    /** The failure a planned fault throws: an Error, so the stages' per-document handling lets it through. */
    public static final class Fault extends Error {
        private static final long serialVersionUID = 1L;

        Fault(String message) {
            super(message);
        }
    }

    /** A fault point of {@code stage} in the current task; counts its calls. */
    public static void point(String stage) {
        TaskContext task = TaskContext.get();
        if (task == null) {
            return;
        }
        String text = task.getLocalProperty(PROPERTY);
        if (text == null) {
            return;
        }
        long[] calls = CALLS.get();
        if (calls[0] != task.taskAttemptId()) {
            calls[0] = task.taskAttemptId();
            calls[1] = 0;
        }
        calls[1]++;
        Plan plan = Plan.parse(text);
        if (plan.stage().equals(stage) && plan.partition() == task.partitionId() && plan.call() == calls[1]
                && task.attemptNumber() == 0 && task.stageAttemptNumber() == 0) {
            if (plan.kill() && !"driver".equals(SparkEnv.get().executorId())) {
                Runtime.getRuntime().halt(137);
            }
            throw new Fault("injected " + plan);
        }
    }

    /**
     * The ring's hook: the points {@code ring-scatter}, {@code ring-step} (once per step in each ring
     * position) and {@code ring-finish}.
     */
    static StepHook ringSteps() {
        return (phase, step, position) -> point("ring-" + phase.name().toLowerCase(java.util.Locale.ROOT));
    }
}
