package org.ringattention.drill;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * What Spark reported of a drill run: task attempts failed by an {@link InjectedFault} and executors
 * removed. Spark delivers listener events on its own thread, after the fact; {@link #awaitJobsOf} waits
 * until every job of the run has been seen to end, and since a listener gets events in the order they
 * were posted, the failures and losses that preceded those ends have been counted by then.
 */
final class SparkEvents extends SparkListener implements AutoCloseable {

    /** The counts since the last {@link #reset}. */
    record Counts(int injectedTaskFailures, int executorsRemoved) {
    }

    private static final long WAIT_SECONDS = 120;

    private final SparkContext sc;
    private final Set<Integer> ended = new HashSet<>();
    private int injectedTaskFailures;
    private int executorsRemoved;

    private SparkEvents(SparkContext sc) {
        this.sc = sc;
    }

    /** Starts listening on {@code sc}; {@link #close} stops. */
    static SparkEvents listen(SparkContext sc) {
        SparkEvents events = new SparkEvents(sc);
        sc.addSparkListener(events);
        return events;
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.reason().toString().contains(InjectedFault.class.getName())) {
            injectedTaskFailures++;
        }
    }

    @Override
    public synchronized void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
        executorsRemoved++;
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd end) {
        ended.add(end.jobId());
        notifyAll();
    }

    synchronized void reset() {
        injectedTaskFailures = 0;
        executorsRemoved = 0;
    }

    synchronized Counts counts() {
        return new Counts(injectedTaskFailures, executorsRemoved);
    }

    /** Waits until the end of every job started in job group {@code group} has been delivered. */
    void awaitJobsOf(String group) {
        int[] jobs = sc.statusTracker().getJobIdsForGroup(group);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        synchronized (this) {
            for (int job : jobs) {
                while (!ended.contains(job)) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        throw new IllegalStateException("Spark did not deliver the end of job " + job + " within "
                                + WAIT_SECONDS + " s; the drill cannot count what the run's faults did");
                    }
                    try {
                        wait(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while waiting for Spark's events", e);
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
