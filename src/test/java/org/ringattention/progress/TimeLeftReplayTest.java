package org.ringattention.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The estimate of time left, replayed on the progress of recorded runs of the nightly job
 * ({@code spark.ringattention.progress.record}; each fixture's first lines say how it was recorded, and
 * BENCHMARKS.md names the runs): after the first quarter of
 * the work, every estimate a progress line would have shown is within a factor of 2 of the time that was
 * really left, or within one executor heartbeat (10 s: the counts of running tasks are that old at most,
 * so nearer than that the truth cannot be resolved). The work ends with the phase in which the counts
 * last moved. The old estimate (elapsed time scaled by the characters of finished documents) is replayed
 * on the same samples: on long documents it fails, so the check has teeth.
 */
class TimeLeftReplayTest {

    /** The estimate the job uses: work per character before any document's work is known (DocumentCounters). */
    private static final TimeLeft ESTIMATE = new TimeLeft(0.25 * 21.2);
    private static final double HEARTBEAT_SECONDS = 10;

    /** A recorded run: its samples and when its work ended. */
    private record Recording(String name, List<TimeLeft.Sample> samples, double end) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"four-long-documents.tsv", "corpus-1000-documents.tsv"})
    void afterTheFirstQuarterTheEstimateIsWithinAFactorOfTwo(String fixture) throws IOException {
        Recording run = read(fixture);
        List<String> misses = misses(run, ESTIMATE::secondsLeft);
        assertTrue(misses.isEmpty(), fixture + ": " + misses);
    }

    @ParameterizedTest
    @ValueSource(strings = {"four-long-documents.tsv"})
    void theEstimateFromFinishedDocumentsMissesOnLongDocuments(String fixture) throws IOException {
        Recording run = read(fixture);
        ToDoubleFunction<TimeLeft.Sample> finishedDocuments = s -> s.knownSize() <= 0 ? Double.NaN
                : s.seconds() * (s.totalSize() - s.knownSize()) / s.knownSize();
        assertFalse(misses(run, finishedDocuments).isEmpty(), "the old estimate stays within the bounds too");
    }

    /** The samples after the first quarter whose estimate is off by more than a factor of 2 and a heartbeat. */
    private static List<String> misses(Recording run, ToDoubleFunction<TimeLeft.Sample> estimate) {
        List<String> misses = new ArrayList<>();
        int checked = 0;
        for (TimeLeft.Sample s : run.samples()) {
            double left = run.end() - s.seconds();
            if (s.seconds() < run.end() / 4 || left <= 0) {
                continue;
            }
            double e = estimate.applyAsDouble(s);
            checked++;
            boolean near = !Double.isNaN(e) && (Math.abs(e - left) <= HEARTBEAT_SECONDS || (e <= 2 * left && e >= left / 2));
            if (!near) {
                misses.add(String.format(Locale.ROOT, "at %.0f s: estimated %.0f s left, really %.0f s", s.seconds(), e, left));
            }
        }
        assertTrue(checked >= 4, run.name() + ": only " + checked + " samples after the first quarter");
        return misses;
    }

    /**
     * A recording: {@code #} lines (how it was recorded), {@code sample} lines (seconds since the work began, done, known, known size, total
     * size) and {@code end} lines (seconds, phase). The work ends at the first phase end after the last
     * sample whose work done was still short of the final count.
     */
    private static Recording read(String fixture) throws IOException {
        List<TimeLeft.Sample> samples = new ArrayList<>();
        List<Double> ends = new ArrayList<>();
        try (InputStream in = TimeLeftReplayTest.class.getResourceAsStream("/progress/" + fixture)) {
            assertTrue(in != null, "fixture " + fixture);
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split("\t");
                if (f[0].equals("sample")) {
                    samples.add(new TimeLeft.Sample(Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                            Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5])));
                } else if (f[0].equals("end")) {
                    ends.add(Double.parseDouble(f[1]));
                }
            }
        }
        double last = samples.get(samples.size() - 1).done();
        double lastShort = samples.stream().filter(s -> s.done() < last).mapToDouble(TimeLeft.Sample::seconds).max()
                .orElseThrow();
        double end = ends.stream().filter(t -> t > lastShort).findFirst().orElseThrow();
        assertEquals(samples.get(0).totalSize(), samples.get(samples.size() - 1).totalSize(), "one work per recording");
        return new Recording(fixture, samples, end);
    }
}
