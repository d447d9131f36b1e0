package org.ringattention.progress;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import org.ringattention.platform.ScalaCollections;
import scala.Tuple4;

/**
 * Progress lines of a Spark job on a {@link PrintStream}, in the manner of a build tool's console: the
 * caller names phases ({@link #phase}) and counters ({@link #counter}); while a phase runs, a line of
 * counts, rate and estimated time left every {@code interval}; a line when each phase ends; and,
 * optionally, a line when each Spark job whose description matches a filter ends (the ring's steps).
 *
 * <p>Counters are Spark accumulators that tasks add to as rows pass. Spark merges a task's
 * accumulators into the driver's only when the task ends, so the counts of tasks still running are
 * taken from the executors' heartbeats ({@code spark.executor.heartbeatInterval}, 10 s by default):
 * a long task shows progress before it ends.
 *
 * <p>All times come from this class; {@link #phaseSeconds} gives them back for a report.
 */
public final class Progress implements AutoCloseable {

    private final SparkContext spark;
    private final String prefix;
    private final PrintStream out;
    private final Listener listener;
    private final Map<String, LongAccumulator> counters = new LinkedHashMap<>();
    private final Map<String, Long> outOf = new ConcurrentHashMap<>();
    private final Map<String, Double> phaseSeconds = new LinkedHashMap<>();
    private final ScheduledExecutorService ticker;
    private final long startNanos = System.nanoTime();
    private volatile String phase;
    private volatile long phaseStart;
    private volatile long countingSince;
    private volatile LongAccumulator work;
    private volatile double workTotal;

    private Progress(SparkContext spark, String prefix, PrintStream out, long intervalMillis,
                     Predicate<String> jobLines) {
        this.spark = spark;
        this.prefix = prefix;
        this.out = out;
        this.listener = new Listener(jobLines);
        spark.addSparkListener(listener);
        if (out != null && intervalMillis > 0) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, prefix + "-progress");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
        } else {
            ticker = null;
        }
    }

    /**
     * Progress of {@code spark}'s jobs printed on {@code out} (nothing is printed when {@code out} is
     * null, but phases are still timed), a counts line every {@code intervalMillis}.
     */
    public static Progress start(SparkContext spark, String prefix, PrintStream out, long intervalMillis) {
        return new Progress(spark, prefix, out, intervalMillis, d -> false);
    }

    /** As {@link #start}, and also a line for each finished Spark job whose description matches {@code jobs}. */
    public static Progress withJobLines(SparkContext spark, String prefix, PrintStream out, long intervalMillis,
                                        Predicate<String> jobs) {
        return new Progress(spark, prefix, out, intervalMillis, jobs);
    }

    /** Prints one line as is (the first line and the final line of a run). */
    public void line(String text) {
        if (out != null) {
            out.println(prefix + ": " + text);
        }
    }

    /**
     * A counter tasks add to, shown in the counts line in registration order ({@code done/outOf} when
     * {@code outOf} is positive); the last one registered gives the rate.
     */
    public LongAccumulator counter(String name, long outOf) {
        LongAccumulator a = spark.longAccumulator(prefix + " " + name);
        if (counters.isEmpty()) {
            countingSince = System.nanoTime();
        }
        counters.put(name, a);
        if (outOf > 0) {
            this.outOf.put(name, outOf);
        }
        return a;
    }

    /**
     * A counter of work done out of {@code total} units (characters, say), not shown, for the estimated
     * time left: elapsed time times what is left over what is done.
     */
    public LongAccumulator work(double total) {
        work = spark.longAccumulator(prefix + " work");
        workTotal = total;
        return work;
    }

    /** Ends the current phase (a line with its time) and starts {@code name}, also as Spark's job description. */
    public synchronized void phase(String name) {
        endPhase();
        phase = name;
        phaseStart = System.nanoTime();
        spark.setJobDescription(prefix + ": " + name);
    }

    /** The current value of counter {@code name}, tasks still running included. */
    public long value(String name) {
        return value(counters.get(name));
    }

    private long value(LongAccumulator a) {
        return a.value() + listener.running(a.id());
    }

    /** Seconds of each ended phase, in order. */
    public synchronized Map<String, Double> phaseSeconds() {
        return new LinkedHashMap<>(phaseSeconds);
    }

    /** Seconds since this progress started. */
    public double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Ends the current phase, if any, with a line giving its time; {@link #phaseSeconds} then includes it. */
    public synchronized void endPhase() {
        if (phase != null) {
            double seconds = (System.nanoTime() - phaseStart) / 1e9;
            phaseSeconds.merge(phase, seconds, Double::sum);
            line(String.format(Locale.ROOT, "%s done in %s", phase, duration(seconds)));
            phase = null;
        }
    }

    private void tick() {
        String current = phase;
        if (current == null || counters.isEmpty()) {
            return;
        }
        if (work != null && value(work) >= workTotal) {
            line(current + ": " + duration((System.nanoTime() - phaseStart) / 1e9) + " so far");
            return;
        }
        double seconds = (System.nanoTime() - countingSince) / 1e9;
        List<String> parts = new ArrayList<>();
        String last = null;
        for (String name : counters.keySet()) {
            long v = value(name);
            parts.add(outOf.containsKey(name) ? String.format(Locale.ROOT, "%,d/%,d %s", v, outOf.get(name), name)
                    : String.format(Locale.ROOT, "%,d %s", v, name));
            last = name;
        }
        String counts = String.join(", ", parts) + " done";
        String rate = String.format(Locale.ROOT, "%,.0f %s/s", value(last) / seconds, last);
        String eta = "";
        if (work != null) {
            long done = value(work);
            eta = done > 0 && done < workTotal
                    ? "; about " + duration(seconds * (workTotal - done) / done) + " left" : "";
        }
        line(current + ": " + counts + "; " + rate + eta);
    }

    /** {@code 42 s}, {@code 3 min 05 s}, {@code 1 h 02 min}. */
    public static String duration(double seconds) {
        long s = Math.round(seconds);
        if (seconds < 60) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, s % 3600 / 60);
    }

    /** Ends the current phase, stops the progress lines and leaves the Spark context as it was. */
    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        endPhase();
        spark.removeSparkListener(listener);
        spark.setJobDescription(null);
    }

    /** Accumulator values of running tasks (from heartbeats) and lines for finished jobs. */
    private final class Listener extends SparkListener {
        private final Predicate<String> jobLines;
        private final Map<Long, Map<Long, Long>> runningTasks = new ConcurrentHashMap<>();
        private final Map<Integer, Object[]> jobs = new ConcurrentHashMap<>();

        Listener(Predicate<String> jobLines) {
            this.jobLines = jobLines;
        }

        long running(long accumulatorId) {
            long sum = 0;
            for (Map<Long, Long> task : runningTasks.values()) {
                sum += task.getOrDefault(accumulatorId, 0L);
            }
            return sum;
        }

        @Override
        public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
            for (Tuple4<Object, Object, Object, ? extends scala.collection.Seq<AccumulableInfo>> task
                    : ScalaCollections.asJava(update.accumUpdates())) {
                Map<Long, Long> values = new ConcurrentHashMap<>();
                for (AccumulableInfo info : ScalaCollections.asJava(task._4())) {
                    if (info.update().isDefined() && info.update().get() instanceof Long v) {
                        values.put(info.id(), v);
                    }
                }
                runningTasks.put((Long) task._1(), values);
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            runningTasks.remove(end.taskInfo().taskId());
        }

        @Override
        public void onJobStart(SparkListenerJobStart start) {
            String description = start.properties() == null ? null
                    : start.properties().getProperty("spark.job.description");
            if (description != null && jobLines.test(description)) {
                jobs.put(start.jobId(), new Object[] {description, System.nanoTime()});
            }
        }

        @Override
        public void onJobEnd(SparkListenerJobEnd end) {
            Object[] job = jobs.remove(end.jobId());
            if (job != null) {
                line(String.format(Locale.ROOT, "%s done in %s", job[0],
                        duration((System.nanoTime() - (Long) job[1]) / 1e9)));
            }
        }
    }
}
