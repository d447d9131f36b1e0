package org.ringattention.progress;

/**
 * The estimate of time left from counts of work: the work left at the rate measured so far. Work is
 * counted inside items as it is done (tokens through an encoder, attention blocks), so one long item
 * moves the estimate while it runs. The total is known exactly only for items whose work is known (a
 * document once split and tokenized); for the rest it is their size (characters, known from the start)
 * at the work per size of the known ones, or at a prior before any is known.
 *
 * <p>A pure function of its samples, so that the progress of recorded runs can be replayed against it
 * ({@code TimeLeftReplayTest}).
 */
public final class TimeLeft {

    /**
     * One observation of a phase's work.
     *
     * @param seconds   seconds since the work began
     * @param done      work done, in any unit
     * @param known     the whole work of the items whose work is known
     * @param knownSize the size of those items
     * @param totalSize the size of all items
     */
    public record Sample(double seconds, double done, double known, double knownSize, double totalSize) {
    }

    private final double priorWorkPerSize;

    /** Estimates with {@code priorWorkPerSize} as the work per unit of size until an item's work is known. */
    public TimeLeft(double priorWorkPerSize) {
        this.priorWorkPerSize = priorWorkPerSize;
    }

    /** The whole work: known items' work, the others' size at the known items' work per size. */
    public double totalWork(Sample s) {
        double perSize = s.knownSize() > 0 ? s.known() / s.knownSize() : priorWorkPerSize;
        return Math.max(s.done(), s.known() + Math.max(0, s.totalSize() - s.knownSize()) * perSize);
    }

    /** The share of the work done, 0 to 1. */
    public double fractionDone(Sample s) {
        double total = totalWork(s);
        return total > 0 ? s.done() / total : 0;
    }

    /** Seconds left at the rate so far ({@code done / seconds}); NaN before any work is done. */
    public double secondsLeft(Sample s) {
        if (s.done() <= 0 || s.seconds() <= 0) {
            return Double.NaN;
        }
        return (totalWork(s) - s.done()) / (s.done() / s.seconds());
    }
}
