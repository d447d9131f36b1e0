package org.ringattention.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ROUGE-1, ROUGE-2 and ROUGE-L (Lin 2004) as Google's {@code rouge-score} computes them with
 * {@code use_stemmer=True}: text lower-cased, every character outside {@code [a-z0-9]} a space, tokens
 * longer than three characters stemmed ({@link PorterStemmer}); ROUGE-N from clipped n-gram counts,
 * ROUGE-L from the longest common subsequence of the two token sequences (sentence level, not
 * {@code rougeLsum}); F1 = 2PR / (P + R), 0 when either side has no tokens.
 */
public final class Rouge {

    /** Precision, recall and F1 of one measure. */
    public record Score(double precision, double recall, double f1) {
        static Score of(double overlap, int candidate, int reference) {
            double p = candidate == 0 ? 0 : overlap / candidate;
            double r = reference == 0 ? 0 : overlap / reference;
            return new Score(p, r, p + r == 0 ? 0 : 2 * p * r / (p + r));
        }
    }

    /** The three measures of one candidate against one reference. */
    public record Scores(Score rouge1, Score rouge2, Score rougeL) {
    }

    private Rouge() {
    }

    public static List<String> tokens(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        StringBuilder cleaned = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            cleaned.append(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ? c : ' ');
        }
        List<String> tokens = new ArrayList<>();
        for (String t : cleaned.toString().trim().split(" +")) {
            if (!t.isEmpty()) {
                tokens.add(t.length() > 3 ? PorterStemmer.stem(t) : t);
            }
        }
        return tokens;
    }

    public static Scores score(String reference, String candidate) {
        return score(tokens(reference), tokens(candidate));
    }

    static Scores score(List<String> reference, List<String> candidate) {
        return new Scores(ngrams(reference, candidate, 1), ngrams(reference, candidate, 2), lcs(reference, candidate));
    }

    static Score ngrams(List<String> reference, List<String> candidate, int n) {
        Map<List<String>, Integer> ref = counts(reference, n);
        Map<List<String>, Integer> cand = counts(candidate, n);
        int overlap = 0;
        for (Map.Entry<List<String>, Integer> e : cand.entrySet()) {
            overlap += Math.min(e.getValue(), ref.getOrDefault(e.getKey(), 0));
        }
        return Score.of(overlap, Math.max(0, candidate.size() - n + 1), Math.max(0, reference.size() - n + 1));
    }

    private static Map<List<String>, Integer> counts(List<String> tokens, int n) {
        Map<List<String>, Integer> c = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            c.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return c;
    }

    static Score lcs(List<String> reference, List<String> candidate) {
        int[] previous = new int[candidate.size() + 1];
        int[] current = new int[candidate.size() + 1];
        for (String r : reference) {
            for (int j = 1; j <= candidate.size(); j++) {
                current[j] = r.equals(candidate.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return Score.of(previous[candidate.size()], candidate.size(), reference.size());
    }
}
