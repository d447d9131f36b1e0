package org.ringattention.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ringattention.summarize.WorkMeter;

/**
 * The estimate of time left, replayed on the progress of recorded runs of the nightly job through the
 * estimate the job makes ({@link WorkMeter#timeLeft}): after the first quarter of the work, every
 * estimate a progress line would have shown is within a factor of 2 of the time that was really left,
 * or within one executor heartbeat (10 s: the counts of running tasks are that old at most, so nearer
 * than that the truth cannot be resolved). The work ends with the phase in which the counts last moved.
 * The old estimate (elapsed time scaled by the characters of finished documents) is replayed on the
 * same samples: on long documents it fails, so the check has teeth.
 *
 * <p>A recording is what {@code spark.ringattention.progress.record=FILE} writes (jobs/summarize-bench
 * {@code --record DIR} sets it per night), tab-separated, one line each:
 * <ul>
 * <li>{@code # ...}: how it was recorded (date, commit, command, machine load), added to a fixture by hand;</li>
 * <li>{@code work SECONDS TOTAL_SIZE KIND...}: the work's counters began, {@code SECONDS} after the
 * progress started; the size of all items (characters); the kinds of work, in pipeline order
 * ({@code encoding attention});</li>
 * <li>{@code sample SECONDS DONE... KNOWN... KNOWN_SIZE TOTAL_SIZE}: every progress tick, seconds since
 * the work began, then per kind in the order of the {@code work} line the work done (MFLOP), then per
 * kind the whole work of the documents whose work is known, then their characters and all characters;
 * with two kinds, {@code sample seconds enc_done att_done enc_known att_known known_size total_size};</li>
 * <li>{@code end SECONDS PHASE}: a phase ended, seconds since the work began (phases that ended before
 * the work began have negative or tiny times).</li>
 * </ul>
 */
class TimeLeftReplayTest {

    private static final double HEARTBEAT_SECONDS = 10;

    /** A recorded run: its samples and when its work ended. */
    private record Recording(String name, List<TimeLeft.Sample> samples, double end) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"four-long-documents.tsv", "corpus-1000-documents.tsv"})
    void afterTheFirstQuarterTheEstimateIsWithinAFactorOfTwo(String fixture) throws IOException {
        Recording run = read(fixture);
        TimeLeft estimate = WorkMeter.timeLeft();
        List<String> misses = misses(run, s -> {
            estimate.add(s);
            return estimate.secondsLeft();
        });
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

    /**
     * The samples after the first quarter whose estimate is off by more than a factor of 2 and a
     * heartbeat; {@code estimate} is given every sample, in order.
     */
    private static List<String> misses(Recording run, ToDoubleFunction<TimeLeft.Sample> estimate) {
        List<String> misses = new ArrayList<>();
        int checked = 0;
        for (TimeLeft.Sample s : run.samples()) {
            double e = estimate.applyAsDouble(s);
            double left = run.end() - s.seconds();
            if (s.seconds() < run.end() / 4 || left <= 0) {
                continue;
            }
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
     * A recording (the format above), recorded with the kinds of work the job's estimate has. The work
     * ends at the first phase end after the last sample whose work done was still short of the final count.
     */
    private static Recording read(String fixture) throws IOException {
        List<TimeLeft.Sample> samples = new ArrayList<>();
        List<Double> ends = new ArrayList<>();
        List<String> kinds = null;
        try (InputStream in = TimeLeftReplayTest.class.getResourceAsStream("/progress/" + fixture)) {
            assertTrue(in != null, "fixture " + fixture);
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split("\t");
                if (f[0].equals("work")) {
                    kinds = Arrays.asList(f).subList(3, f.length);
                } else if (f[0].equals("sample")) {
                    double[] v = Arrays.stream(f, 1, f.length).mapToDouble(Double::parseDouble).toArray();
                    int k = kinds.size();
                    assertEquals(1 + 2 * k + 2, v.length, fixture + ": " + line);
                    samples.add(new TimeLeft.Sample(v[0], Arrays.copyOfRange(v, 1, 1 + k),
                            Arrays.copyOfRange(v, 1 + k, 1 + 2 * k), v[1 + 2 * k], v[2 + 2 * k]));
                } else if (f[0].equals("end")) {
                    ends.add(Double.parseDouble(f[1]));
                }
            }
        }
        assertEquals(WorkMeter.timeLeft().kinds().stream().map(TimeLeft.Kind::name).toList(), kinds,
                fixture + ": the kinds of work recorded");
        double last = samples.get(samples.size() - 1).allDone();
        double lastShort = samples.stream().filter(s -> s.allDone() < last).mapToDouble(TimeLeft.Sample::seconds).max()
                .orElseThrow();
        double end = ends.stream().filter(t -> t > lastShort).findFirst().orElseThrow();
        assertEquals(samples.get(0).totalSize(), samples.get(samples.size() - 1).totalSize(), "one work per recording");
        return new Recording(fixture, samples, end);
    }
}
