package org.ringattention.text;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Whether a hyphen at the end of a line broke a word ({@code connect‐} / {@code ing}: join it back without
 * the hyphen) or belongs to a compound that happened to end the line ({@code command-} / {@code line}: keep
 * it). The document itself decides: a form written elsewhere in it, away from a line end, is evidence. With
 * no evidence, the hyphen's character decides: renderers (groff, {@code man}) break words with U+2010, so
 * that one is a break; an ASCII hyphen is kept, as most plain text writes compounds with it. Soft hyphens
 * (U+00AD) are breaks by definition.
 * <p>
 * On the first line-end hyphen the text is read twice: once for every form in question (the two halves
 * joined, and hyphenated), once for where those forms occur. Only words whose hash matches a form in
 * question become strings, so a large document costs two scans and few allocations.
 */
final class Hyphenation {

    static final char HYPHEN = '\u2010';
    static final char SOFT_HYPHEN = '\u00AD';

    private final String text;
    private Set<String> seen;

    Hyphenation(String text) {
        this.text = text;
    }

    /** Whether {@code c} can end a line in the middle of a word. */
    static boolean isLineEndHyphen(char c) {
        return c == '-' || c == HYPHEN || c == SOFT_HYPHEN;
    }

    /**
     * Whether the hyphen {@code hyphen} between the letters {@code left} (the end of one line) and
     * {@code right} (the start of the next) is dropped when the lines are joined.
     */
    boolean dropsHyphen(String left, char hyphen, String right) {
        if (hyphen == SOFT_HYPHEN) {
            return true;
        }
        if (seen == null) {
            seen = occurrences(questions());
        }
        boolean joinedSeen = seen.contains((left + right).toLowerCase(Locale.ROOT));
        boolean compoundSeen = seen.contains((left + "-" + right).toLowerCase(Locale.ROOT));
        if (joinedSeen != compoundSeen) {
            return joinedSeen;
        }
        return hyphen == HYPHEN;
    }

    /**
     * The forms in question, lower case: for every line ending in letters and a hyphen, followed by a line
     * starting with letters, the two runs of letters joined and hyphenated ({@code -}).
     */
    private Set<String> questions() {
        Set<String> forms = new HashSet<>();
        for (int end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', end + 1)) {
            int h = end - 1;
            while (h > 0 && (text.charAt(h) == ' ' || text.charAt(h) == '\t')) {
                h--;
            }
            if (h < 1 || !isLineEndHyphen(text.charAt(h)) || !Character.isLetter(text.charAt(h - 1))) {
                continue;
            }
            int left = h;
            while (left > 0 && Character.isLetter(text.charAt(left - 1))) {
                left--;
            }
            int start = end + 1;
            while (start < text.length() && (text.charAt(start) == ' ' || text.charAt(start) == '\t')) {
                start++;
            }
            int right = start;
            while (right < text.length() && Character.isLetter(text.charAt(right))) {
                right++;
            }
            if (right > start) {
                String l = text.substring(left, h).toLowerCase(Locale.ROOT);
                String r = text.substring(start, right).toLowerCase(Locale.ROOT);
                forms.add(l + r);
                forms.add(l + "-" + r);
            }
        }
        return forms;
    }

    /**
     * Which of {@code forms} the text holds as a word (a run of letters) or a compound ({@code a-b}, either
     * hyphen, not at a line end: that one is what is being decided). Words are hashed as they are read, as
     * {@link String#hashCode} would hash them in lower case, and only a hash among the forms' is checked.
     */
    private Set<String> occurrences(Set<String> forms) {
        int[] hashes = forms.stream().mapToInt(String::hashCode).sorted().toArray();
        Set<String> found = new HashSet<>();
        int n = text.length();
        int k = 0;
        while (k < n) {
            if (!isLetter(text.charAt(k))) {
                k++;
                continue;
            }
            int start = k;
            int hash = 0;
            while (k < n && isLetter(text.charAt(k))) {
                hash = 31 * hash + Character.toLowerCase(text.charAt(k));
                k++;
            }
            check(start, k, hash, forms, hashes, found);
            if (k + 1 < n && (text.charAt(k) == '-' || text.charAt(k) == HYPHEN) && isLetter(text.charAt(k + 1))) {
                int end = k + 1;
                int compound = 31 * hash + '-';
                while (end < n && isLetter(text.charAt(end))) {
                    compound = 31 * compound + Character.toLowerCase(text.charAt(end));
                    end++;
                }
                check(start, end, compound, forms, hashes, found);
            }
        }
        return found;
    }

    /** {@link Character#isLetter}, with ASCII answered first: this runs on every character of the text. */
    private static boolean isLetter(char c) {
        return c < 128 ? c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' : Character.isLetter(c);
    }

    private void check(int start, int end, int hash, Set<String> forms, int[] hashes, Set<String> found) {
        if (Arrays.binarySearch(hashes, hash) >= 0) {
            String form = text.substring(start, end).replace(HYPHEN, '-').toLowerCase(Locale.ROOT);
            if (forms.contains(form)) {
                found.add(form);
            }
        }
    }
}
