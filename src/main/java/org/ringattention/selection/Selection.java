package org.ringattention.selection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses a document's candidate sentences within a {@link Budget} by a {@link SelectionMethod} and
 * returns their indices in document order. Every method sees the same candidates (the non-fragment
 * sentences) and the same budget; the graph methods (LexRank, TextRank, coverage) work on at most
 * {@link Coverage#MAX_UNIVERSE} evenly spaced candidates of a longer document; ties go to the earlier
 * sentence, so every choice is deterministic.
 */
public final class Selection {

    /** LexRank's edge threshold on tf-idf cosine (Erkan &amp; Radev 2004). */
    static final double LEXRANK_THRESHOLD = 0.1;
    static final double DAMPING = 0.85;

    private Selection() {
    }

    public static int[] select(SelectionMethod method, Document doc, Budget budget, double redundancy) {
        return switch (method) {
            case COVERAGE -> Coverage.DEFAULT.select(doc, budget, redundancy);
            case CENTRALITY -> byScore(doc, doc.centrality(), budget, redundancy);
            case LEAD -> lead(doc, budget);
            case LEXRANK -> byScore(doc, spread(doc, lexRank(doc)), budget, 1.0);
            case TEXTRANK -> byScore(doc, spread(doc, textRank(doc)), budget, 1.0);
        };
    }

    /** The first candidates in document order, as many as the budget holds. */
    static int[] lead(Document doc, Budget budget) {
        return inOrder(doc, doc.candidates(), budget, 1.0);
    }

    /**
     * The highest-scoring candidates, skipping one whose cosine similarity to a sentence already picked
     * exceeds {@code redundancy}.
     */
    static int[] byScore(Document doc, double[] score, Budget budget, double redundancy) {
        Integer[] order = Arrays.stream(doc.candidates()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparingInt(i -> i));
        return inOrder(doc, Arrays.stream(order).mapToInt(Integer::intValue).toArray(), budget, redundancy);
    }

    /**
     * Candidates taken in the order given while the budget is not full, skipping one that does not fit it,
     * that repeats the words of a sentence already taken ({@link Words#nearDuplicates}) or whose cosine
     * similarity to one exceeds {@code redundancy}; in document order.
     */
    private static int[] inOrder(Document doc, int[] order, Budget budget, double redundancy) {
        List<Integer> chosen = new ArrayList<>();
        List<Set<String>> chosenWords = new ArrayList<>();
        int words = 0;
        for (int j : order) {
            if (budget.full(chosen.size(), words)) {
                break;
            }
            int w = doc.words(j);
            if (!budget.fits(chosen.size(), words, w)) {
                continue;
            }
            Set<String> set = new HashSet<>(Words.of(doc.sentences().get(j)));
            boolean redundant = false;
            for (int k = 0; k < chosen.size() && !redundant; k++) {
                redundant = Words.nearDuplicates(set, chosenWords.get(k))
                        || redundancy < 1 && doc.cosine(j, chosen.get(k)) > redundancy;
            }
            if (!redundant) {
                chosen.add(j);
                chosenWords.add(set);
                words += w;
            }
        }
        return chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** Scores over the (sampled) candidates placed back at their sentence indices; others score 0. */
    private static double[] spread(Document doc, double[] candidateScores) {
        double[] s = new double[doc.size()];
        int[] c = Coverage.sample(doc);
        for (int k = 0; k < c.length; k++) {
            s[c[k]] = candidateScores[k];
        }
        return s;
    }

    /** LexRank over the candidates: tf-idf cosine (idf over the document's sentences), edges >= 0.1, PageRank. */
    static double[] lexRank(Document doc) {
        int[] c = Coverage.sample(doc);
        int n = c.length;
        // Each sentence as its distinct words' ids in increasing order with their tf-idf weights.
        Map<String, Integer> ids = new HashMap<>();
        int[][] terms = new int[n][];
        int[][] tf = new int[n][];
        List<Integer> df = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            java.util.TreeMap<Integer, Integer> counts = new java.util.TreeMap<>();
            for (String w : Words.of(doc.sentences().get(c[k]))) {
                counts.merge(ids.computeIfAbsent(w, x -> ids.size()), 1, Integer::sum);
            }
            terms[k] = counts.keySet().stream().mapToInt(Integer::intValue).toArray();
            tf[k] = counts.values().stream().mapToInt(Integer::intValue).toArray();
            for (int t : terms[k]) {
                if (t == df.size()) {
                    df.add(0);
                }
                df.set(t, df.get(t) + 1);
            }
        }
        double[][] x = new double[n][];
        double[] norms = new double[n];
        for (int k = 0; k < n; k++) {
            x[k] = new double[terms[k].length];
            for (int t = 0; t < terms[k].length; t++) {
                x[k][t] = tf[k][t] * Math.log((double) n / df.get(terms[k][t]));
                norms[k] += x[k][t] * x[k][t];
            }
            norms[k] = Math.sqrt(norms[k]);
        }
        // Postings: for each word, the sentences holding it (increasing) and its weight there. Row a's dot
        // products are summed word by word in increasing id, the order of a merge of the two sentences'
        // sorted words, but only pairs that share a word cost anything (the coverage prior runs this on
        // every document, up to MAX_UNIVERSE^2 / 2 pairs).
        int[][] holders = new int[df.size()][];
        double[][] weights = new double[df.size()][];
        int[] filled = new int[df.size()];
        for (int t = 0; t < holders.length; t++) {
            holders[t] = new int[df.get(t)];
            weights[t] = new double[df.get(t)];
        }
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < terms[k].length; i++) {
                int t = terms[k][i];
                holders[t][filled[t]] = k;
                weights[t][filled[t]++] = x[k][i];
            }
        }
        // next[t]: the first posting of word t after the current row (rows only grow, so it only advances).
        int[] next = new int[holders.length];
        double[] dot = new double[n];
        double[][] w = new double[n][n];
        for (int a = 0; a < n; a++) {
            java.util.Arrays.fill(dot, a + 1, n, 0.0);
            for (int i = 0; i < terms[a].length; i++) {
                int t = terms[a][i];
                int[] h = holders[t];
                while (next[t] < h.length && h[next[t]] <= a) {
                    next[t]++;
                }
                double xa = x[a][i];
                double[] wt = weights[t];
                for (int j = next[t]; j < h.length; j++) {
                    dot[h[j]] += xa * wt[j];
                }
            }
            if (norms[a] == 0) {
                continue;
            }
            for (int b = a + 1; b < n; b++) {
                if (norms[b] != 0 && dot[b] / (norms[a] * norms[b]) >= LEXRANK_THRESHOLD) {
                    w[a][b] = 1;
                    w[b][a] = 1;
                }
            }
        }
        return PageRank.scores(w, DAMPING);
    }

    /** TextRank over the candidates: shared words / (log|S_a| + log|S_b|), PageRank. */
    static double[] textRank(Document doc) {
        int[] c = Coverage.sample(doc);
        int n = c.length;
        List<java.util.Set<String>> words = new ArrayList<>();
        int[] lengths = new int[n];
        for (int k = 0; k < n; k++) {
            List<String> w = Words.of(doc.sentences().get(c[k]));
            lengths[k] = w.size();
            words.add(new java.util.HashSet<>(w));
        }
        double[][] w = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                double denominator = Math.log(lengths[a]) + Math.log(lengths[b]);
                if (denominator <= 0) {
                    continue;
                }
                int shared = 0;
                for (String x : words.get(a)) {
                    if (words.get(b).contains(x)) {
                        shared++;
                    }
                }
                w[a][b] = shared / denominator;
                w[b][a] = w[a][b];
            }
        }
        return PageRank.scores(w, DAMPING);
    }
}
