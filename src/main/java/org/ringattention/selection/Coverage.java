package org.ringattention.selection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Coverage selection: greedy maximization of a monotone submodular objective (Lin &amp; Bilmes 2011,
 * "A Class of Submodular Functions for Document Summarization"),
 * <pre>
 *   F(S) = sum_{i in U} m_i max_{j in S} w_ij / sum_i m_i  +  lambda * sum_k sqrt( sum_{j in S, section(j) = k} r_j )
 *          + sum_{j in S} ( eta * p_j / max p  +  rho / sqrt(1 + k_j)  +  theta * t_j )
 * </pre>
 * with {@code w_ij = exp((cos_ij - 1) / tau)} an attention weight between sentence vectors (logits
 * {@code cos / tau}, shifted so a sentence's weight to itself is 1), {@code U} the candidate sentences,
 * {@code m_i = words_i^gamma} how much of the document sentence i holds (gamma = 1: covering a long
 * sentence counts for more than covering a short one), and {@code r_j = b_j (1/|U|) sum_i w_ij} the
 * attention sentence j receives, raised by {@code b_j = 1 + beta / (1 + rank of j among its section's
 * candidates)} for the sentences that open a section (HipoRank's boundary cue, Dong et al. 2021).
 * The first term is facility location: once one sentence of a template repeated thousands of times is
 * chosen, the others add almost nothing, so a changelog's densest cluster cannot fill the summary. The
 * second term rewards each section's first pick most (square root), so the summary spreads over the
 * document's sections. Two modular terms add what attention between sentence vectors does not see:
 * {@code eta * p_j / max p} with {@code p} LexRank's score of sentence j on the tf-idf graph (Erkan &amp;
 * Radev 2004; the words a sentence shares with many others), and a lead prior {@code rho / sqrt(1 + k_j)}
 * with {@code k_j} the rank of j among the candidates in document order (authors' own summaries often
 * paraphrase a document's opening; the prior decays slowly, so later sections still compete). A third
 * modular term is Edmundson's title cue (1969, "New Methods in Automatic Extracting"): {@code t_j} is the
 * share of the title's content words, weighted by their idf among the candidates, that sentence j holds,
 * the title being the document's first heading (a fragment that opens a section); a document without
 * one gets no cue. Authors name what a document is about in its title and say it again in the abstract.
 * The purpose cue {@code psi * q_j} is the same share for the words of the sentences where the document
 * states its own purpose ({@link Document#purpose}: a manual page's NAME line and the opening of its
 * DESCRIPTION, the paragraph under a title, an abstract). The purpose lead {@code kappa / sqrt(1 + k_j)},
 * with {@code k_j} the rank of j among the candidates that state the purpose, in document order, is the
 * lead prior over that statement alone: a reader wants a manual's summary to say first what the program
 * is, and its DESCRIPTION opens by saying so. Modular
 * terms keep F monotone submodular, so greedy selection is within {@code 1 - 1/e} of the best set. Under
 * a word {@link Budget} each step takes the best gain per {@code words^r} among the sentences that fit
 * (Lin &amp; Bilmes 2010, "Multi-document Summarization via Budgeted Maximization of Submodular Functions").
 * Documents with more than {@link #MAX_UNIVERSE} candidates are represented by their statement of purpose
 * and an evenly spaced sample of the rest ({@link #sample}), which keeps the cost at {@code O(MAX_UNIVERSE^2 D)}.
 */
public record Coverage(double tau, double lambda, double beta, double gamma, double eta, double rho,
                       double theta, double psi, double kappa, double costExponent) {

    public static final int MAX_UNIVERSE = 2000;

    /** Candidates per column tile of {@link #cosines}: 32 vectors of 384 floats are 48 KB. */
    private static final int TILE = 32;

    /** The settings chosen on the development corpus (BENCHMARKS.md, "Summary quality"). */
    public static final Coverage DEFAULT = new Coverage(0.8, 2.0, 1.0, 1.0, 0.5, 0.2, 0.8, 0.8, 1.0, 0.0);

    public String label() {
        return "coverage(tau=" + tau + ",lambda=" + lambda + ",beta=" + beta + ",gamma=" + gamma + ",eta=" + eta
                + ",rho=" + rho + ",theta=" + theta + ",psi=" + psi + ",kappa=" + kappa + ",r=" + costExponent + ")";
    }

    /**
     * Cosine similarities among the candidates {@link #sample}d from {@code doc}, the input of {@link #select}.
     * Each dot product keeps four running sums in double, one per index modulo 4, added as
     * {@code (s0 + s1) + (s2 + s3)}; four pairs {@code (a, b..b+3)} are computed together, so sixteen
     * independent sums pipeline and each row of {@code a} is read once per four pairs. Every pair's
     * arithmetic is the same whatever its neighbours and whichever {@link Dots} runs it, so the matrix
     * depends on neither the blocking nor the JVM.
     */
    public static double[][] cosines(Document doc) {
        return cosines(doc, Dots.BEST);
    }

    static double[][] cosines(Document doc, Dots dots) {
        int[] u = sample(doc);
        int d = doc.dimension();
        float[] v = doc.vectors();
        int m = u.length;
        double[][] c = new double[m][m];
        // Column tiles of TILE candidates: every row a before a tile's end meets the tile's rows, which
        // stay in cache meanwhile, so each vector is read from memory once per tile, not once per pair.
        for (int b0 = 0; b0 < m; b0 += TILE) {
            int b1 = Math.min(m, b0 + TILE);
            for (int a = 0; a < b1; a++) {
                int x = u[a] * d;
                double[] row = c[a];
                int b = Math.max(a + 1, b0);
                for (; b + 3 < b1; b += 4) {
                    dots.four(v, x, u[b] * d, u[b + 1] * d, u[b + 2] * d, u[b + 3] * d, d, row, b);
                }
                for (; b < b1; b++) {
                    row[b] = Dots.one(v, x, u[b] * d, d);
                }
                for (b = Math.max(a + 1, b0); b < b1; b++) {
                    c[b][a] = row[b];
                }
            }
        }
        for (int a = 0; a < m; a++) {
            c[a][a] = 1;
        }
        return c;
    }

    /** Indices of the chosen sentences in document order. */
    public int[] select(Document doc, Budget budget, double redundancy) {
        return select(doc, budget, redundancy, cosines(doc));
    }

    /**
     * As {@link #select(Document, Budget, double)}, with the candidates' {@link #cosines} computed once by
     * the caller (symmetric, as {@link #cosines} gives them).
     */
    public int[] select(Document doc, Budget budget, double redundancy, double[][] cos) {
        int[] u = sample(doc);
        int m = u.length;
        if (m == 0) {
            return new int[0];
        }
        double[][] w = new double[m][m];
        double[] mass = new double[m];
        double totalMass = 0;
        for (int a = 0; a < m; a++) {
            mass[a] = Math.pow(Math.max(1, Words.of(doc.sentences().get(u[a])).size()), gamma);
            totalMass += mass[a];
            // cos is symmetric, so each weight is computed once and mirrored.
            for (int b = a; b < m; b++) {
                w[a][b] = Math.exp((cos[a][b] - 1) / tau);
                w[b][a] = w[a][b];
            }
        }
        double[] r = new double[m];
        int[] rank = new int[m];
        for (int a = 0; a < m; a++) {
            double s = 0;
            for (int b = 0; b < m; b++) {
                s += w[a][b];
            }
            rank[a] = a > 0 && doc.sections()[u[a - 1]] == doc.sections()[u[a]] ? rank[a - 1] + 1 : 0;
            r[a] = (1 + beta / (1 + rank[a])) * s / m;
        }
        double[] prior = new double[m];
        double[] lexRank = eta == 0 ? new double[m] : Selection.lexRank(doc);
        double lexMax = Arrays.stream(lexRank).max().orElse(0);
        double[] title = theta == 0 ? new double[m] : titleCue(doc, u);
        double[] purpose = psi == 0 ? new double[m] : purposeCue(doc, u);
        int purposeRank = 0;
        for (int a = 0; a < m; a++) {
            prior[a] = (lexMax > 0 ? eta * lexRank[a] / lexMax : 0) + rho / Math.sqrt(1 + a) + theta * title[a]
                    + psi * purpose[a];
            if (doc.purpose()[u[a]]) {
                prior[a] += kappa / Math.sqrt(1 + purposeRank++);
            }
        }
        int[] words = new int[m];
        double[] costScale = new double[m];
        List<Set<String>> wordSets = new ArrayList<>(m);
        for (int a = 0; a < m; a++) {
            words[a] = doc.words(u[a]);
            wordSets.add(new HashSet<>(Words.of(doc.sentences().get(u[a]))));
            // Under a word budget a sentence costs its words: the gain per word^r (Lin & Bilmes 2010,
            // budgeted greedy), so long sentences do not fill the room for what they add.
            costScale[a] = budget.words() > 0 ? Math.pow(Math.max(1, words[a]), -costExponent) : 1;
        }
        double[] covered = new double[m];
        Map<Integer, Double> sectionReward = new HashMap<>();
        boolean[] taken = new boolean[m];
        List<Integer> chosen = new ArrayList<>();
        int held = 0;
        while (!budget.full(chosen.size(), held)) {
            int best = -1;
            double bestGain = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < m; a++) {
                if (taken[a] || !budget.fits(chosen.size(), held, words[a]) || tooClose(cos, wordSets, a, chosen, redundancy)) {
                    continue;
                }
                double gain = 0;
                double[] wa = w[a];
                for (int i = 0; i < m; i++) {
                    // Without a branch: a sentence already covered as well adds mass * +0.0, which leaves
                    // the (non-negative) sum as it was.
                    gain += mass[i] * Math.max(0.0, wa[i] - covered[i]);
                }
                gain /= totalMass;
                double before = sectionReward.getOrDefault(doc.sections()[u[a]], 0.0);
                gain += lambda * (Math.sqrt(before + r[a]) - Math.sqrt(before)) + prior[a];
                gain *= costScale[a];
                if (gain > bestGain) {
                    bestGain = gain;
                    best = a;
                }
            }
            if (best < 0) {
                break;
            }
            taken[best] = true;
            chosen.add(best);
            held += words[best];
            for (int i = 0; i < m; i++) {
                covered[i] = Math.max(covered[i], w[best][i]);
            }
            sectionReward.merge(doc.sections()[u[best]], r[best], Double::sum);
        }
        return chosen.stream().mapToInt(a -> u[a]).sorted().toArray();
    }

    /**
     * For each candidate {@code u[a]}, the idf-weighted share of the title's content words it holds
     * (0 to 1); all zero when the document has no heading. The idf is over the candidates, so a title
     * word every sentence repeats counts for little.
     */
    static double[] titleCue(Document doc, int[] u) {
        Set<String> title = Set.of();
        for (int i = 0; i < doc.size(); i++) {
            if (doc.fragments()[i] && (i == 0 || doc.sections()[i] != doc.sections()[i - 1])) {
                title = Words.content(doc.sentences().get(i));
                break;
            }
        }
        return wordCue(u, doc, title);
    }

    /**
     * For each candidate, the idf-weighted share of the content words of the sentences that state the
     * document's purpose (fragments among them, such as a NAME line) that it holds; all zero when none does.
     */
    static double[] purposeCue(Document doc, int[] u) {
        Set<String> words = new HashSet<>();
        for (int i = 0; i < doc.size(); i++) {
            if (doc.purpose()[i]) {
                words.addAll(Words.content(doc.sentences().get(i)));
            }
        }
        return wordCue(u, doc, words);
    }

    /** For each candidate {@code u[a]}, the share of {@code title}'s words it holds, each weighted by its idf. */
    private static double[] wordCue(int[] u, Document doc, Set<String> title) {
        double[] cue = new double[u.length];
        if (title.isEmpty()) {
            return cue;
        }
        List<Set<String>> words = new ArrayList<>(u.length);
        Map<String, Integer> df = new HashMap<>();
        for (int i : u) {
            Set<String> w = Words.content(doc.sentences().get(i));
            words.add(w);
            for (String t : title) {
                if (w.contains(t)) {
                    df.merge(t, 1, Integer::sum);
                }
            }
        }
        double total = 0;
        Map<String, Double> idf = new HashMap<>();
        for (String t : title) {
            double x = Math.log(1.0 + (double) u.length / (1 + df.getOrDefault(t, 0)));
            idf.put(t, x);
            total += x;
        }
        for (int a = 0; a < u.length; a++) {
            double held = 0;
            for (String t : title) {
                if (words.get(a).contains(t)) {
                    held += idf.get(t);
                }
            }
            cue[a] = held / total;
        }
        return cue;
    }

    /** Whether candidate a is too similar to one already chosen: by cosine, or by repeating its words. */
    private static boolean tooClose(double[][] cos, List<Set<String>> words, int a, List<Integer> chosen,
                                    double redundancy) {
        for (int c : chosen) {
            if (cos[a][c] > redundancy || Words.nearDuplicates(words.get(a), words.get(c))) {
                return true;
            }
        }
        return false;
    }

    /**
     * All candidates, or {@link #MAX_UNIVERSE} of them: those that state the document's purpose (at most a
     * tenth of the room), the rest evenly spaced through the document, in document order. The statement of
     * purpose is what a reader most wants kept, and an even sample of a long manual could skip it.
     */
    static int[] sample(Document doc) {
        int[] candidates = doc.candidates();
        if (candidates.length <= MAX_UNIVERSE) {
            return candidates;
        }
        int[] purpose = Arrays.stream(candidates).filter(i -> doc.purpose()[i]).limit(MAX_UNIVERSE / 10).toArray();
        int spaced = MAX_UNIVERSE - purpose.length;
        int[] s = new int[MAX_UNIVERSE];
        System.arraycopy(purpose, 0, s, 0, purpose.length);
        for (int k = 0; k < spaced; k++) {
            s[purpose.length + k] = candidates[(int) ((long) k * candidates.length / spaced)];
        }
        return Arrays.stream(s).sorted().distinct().toArray();
    }
}
