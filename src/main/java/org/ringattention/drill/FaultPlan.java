package org.ringattention.drill;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ringattention.summarize.FaultPoints;

/**
 * One planned fault of a drill run: at the {@code call}-th time (from 1) a task reaches {@code point}, in
 * task {@code partition} or, with {@link #ANY}, in whichever task gets there first. A file the firing
 * task creates atomically ({@code once}, on a disk every executor of the drill shares: local and
 * local-cluster masters) makes the fault fire once per run even when several tasks qualify. It fires on a
 * task's first attempt of a stage's first attempt only, so Spark's retry must then produce the same bytes.
 * A {@link Kind#DOCUMENT} fault names its document in {@code once} instead and fails it every time, as a
 * real bad document would.
 */
public record FaultPlan(String point, int partition, long call, Kind kind, String once) {

    /** Any partition of the stage (needs {@code once}). */
    public static final int ANY = -1;

    /** The points a drill can plan: the job's {@link FaultPoints#POINTS}, then the output's write tasks. */
    public static final List<String> POINTS;

    /** The write tasks of the night's commit: the data files they create ({@link DrillFileSystem}). */
    public static final String COMMIT = "commit";

    static {
        List<String> points = new ArrayList<>(FaultPoints.POINTS);
        points.add(COMMIT);
        POINTS = List.copyOf(points);
    }

    /** What a planned fault does. */
    public enum Kind {
        /** The task fails with {@link InjectedFault} (Spark retries it). */
        TASK,
        /** The executor's JVM ends (Spark reschedules its tasks and recomputes what it held). */
        EXECUTOR,
        /** The document being worked on fails inside its stage (the job makes it a reject). */
        DOCUMENT
    }

    public FaultPlan {
        if (!POINTS.contains(point)) {
            throw new IllegalArgumentException("no fault point '" + point + "'; points are " + POINTS);
        }
        if ((partition == ANY || kind == Kind.DOCUMENT) && once == null) {
            throw new IllegalArgumentException("a fault in any partition, or of a document, needs 'once'");
        }
        if (call < 1) {
            throw new IllegalArgumentException("calls count from 1, got " + call);
        }
    }

    /** As carried to the tasks in a local property. */
    String text() {
        return point + "|" + partition + "|" + call + "|" + kind + "|" + (once == null ? "" : once);
    }

    static FaultPlan parse(String text) {
        String[] f = text.split("\\|", -1);
        return new FaultPlan(f[0], Integer.parseInt(f[1]), Long.parseLong(f[2]), Kind.valueOf(f[3]),
                f[4].isEmpty() ? null : f[4]);
    }

    @Override
    public String toString() {
        String what = switch (kind) {
            case TASK -> "task failure";
            case EXECUTOR -> "executor kill";
            case DOCUMENT -> "document failure";
        };
        return String.format(Locale.ROOT, "%s in %s, %s, call %d", what, point,
                kind == Kind.DOCUMENT ? "document " + once : partition == ANY ? "first task there" : "partition " + partition,
                call);
    }
}
