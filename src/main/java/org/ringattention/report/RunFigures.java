package org.ringattention.report;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one run did, and what it cost, for its report.
 *
 * @param date           the run's date, YYYY-MM-DD
 * @param input          where the documents came from
 * @param documentsFound input rows (summarized + rejected)
 * @param inputBytes     bytes under {@code input}
 * @param computed       documents summarized by this run
 * @param carried        documents whose summary was carried from an earlier night, unchanged
 * @param sentences      sentences of the computed documents
 * @param tokens         encoder tokens of the computed documents
 * @param rejects        rejected input rows by reason, in the order to show
 * @param phaseSeconds   wall time of each phase, in order
 * @param seconds        wall time of the whole run
 * @param cost           what the run's Spark tasks cost
 * @param longest        the computed document of the most tokens and its time, or null when none was computed
 */
public record RunFigures(String date, String input, long documentsFound, long inputBytes, long computed, long carried,
                         long sentences, long tokens, Map<String, Long> rejects, Map<String, Double> phaseSeconds,
                         double seconds, Cost cost, Longest longest) {

    /**
     * What the run's Spark tasks cost.
     *
     * @param cores              task slots the run held (Spark's default parallelism)
     * @param busyCoreHours      the tasks' run time times the cores each held
     * @param gpuHours           the tasks' run time times the GPUs Spark assigned each (0 where none)
     * @param slowestTaskSeconds the slowest task of the busiest stage
     * @param medianTaskSeconds  the median task of that stage
     * @param peakHeapBytes      the largest JVM heap in use that an executor reported
     */
    public record Cost(int cores, double busyCoreHours, double gpuHours, double slowestTaskSeconds,
                       double medianTaskSeconds, long peakHeapBytes) {

        /** Cores held for {@code seconds}: what a night of that wall time costs on cores reserved for it. */
        public double coreHours(double seconds) {
            return cores * seconds / 3600;
        }
    }

    /** The longest computed document: its tokens, sentences, and the time spent on it (its task and its ring). */
    public record Longest(String docId, long tokens, long sentences, double seconds) {
    }

    public RunFigures {
        rejects = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rejects));
        phaseSeconds = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(phaseSeconds));
    }

    /** Documents summarized: computed and carried. */
    public long documents() {
        return computed + carried;
    }

    public long rejected() {
        return rejects.values().stream().mapToLong(Long::longValue).sum();
    }
}
