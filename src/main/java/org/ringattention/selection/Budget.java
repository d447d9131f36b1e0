package org.ringattention.selection;

/**
 * How much a summary may hold: at most {@code sentences} sentences, or about {@code words} words. Long
 * documents are summarized, and scored, at a fixed length in words, so every method gets the same room
 * whatever the length of the sentences it prefers. A word budget is filled with whole sentences as close to
 * {@code words} as they allow: a sentence that fits is taken; one that would pass the budget is taken only
 * when it brings the total nearer to it and stays within {@link #OVERSHOOT} of it, and then the summary is
 * full. Words are counted as the user reads them: whitespace-separated runs that hold a letter or digit.
 */
public record Budget(int sentences, int words) {

    /** A word budget's summary never holds more than this many times its words. */
    public static final double OVERSHOOT = 1.5;

    public Budget {
        if ((sentences > 0) == (words > 0) || sentences < 0 || words < 0) {
            throw new IllegalArgumentException("a budget is a positive number of sentences or of words, got "
                    + sentences + " sentences and " + words + " words");
        }
    }

    public static Budget sentences(int k) {
        return new Budget(k, 0);
    }

    public static Budget words(int w) {
        return new Budget(0, w);
    }

    /** Whether a summary of {@code count} sentences and {@code held} words is full. */
    public boolean full(int count, int held) {
        return sentences > 0 ? count >= sentences : held >= words;
    }

    /** Whether a sentence of {@code add} words may join a summary of {@code count} sentences and {@code held} words. */
    public boolean fits(int count, int held, int add) {
        if (sentences > 0) {
            return count < sentences;
        }
        int total = held + add;
        return total <= words || (total <= OVERSHOOT * words && total - words < words - held);
    }

    /** The words of {@code text} as the budget counts them. */
    public static int words(String text) {
        int n = 0;
        boolean inToken = false;
        boolean counted = false;
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (Character.isWhitespace(c)) {
                inToken = false;
            } else {
                if (!inToken) {
                    inToken = true;
                    counted = false;
                }
                if (!counted && Character.isLetterOrDigit(c)) {
                    n++;
                    counted = true;
                }
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return sentences > 0 ? sentences + " sentences" : words + " words";
    }
}
