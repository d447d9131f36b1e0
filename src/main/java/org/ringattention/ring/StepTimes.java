package org.ringattention.ring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Where a ring step's time goes, from Spark's own job and task metrics: a listener that recognizes
 * the jobs described "ring step t/P" and, for each, records its wall time (job start to job end) and
 * its fold time. A task's fold is its executor run time less the time it blocked waiting for shuffle
 * blocks; a step's fold time is that of its busiest executor (the sum of its tasks' folds over its
 * cores, as P may exceed the slots). What a step costs beyond it, {@link Step#exposedMillis()}, is
 * communication (the rotation's shuffle write and any fetch the fold did not hide) plus scheduling:
 * the time the Ring Attention paper aims to hide behind the block computation. Register with
 * {@code sparkContext.addSparkListener} before executors start (executors not seen being added count
 * {@code defaultCores}); read after the job.
 */
public final class StepTimes extends SparkListener {

    private static final Pattern STEP = Pattern.compile("^ring step (\\d+)/(\\d+)");

    /**
     * One ring step: its number (1-based), job wall time, the busiest executor's fold time and fetch
     * wait, and the longest shuffle write of the rotation's map tasks.
     */
    public record Step(int step, int steps, long wallMillis, long foldMillis, long fetchWaitMillis,
                       long shuffleWriteMillis) {

        /** Wall time not covered by the slowest fold. */
        public long exposedMillis() {
            return Math.max(0, wallMillis - foldMillis);
        }
    }

    private final int defaultCores;
    private final Map<String, Integer> cores = new HashMap<>();
    private final Map<Integer, int[]> stepOfJob = new HashMap<>();
    private final Map<Integer, Integer> jobOfStage = new HashMap<>();
    private final Map<Integer, Long> started = new HashMap<>();
    /** Per step job: executor -> {fold ms, fetch wait ms} summed over its result tasks. */
    private final Map<Integer, Map<String, long[]>> folds = new HashMap<>();
    private final Map<Integer, Long> shuffleWrite = new HashMap<>();
    private final List<Step> steps = new ArrayList<>();

    public StepTimes(int defaultCores) {
        this.defaultCores = defaultCores;
    }

    @Override
    public synchronized void onExecutorAdded(SparkListenerExecutorAdded added) {
        cores.put(added.executorId(), added.executorInfo().totalCores());
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart start) {
        String description = start.properties() == null ? null : start.properties().getProperty("spark.job.description");
        Matcher m = description == null ? null : STEP.matcher(description);
        if (m == null || !m.find()) {
            return;
        }
        stepOfJob.put(start.jobId(), new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
        started.put(start.jobId(), start.time());
        folds.put(start.jobId(), new HashMap<>());
        shuffleWrite.put(start.jobId(), 0L);
        scala.collection.Iterator<Object> stages = start.stageIds().iterator();
        while (stages.hasNext()) {
            jobOfStage.put((Integer) stages.next(), start.jobId());
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
        Integer job = jobOfStage.get(end.stageId());
        TaskMetrics metrics = end.taskMetrics();
        if (job == null || metrics == null || !end.taskInfo().successful()) {
            return;
        }
        long wait = metrics.shuffleReadMetrics().fetchWaitTime();
        if (end.taskType().equals("ResultTask")) {
            long[] t = folds.get(job).computeIfAbsent(end.taskInfo().executorId(), e -> new long[2]);
            t[0] += metrics.executorRunTime() - wait;
            t[1] += wait;
        } else {
            shuffleWrite.merge(job, metrics.shuffleWriteMetrics().writeTime() / 1_000_000, Math::max);
        }
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd end) {
        int[] step = stepOfJob.remove(end.jobId());
        if (step == null) {
            return;
        }
        long fold = 0;
        long wait = 0;
        for (Map.Entry<String, long[]> e : folds.remove(end.jobId()).entrySet()) {
            int c = cores.getOrDefault(e.getKey(), defaultCores);
            if (e.getValue()[0] / c > fold) {
                fold = e.getValue()[0] / c;
                wait = e.getValue()[1] / c;
            }
        }
        steps.add(new Step(step[0], step[1], end.time() - started.remove(end.jobId()), fold, wait,
                shuffleWrite.remove(end.jobId())));
        jobOfStage.values().removeIf(j -> j == end.jobId());
    }

    /** The steps seen so far, in the order their jobs ended; {@link #clear()} starts afresh. */
    public synchronized List<Step> steps() {
        return List.copyOf(steps);
    }

    public synchronized void clear() {
        steps.clear();
    }
}
