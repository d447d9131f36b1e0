package org.ringattention.ring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Where a ring step's time goes, from Spark's own job and task metrics: a listener that recognizes
 * the jobs described "ring step t/P" and, for each, records its wall time (job start to job end) and
 * the longest fold among its tasks. A task's fold time is its executor run time less the time it
 * blocked waiting for shuffle blocks, so what a step costs beyond its slowest fold,
 * {@link Step#exposedMillis()}, is communication (the rotation's shuffle write and any fetch the fold
 * did not hide) plus scheduling: the time the Ring Attention paper aims to hide behind the block
 * computation. Register with {@code sparkContext.addSparkListener}; read after the job.
 */
public final class StepTimes extends SparkListener {

    private static final Pattern STEP = Pattern.compile("^ring step (\\d+)/(\\d+)");

    /**
     * One ring step: its number (1-based), job wall time, and the slowest task's fold time and fetch wait.
     */
    public record Step(int step, int steps, long wallMillis, long foldMillis, long fetchWaitMillis,
                       long shuffleWriteMillis) {

        /** Wall time not covered by the slowest fold. */
        public long exposedMillis() {
            return Math.max(0, wallMillis - foldMillis);
        }
    }

    private final Map<Integer, int[]> stepOfJob = new HashMap<>();
    private final Map<Integer, Integer> jobOfStage = new HashMap<>();
    private final Map<Integer, Long> started = new HashMap<>();
    private final Map<Integer, long[]> tasks = new HashMap<>();
    private final List<Step> steps = new ArrayList<>();

    @Override
    public synchronized void onJobStart(SparkListenerJobStart start) {
        String description = start.properties() == null ? null : start.properties().getProperty("spark.job.description");
        Matcher m = description == null ? null : STEP.matcher(description);
        if (m == null || !m.find()) {
            return;
        }
        stepOfJob.put(start.jobId(), new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
        started.put(start.jobId(), start.time());
        tasks.put(start.jobId(), new long[3]);
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
        long[] t = tasks.get(job);
        long wait = metrics.shuffleReadMetrics().fetchWaitTime();
        if (end.taskType().equals("ResultTask")) {
            long fold = metrics.executorRunTime() - wait;
            if (fold > t[0]) {
                t[0] = fold;
                t[1] = wait;
            }
        } else {
            t[2] = Math.max(t[2], metrics.shuffleWriteMetrics().writeTime() / 1_000_000);
        }
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd end) {
        int[] step = stepOfJob.remove(end.jobId());
        if (step == null) {
            return;
        }
        long[] t = tasks.remove(end.jobId());
        steps.add(new Step(step[0], step[1], end.time() - started.remove(end.jobId()), t[0], t[1], t[2]));
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
