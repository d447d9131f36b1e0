package org.ringattention.selection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses at most {@code budget} of a document's candidate sentences by a {@link SelectionMethod} and
 * returns their indices in document order. Every method sees the same candidates (the non-fragment
 * sentences) and the same budget; the graph methods (LexRank, TextRank, coverage) work on at most
 * {@link Coverage#MAX_UNIVERSE} evenly spaced candidates of a longer document; ties go to the earlier sentence, so every choice is deterministic.
 */
public final class Selection {

    /** LexRank's edge threshold on tf-idf cosine (Erkan &amp; Radev 2004). */
    static final double LEXRANK_THRESHOLD = 0.1;
    static final double DAMPING = 0.85;

    private Selection() {
    }

    public static int[] select(SelectionMethod method, Document doc, int budget, double redundancy) {
        return switch (method) {
            case COVERAGE -> Coverage.DEFAULT.select(doc, budget, redundancy);
            case CENTRALITY -> byScore(doc, doc.centrality(), budget, redundancy);
            case LEAD -> lead(doc, budget);
            case LEXRANK -> byScore(doc, spread(doc, lexRank(doc)), budget, 1.0);
            case TEXTRANK -> byScore(doc, spread(doc, textRank(doc)), budget, 1.0);
        };
    }

    /** The first {@code budget} candidates. */
    static int[] lead(Document doc, int budget) {
        int[] c = doc.candidates();
        return Arrays.copyOf(c, Math.min(budget, c.length));
    }

    /**
     * The highest-scoring candidates, skipping one whose cosine similarity to a sentence already picked
     * exceeds {@code redundancy}.
     */
    static int[] byScore(Document doc, double[] score, int budget, double redundancy) {
        Integer[] order = Arrays.stream(doc.candidates()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparingInt(i -> i));
        List<Integer> chosen = new ArrayList<>();
        for (int j : order) {
            if (chosen.size() == budget) {
                break;
            }
            boolean redundant = false;
            for (int s : chosen) {
                if (redundancy < 1 && doc.cosine(j, s) > redundancy) {
                    redundant = true;
                    break;
                }
            }
            if (!redundant) {
                chosen.add(j);
            }
        }
        return chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** Scores over the (sampled) candidates placed back at their sentence indices; others score 0. */
    private static double[] spread(Document doc, double[] candidateScores) {
        double[] s = new double[doc.size()];
        int[] c = Coverage.sample(doc.candidates());
        for (int k = 0; k < c.length; k++) {
            s[c[k]] = candidateScores[k];
        }
        return s;
    }

    /** LexRank over the candidates: tf-idf cosine (idf over the document's sentences), edges >= 0.1, PageRank. */
    static double[] lexRank(Document doc) {
        int[] c = Coverage.sample(doc.candidates());
        int n = c.length;
        // Each sentence as its distinct words' ids in increasing order with their tf-idf weights, so a dot
        // product is one merge of two short sorted arrays (the coverage prior runs this on every document).
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
        double[][] w = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                if (norms[a] == 0 || norms[b] == 0) {
                    continue;
                }
                double dot = 0;
                int[] ta = terms[a];
                int[] tb = terms[b];
                for (int i = 0, j = 0; i < ta.length && j < tb.length; ) {
                    if (ta[i] == tb[j]) {
                        dot += x[a][i++] * x[b][j++];
                    } else if (ta[i] < tb[j]) {
                        i++;
                    } else {
                        j++;
                    }
                }
                if (dot / (norms[a] * norms[b]) >= LEXRANK_THRESHOLD) {
                    w[a][b] = 1;
                    w[b][a] = 1;
                }
            }
        }
        return PageRank.scores(w, DAMPING);
    }

    /** TextRank over the candidates: shared words / (log|S_a| + log|S_b|), PageRank. */
    static double[] textRank(Document doc) {
        int[] c = Coverage.sample(doc.candidates());
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
