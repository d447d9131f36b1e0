package org.ringattention.summarize;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.ringattention.ring.StepHook;

/**
 * Fault drills: one planned failure in a run of the nightly job, carried to the tasks as a Spark local
 * property so each run of one session can plan its own. A point named by the plan fails on its task's
 * first attempt only (first stage attempt too), so Spark's retry must then produce the same bytes:
 * {@link Kind#TASK} throws {@link Fault}, {@link Kind#EXECUTOR} ends the executor's JVM (a task failure
 * on the driver, where it would end the job itself), {@link Kind#DOCUMENT} throws an ordinary exception
 * inside the stage's per-document work. Points are counted per task: the plan names the stage, the partition and
 * the how-manieth call of that task fails. Without a plan a point costs one local-property lookup.
 */
public final class InjectedFaults {

    /** The local property holding the plan, {@code stage|partition|call|kind|once}. */
    public static final String PROPERTY = "ringattention.faults";

    /** The points of the job, in pipeline order. */
    public static final List<String> STAGES = List.of("SentenceSplitter", "SentenceEmbeddings", "SentenceCentrality", "ring-scatter",
            "ring-step", "ring-finish", "SummarySelector", "commit");

    /**
     * Calls of each stage's point in the current task attempt. Counted per stage: Spark runs narrow stages
     * of one document in the same task (the splitter's call, then the encoder's), and a count shared by
     * the stages would never let a stage's first call be call 1.
     */
    private static final ThreadLocal<TaskCalls> CALLS = ThreadLocal.withInitial(TaskCalls::new);

    private static final class TaskCalls {
        private long attempt = -1;
        private final Map<String, Long> byStage = new HashMap<>();

        long next(long taskAttempt, String stage) {
            if (attempt != taskAttempt) {
                attempt = taskAttempt;
                byStage.clear();
            }
            return byStage.merge(stage, 1L, Long::sum);
        }
    }

    private InjectedFaults() {
    }

    /** What a planned fault does. */
    public enum Kind {
        /** The task fails (Spark retries it). */
        TASK,
        /** The executor's JVM ends (Spark reschedules its tasks and recomputes what it held). */
        EXECUTOR,
        /** The document being worked on fails inside its stage (the job makes it a reject). */
        DOCUMENT
    }

    /**
     * A planned fault: at the {@code call}-th point (from 1) of {@code stage} in task {@code partition},
     * or, with {@code partition = ANY}, in whichever task of the stage gets there first: a file that the
     * firing task creates atomically ({@code once}, on a disk every executor shares: local and
     * local-cluster masters) makes it fire once per run even when several tasks qualify. A
     * {@link Kind#DOCUMENT} fault names its document instead ({@code once} is the doc id) and fails it
     * every time the stage works on it, as a real bad document would.
     */
    public record Plan(String stage, int partition, long call, Kind kind, String once) {

        /** Any partition of the stage (needs {@code once}). */
        public static final int ANY = -1;

        public Plan {
            if (!STAGES.contains(stage)) {
                throw new IllegalArgumentException("no fault point '" + stage + "'; points are " + STAGES);
            }
            if (partition == ANY && once == null) {
                throw new IllegalArgumentException("a fault in any partition needs a 'once' file");
            }
        }

        public Plan(String stage, int partition, long call, Kind kind) {
            this(stage, partition, call, kind, null);
        }

        String text() {
            return stage + "|" + partition + "|" + call + "|" + kind + "|" + (once == null ? "" : once);
        }

        static Plan parse(String text) {
            String[] f = text.split("\\|", -1);
            return new Plan(f[0], Integer.parseInt(f[1]), Long.parseLong(f[2]), Kind.valueOf(f[3]),
                    f[4].isEmpty() ? null : f[4]);
        }

        @Override
        public String toString() {
            String what = switch (kind) {
                case TASK -> "task failure";
                case EXECUTOR -> "executor kill";
                case DOCUMENT -> "document failure";
            };
            return String.format(Locale.ROOT, "%s in %s, %s, call %d", what, stage,
                    partition == ANY ? "first task there" : "partition " + partition, call);
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

    /** A fault point of {@code stage} in the current task; counts the stage's calls in this task. */
    public static void point(String stage) {
        TaskContext task = TaskContext.get();
        if (task == null || task.getLocalProperty(PROPERTY) == null) {
            return;
        }
        point(stage, CALLS.get().next(task.taskAttemptId(), stage));
    }

    /** A fault point of {@code stage} whose call number the caller knows (a ring step's number, from 1). */
    public static void point(String stage, long call) {
        TaskContext task = TaskContext.get();
        String text = task == null ? null : task.getLocalProperty(PROPERTY);
        if (text == null) {
            return;
        }
        Plan plan = Plan.parse(text);
        if (plan.kind() != Kind.DOCUMENT && plan.stage().equals(stage)
                && (plan.partition() == Plan.ANY || plan.partition() == task.partitionId()) && plan.call() == call
                && task.attemptNumber() == 0 && task.stageAttemptNumber() == 0
                && (plan.once() == null || claim(plan.once()))) {
            if (plan.kind() == Kind.EXECUTOR && !"driver".equals(SparkEnv.get().executorId())) {
                Runtime.getRuntime().halt(137);
            }
            throw new Fault("injected " + plan);
        }
    }

    /** A document's point in {@code stage}: throws when the plan fails this document there. */
    public static void document(String stage, String docId) {
        TaskContext task = TaskContext.get();
        String text = task == null ? null : task.getLocalProperty(PROPERTY);
        if (text == null) {
            return;
        }
        Plan plan = Plan.parse(text);
        if (plan.kind() == Kind.DOCUMENT && plan.stage().equals(stage) && plan.once().equals(docId)) {
            throw new IllegalStateException("injected " + plan);
        }
    }

    /** True for the first caller only, across the executors of one machine. */
    private static boolean claim(String once) {
        try {
            return new java.io.File(once).createNewFile();
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * The ring's hook: the points {@code ring-scatter} and {@code ring-finish} (counted per task) and
     * {@code ring-step}, whose call number is the step's (from 1).
     */
    static StepHook ringSteps() {
        return (phase, step, position) -> {
            switch (phase) {
                case SCATTER -> point("ring-scatter");
                case STEP -> point("ring-step", step + 1);
                case FINISH -> point("ring-finish");
                default -> throw new IllegalStateException("unknown ring phase " + phase);
            }
        };
    }
}
