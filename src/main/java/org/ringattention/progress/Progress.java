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
 * <p>The estimate of time left comes from counts of work done inside items ({@link #work}, {@link TimeLeft}):
 * the work left of each kind at that kind's measured rate. With {@code spark.ringattention.progress.record}
 * set to a file on the driver, every sample the estimate is made from is written there, so that recorded
 * runs can be replayed against the estimator.
 *
 * <p>All times come from this class; {@link #phaseSeconds} gives them back for a report, and
 * {@link #tasks} what the Spark tasks cost.
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
    private final PrintStream record;
    private volatile String phase;
    private volatile long phaseStart;
    private volatile long countingSince;
    private volatile Work work;
    private volatile long workSince;

    private Progress(SparkContext spark, String prefix, PrintStream out, long intervalMillis,
                     Predicate<String> jobLines) {
        this.spark = spark;
        this.prefix = prefix;
        this.out = out;
        this.listener = new Listener(jobLines, spark.getConf().getDouble("spark.task.resource.gpu.amount", 0));
        this.record = recordFile(spark.getConf().get(RECORD, ""));
        spark.addSparkListener(listener);
        if ((out != null || record != null) && intervalMillis > 0) {
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

    /** Session setting: a file on the driver to record the estimate's samples in (tab-separated), or empty. */
    public static final String RECORD = "spark.ringattention.progress.record";

    /**
     * Work of a phase that tasks count as they do it ({@link TimeLeft}), per kind of work in the order of
     * {@code estimate}'s kinds: {@code done}, and for each item whose whole work becomes known, that work
     * ({@code known}); and the size of those items ({@code knownSize}); the size of all items,
     * {@code totalSize}, is known from the start.
     */
    public record Work(List<LongAccumulator> done, List<LongAccumulator> known, LongAccumulator knownSize,
                       double totalSize, TimeLeft estimate) {
    }

    /**
     * What the Spark tasks seen by this progress cost: busy core seconds (run time times
     * {@code spark.task.cpus}), GPU seconds (run time times {@code spark.task.resource.gpu.amount}: the GPU
     * time Spark assigned them, none where it assigns none), the largest JVM heap in use an executor
     * reported, and the slowest and median task of the busiest stage (the most run time).
     */
    public record TaskFigures(double busyCoreSeconds, double gpuSeconds, long peakHeapBytes, double slowestTaskSeconds,
                              double medianTaskSeconds, int busiestStageTasks) {
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
     * The counters of a phase's work, one done and one known per kind of {@code estimate}, for the share
     * done and the estimate of time left, which this progress feeds every sample it takes: items of
     * {@code totalSize} in all. Its rates are measured from now.
     */
    public Work work(double totalSize, TimeLeft estimate) {
        List<LongAccumulator> done = new ArrayList<>();
        List<LongAccumulator> known = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (TimeLeft.Kind kind : estimate.kinds()) {
            done.add(spark.longAccumulator(prefix + " " + kind.name() + " done"));
            known.add(spark.longAccumulator(prefix + " " + kind.name() + " known"));
            names.add(kind.name());
        }
        Work w = new Work(List.copyOf(done), List.copyOf(known), spark.longAccumulator(prefix + " size known"),
                totalSize, estimate);
        workSince = System.nanoTime();
        work = w;
        recordLine("work\t" + seconds(startNanos, workSince) + "\t" + totalSize + "\t" + String.join("\t", names));
        return w;
    }

    /** The work's sample now, running tasks included; null before {@link #work}. */
    private TimeLeft.Sample sample() {
        Work w = work;
        if (w == null) {
            return null;
        }
        return new TimeLeft.Sample(seconds(workSince, System.nanoTime()),
                w.done().stream().mapToDouble(this::value).toArray(),
                w.known().stream().mapToDouble(this::value).toArray(), value(w.knownSize()), w.totalSize());
    }

    /** What the tasks seen so far cost ({@link TaskFigures}). */
    public TaskFigures tasks() {
        return listener.figures();
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
            if (work != null) {
                recordLine("end\t" + seconds(workSince, System.nanoTime()) + "\t" + phase);
            }
            phase = null;
        }
    }

    private void tick() {
        String current = phase;
        if (current == null || counters.isEmpty()) {
            return;
        }
        TimeLeft.Sample sample = sample();
        if (sample != null) {
            StringBuilder line = new StringBuilder("sample\t").append(sample.seconds());
            boolean finished = sample.knownSize() >= sample.totalSize();
            for (double d : sample.done()) {
                line.append('\t').append((long) d);
            }
            for (int k = 0; k < sample.known().length; k++) {
                line.append('\t').append((long) sample.known()[k]);
                finished &= sample.done()[k] >= sample.known()[k];
            }
            line.append('\t').append((long) sample.knownSize()).append('\t').append((long) sample.totalSize());
            recordLine(line.toString());
            // Every sample, shown or not, so that the estimate is the one a recording replays.
            work.estimate().add(sample);
            if (finished) {
                // The work is done; what runs now (counting, the report, the write) has no counts to show.
                line(current + ": " + duration((System.nanoTime() - phaseStart) / 1e9) + " so far");
                return;
            }
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
        if (sample != null) {
            TimeLeft estimate = work.estimate();
            double left = estimate.secondsLeft();
            eta = String.format(Locale.ROOT, "; %.0f%% of the work", 100 * estimate.fractionDone(sample))
                    + (Double.isNaN(left) ? "" : left < 1 ? ", finishing" : ", about " + duration(left) + " left");
        }
        line(current + ": " + counts + "; " + rate + eta);
    }

    private void recordLine(String text) {
        if (record != null) {
            synchronized (record) {
                record.println(text);
            }
        }
    }

    private static PrintStream recordFile(String path) {
        if (path.isEmpty()) {
            return null;
        }
        try {
            return new PrintStream(new java.io.FileOutputStream(path, true), true, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot open " + RECORD + " file " + path, e);
        }
    }

    private static double seconds(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1e9;
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
        if (record != null) {
            record.close();
        }
    }

    /** Accumulator values of running tasks (from heartbeats), lines for finished jobs, and what tasks cost. */
    private final class Listener extends SparkListener {
        private final Predicate<String> jobLines;
        private final double gpusPerTask;
        private final Map<Long, Map<Long, Long>> runningTasks = new ConcurrentHashMap<>();
        private final Map<Integer, Object[]> jobs = new ConcurrentHashMap<>();
        /** Run times (ms) of finished tasks, by stage. */
        private final Map<Integer, List<Long>> runTimes = new ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicLong busyCoreMillis = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicLong peakHeap = new java.util.concurrent.atomic.AtomicLong();

        Listener(Predicate<String> jobLines, double gpusPerTask) {
            this.jobLines = jobLines;
            this.gpusPerTask = gpusPerTask;
        }

        TaskFigures figures() {
            List<Long> busiest = List.of();
            long most = -1;
            for (List<Long> stage : runTimes.values()) {
                List<Long> times;
                synchronized (stage) {
                    times = new ArrayList<>(stage);
                }
                long sum = times.stream().mapToLong(Long::longValue).sum();
                if (sum > most) {
                    most = sum;
                    busiest = times;
                }
            }
            List<Long> sorted = new ArrayList<>(busiest);
            sorted.sort(null);
            double slowest = sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1e3;
            double median = sorted.isEmpty() ? 0 : sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2) / 1e3
                    : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2e3;
            long taskMillis = runTimes.values().stream().mapToLong(stage -> {
                synchronized (stage) {
                    return stage.stream().mapToLong(Long::longValue).sum();
                }
            }).sum();
            return new TaskFigures(busyCoreMillis.get() / 1e3, taskMillis * gpusPerTask / 1e3, peakHeap.get(), slowest,
                    median, sorted.size());
        }

        private void heap(org.apache.spark.executor.ExecutorMetrics metrics) {
            if (metrics != null && metrics.isSet()) {
                peakHeap.accumulateAndGet(metrics.getMetricValue("JVMHeapMemory"), Math::max);
            }
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
            for (org.apache.spark.executor.ExecutorMetrics m
                    : ScalaCollections.asJava(update.executorUpdates()).values()) {
                heap(m);
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            runningTasks.remove(end.taskInfo().taskId());
            heap(end.taskExecutorMetrics());
            if (end.taskMetrics() != null) {
                long ms = end.taskMetrics().executorRunTime();
                List<Long> stage = runTimes.computeIfAbsent(end.stageId(), id -> new ArrayList<>());
                synchronized (stage) {
                    stage.add(ms);
                }
                busyCoreMillis.addAndGet(ms * Math.max(1, spark.getConf().getInt("spark.task.cpus", 1)));
            }
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
