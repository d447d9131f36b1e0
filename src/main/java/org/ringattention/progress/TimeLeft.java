package org.ringattention.progress;

import java.util.List;

/**
 * The estimate of time left from counts of work of several kinds, each at its own measured rate. Work
 * is counted inside items as it is done (tokens through an encoder, attention blocks), so one long item
 * moves the estimate while it runs. The kinds come in pipeline order, and a kind's work can cost more
 * seconds per unit than another's (attention against encoding on a CPU): one rate for all would price
 * the work of a later kind at the earlier kind's rate for as long as the earlier kind dominates the
 * counts. The total of a kind is known exactly only for items whose work is known (a document once
 * split and tokenized); for the rest it is their size (characters, known from the start) at the work per
 * size of the known ones, or, before any is known, at a prior for the first kind and none for the others.
 *
 * <p>The estimate is fed the samples in the order they were taken ({@link #add}) and depends on nothing
 * else, so that the progress of recorded runs replays exactly as the job computed it
 * ({@code TimeLeftReplayTest}). Each interval between samples is attributed to the kinds that did work in
 * it, in proportion to the work each did; an interval with none goes to the first kind not finished (a
 * kind's work waits for the earlier kinds', such as attention for the encoder's output), except before
 * any work was counted at all: that is the start-up (a model loaded, the first batch in flight, its count
 * a heartbeat away), paid once and not again for the work left. A kind's rate is its work over its seconds.
 */
public final class TimeLeft {

    /**
     * A kind of work: its name (as recorded), and the seconds a unit of it costs against a unit of the
     * first kind (1 for the first kind), the prior for its rate until its own is measured.
     */
    public record Kind(String name, double relativeCost) {
    }

    /**
     * One observation of a phase's work.
     *
     * @param seconds   seconds since the work began
     * @param done      work done per kind, in one unit for all
     * @param known     per kind, the whole work of the items whose work is known
     * @param knownSize the size of those items
     * @param totalSize the size of all items
     */
    public record Sample(double seconds, double[] done, double[] known, double knownSize, double totalSize) {

        /** The work done of all kinds. */
        public double allDone() {
            double sum = 0;
            for (double d : done) {
                sum += d;
            }
            return sum;
        }
    }

    /**
     * Seconds of the prior rate mixed into a later kind's measured rate: its first counts come in lumps
     * (a ring step folds a whole block per position; a document's attention counts when it ends), so its
     * rate over the first seconds swings widely.
     */
    static final double SMOOTHING_SECONDS = 30;

    private final double priorWorkPerSize;
    private final List<Kind> kinds;
    /** Seconds attributed to each kind so far. */
    private final double[] seconds;
    /** The last sample added; null before the first. */
    private Sample last;

    /**
     * An estimate for {@code kinds} in pipeline order, with {@code priorWorkPerSize} as the first kind's
     * work per unit of size until an item's work is known.
     */
    public TimeLeft(double priorWorkPerSize, List<Kind> kinds) {
        if (kinds.isEmpty() || kinds.get(0).relativeCost() != 1) {
            throw new IllegalArgumentException("the first kind of work is the unit of the others' cost: " + kinds);
        }
        this.priorWorkPerSize = priorWorkPerSize;
        this.kinds = List.copyOf(kinds);
        this.seconds = new double[kinds.size()];
    }

    /** The kinds of work, in pipeline order. */
    public List<Kind> kinds() {
        return kinds;
    }

    /** The whole work of kind {@code k}: known items' work, the others' size at the known items' work per size. */
    public double totalWork(Sample s, int k) {
        double perSize = s.knownSize() > 0 ? s.known()[k] / s.knownSize() : k == 0 ? priorWorkPerSize : 0;
        return Math.max(s.done()[k], s.known()[k] + Math.max(0, s.totalSize() - s.knownSize()) * perSize);
    }

    /** The share of the work of all kinds done, 0 to 1. */
    public double fractionDone(Sample s) {
        double total = 0;
        for (int k = 0; k < kinds.size(); k++) {
            total += totalWork(s, k);
        }
        return total > 0 ? s.allDone() / total : 0;
    }

    /** Takes the next sample of the run, taken no earlier than the last one; the first's interval begins at 0 s. */
    public synchronized void add(Sample s) {
        if (s.done().length != kinds.size() || s.known().length != kinds.size()) {
            throw new IllegalArgumentException("a sample of " + s.done().length + " kinds for " + kinds);
        }
        double interval = s.seconds() - (last == null ? 0 : last.seconds());
        double[] gain = new double[kinds.size()];
        double gained = 0;
        for (int k = 0; k < gain.length; k++) {
            // A failed task's counts leave the heartbeats: work can go back, which is no work done.
            gain[k] = Math.max(0, s.done()[k] - (last == null ? 0 : last.done()[k]));
            gained += gain[k];
        }
        if (gained > 0) {
            for (int k = 0; k < gain.length; k++) {
                seconds[k] += interval * gain[k] / gained;
            }
        } else if (s.allDone() > 0) {
            for (int k = 0; k < gain.length; k++) {
                if (s.knownSize() < s.totalSize() || s.done()[k] < totalWork(s, k)) {
                    seconds[k] += interval;
                    break;
                }
            }
        }
        last = s;
    }

    /**
     * Seconds left after the last sample added: each kind's work left at its rate. The first kind's rate
     * is its work over its seconds (NaN before it did any); a later kind's mixes its own with the first's
     * over its relative cost, weighted by {@link #SMOOTHING_SECONDS} against its seconds so far.
     */
    public synchronized double secondsLeft() {
        if (last == null || last.done()[0] <= 0 || seconds[0] <= 0) {
            return Double.NaN;
        }
        double firstRate = last.done()[0] / seconds[0];
        double left = (totalWork(last, 0) - last.done()[0]) / firstRate;
        for (int k = 1; k < kinds.size(); k++) {
            double prior = firstRate / kinds.get(k).relativeCost();
            double rate = (last.done()[k] + prior * SMOOTHING_SECONDS) / (seconds[k] + SMOOTHING_SECONDS);
            left += (totalWork(last, k) - last.done()[k]) / rate;
        }
        return left;
    }
}
