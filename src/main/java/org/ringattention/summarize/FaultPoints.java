package org.ringattention.summarize;

import java.util.List;
import org.ringattention.ring.StepHook;

/**
 * The places where a fault drill may make the nightly job fail: each stage's per-document work and the
 * ring's scatter, steps and finish. A production run installs nothing, so a point costs one read of a
 * volatile field that holds null. Only the drill ({@code org.ringattention.drill}) installs a
 * {@link Handler}, in every JVM of its own Spark session, through its Spark plugin; the job's plan and
 * outputs are the same with or without one.
 */
public final class FaultPoints {

    /** What a drill does when a task reaches a point: nothing, or fail the task or the document. */
    @FunctionalInterface
    public interface Handler {
        /**
         * {@code call} is the caller's own count where it has one (a ring step's number, from 1), else 0;
         * {@code docId} names the document being worked on, null where there is none (the ring's phases).
         */
        void reached(String point, long call, String docId);
    }

    /** The points, in pipeline order. */
    public static final List<String> POINTS = List.of("SentenceSplitter", "SentenceEmbeddings", "SentenceCentrality",
            "ring-scatter", "ring-step", "ring-finish", "SummarySelector");

    /** This JVM's handler: the one piece of static state here, set by a drill's plugin and nowhere else. */
    private static volatile Handler handler;

    private FaultPoints() {
    }

    /** Installs {@code h} for every point reached in this JVM from now on; null removes it. */
    public static void install(Handler h) {
        handler = h;
    }

    /** Whether a handler is installed in this JVM (decides, on the driver, whether the ring gets its hook). */
    public static boolean installed() {
        return handler != null;
    }

    /** A stage's point for one document. */
    static void reached(String point, String docId) {
        Handler h = handler;
        if (h != null) {
            h.reached(point, 0, docId);
        }
    }

    /** The ring's points ({@code ring-scatter}, {@code ring-step} with its number from 1, {@code ring-finish}). */
    static StepHook ringHook() {
        return (phase, step, position) -> {
            Handler h = handler;
            if (h != null) {
                switch (phase) {
                    case SCATTER -> h.reached("ring-scatter", 0, null);
                    case STEP -> h.reached("ring-step", step + 1L, null);
                    case FINISH -> h.reached("ring-finish", 0, null);
                    default -> throw new IllegalStateException("unknown ring phase " + phase);
                }
            }
        };
    }
}
