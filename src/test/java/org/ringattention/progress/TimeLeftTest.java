package org.ringattention.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The estimate of time left with a rate per kind of work, on synthetic runs whose truth is known. */
class TimeLeftTest {

    private static final List<TimeLeft.Kind> KINDS = List.of(new TimeLeft.Kind("encoding", 1),
            new TimeLeft.Kind("attention", 2.5));

    /**
     * All items known from the start: 1,000 units of the first kind at 10 per second (100 s), then 400 of
     * the second at 2.5 per second (160 s), a sample every 10 s. Its rate is a quarter of the first's, a
     * worse ratio than the estimate's prior of 2.5, as on a loaded machine.
     */
    private static List<TimeLeft.Sample> slowSecondKind() {
        List<TimeLeft.Sample> samples = new ArrayList<>();
        for (int t = 10; t <= 260; t += 10) {
            double first = Math.min(1000, 10.0 * t);
            double second = Math.max(0, Math.min(400, 2.5 * (t - 100)));
            samples.add(new TimeLeft.Sample(t, new double[] {first, second}, new double[] {1000, 400}, 50, 50));
        }
        return samples;
    }

    @Test
    void aSlowSecondKindIsEstimatedAtItsOwnRateWhereOneRateForAllMisses() {
        TimeLeft estimate = new TimeLeft(1, KINDS);
        List<String> perKind = new ArrayList<>();
        List<String> oneRate = new ArrayList<>();
        for (TimeLeft.Sample s : slowSecondKind()) {
            estimate.add(s);
            double left = 260 - s.seconds();
            if (s.seconds() < 260 / 4.0 || left <= 0) {
                continue;
            }
            check(s, estimate.secondsLeft(), left, perKind);
            check(s, (1400 - s.allDone()) / (s.allDone() / s.seconds()), left, oneRate);
        }
        assertTrue(perKind.isEmpty(), "per kind: " + perKind);
        assertFalse(oneRate.isEmpty(), "one rate for all work stays within a factor of 2 too");
    }

    @Test
    void anIntervalWithoutWorkGoesToTheFirstKindNotFinished() {
        TimeLeft estimate = new TimeLeft(1, KINDS);
        // 100 s of the first kind, then 50 s with nothing counted (the second kind's tasks start), then
        // 10 s in which the second kind did 10 units: the second kind has had 60 s.
        estimate.add(new TimeLeft.Sample(100, new double[] {1000, 0}, new double[] {1000, 400}, 50, 50));
        estimate.add(new TimeLeft.Sample(150, new double[] {1000, 0}, new double[] {1000, 400}, 50, 50));
        estimate.add(new TimeLeft.Sample(160, new double[] {1000, 10}, new double[] {1000, 400}, 50, 50));
        double prior = 10 / 2.5;
        double rate = (10 + prior * TimeLeft.SMOOTHING_SECONDS) / (60 + TimeLeft.SMOOTHING_SECONDS);
        assertEquals(390 / rate, estimate.secondsLeft(), 1e-9);
    }

    @Test
    void theStartUpBeforeAnyWorkIsCountedIsNoKindsTime() {
        TimeLeft estimate = new TimeLeft(1, KINDS);
        estimate.add(new TimeLeft.Sample(10, new double[] {0, 0}, new double[] {0, 0}, 0, 50));
        assertTrue(Double.isNaN(estimate.secondsLeft()));
        // Before any item is known, the first kind is sized at the prior per size and the second at none:
        // 25 of 50 units, done in the 10 s after the start-up.
        TimeLeft.Sample s = new TimeLeft.Sample(20, new double[] {25, 0}, new double[] {0, 0}, 0, 50);
        estimate.add(s);
        assertEquals(0.5, estimate.fractionDone(s));
        assertEquals(10, estimate.secondsLeft(), 1e-9);
    }

    private static void check(TimeLeft.Sample s, double estimate, double left, List<String> misses) {
        if (Double.isNaN(estimate) || estimate > 2 * left || estimate < left / 2) {
            misses.add(String.format(Locale.ROOT, "at %.0f s: %.0f s estimated, %.0f s left", s.seconds(), estimate, left));
        }
    }
}
