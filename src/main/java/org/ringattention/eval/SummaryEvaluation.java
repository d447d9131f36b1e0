package org.ringattention.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ringattention.selection.Budget;
import org.ringattention.selection.Coverage;
import org.ringattention.selection.Document;
import org.ringattention.selection.Selection;
import org.ringattention.selection.SelectionMethod;

/**
 * Scores selection methods against reference summaries: every method gets the same documents, the
 * same candidate sentences and the same {@link Budget} (in words, as long-document summarization is
 * scored, or in sentences), and is scored by the same {@link Rouge};
 * the greedy {@link Oracle} is the ceiling. Per-document scores and bootstrap means per method.
 */
public final class SummaryEvaluation {

    /** A document with its reference summary. */
    public record Case(String docId, Document document, String reference) {
    }

    /** One method's per-document ROUGE-1/2/L F1 (in the order of the cases) and whether it picked a fragment. */
    public record MethodScores(String method, double[] rouge1, double[] rouge2, double[] rougeL, int fragmentsPicked) {
        public Bootstrap interval(double[] scores, int rounds) {
            return Bootstrap.of(scores, rounds, 20261129L);
        }
    }

    public static final String ORACLE = "oracle";

    private SummaryEvaluation() {
    }

    /** Every method of {@link SelectionMethod}, the coverage variants given, and the oracle. */
    public static List<MethodScores> run(List<Case> cases, Budget budget, double redundancy, List<Coverage> variants) {
        List<String> names = new ArrayList<>();
        for (SelectionMethod m : SelectionMethod.values()) {
            names.add(m.label());
        }
        variants.forEach(v -> names.add(v.label()));
        names.add(ORACLE);
        int n = cases.size();
        double[][][] scores = new double[names.size()][3][n];
        int[] fragments = new int[names.size()];
        for (int d = 0; d < n; d++) {
            Case c = cases.get(d);
            List<int[]> picks = new ArrayList<>();
            for (SelectionMethod m : SelectionMethod.values()) {
                picks.add(Selection.select(m, c.document(), budget, redundancy));
            }
            // The candidates' cosines are computed once per document for all coverage variants.
            double[][] cos = variants.isEmpty() ? null : Coverage.cosines(c.document());
            for (Coverage v : variants) {
                picks.add(v.select(c.document(), budget, redundancy, cos));
            }
            picks.add(Oracle.select(c.document(), c.reference(), budget));
            for (int k = 0; k < picks.size(); k++) {
                for (int i : picks.get(k)) {
                    fragments[k] += c.document().fragments()[i] ? 1 : 0;
                }
                Rouge.Scores s = Rouge.score(c.reference(), Oracle.joined(c.document(), picks.get(k)));
                scores[k][0][d] = s.rouge1().f1();
                scores[k][1][d] = s.rouge2().f1();
                scores[k][2][d] = s.rougeL().f1();
            }
        }
        List<MethodScores> out = new ArrayList<>();
        for (int k = 0; k < names.size(); k++) {
            out.add(new MethodScores(names.get(k), scores[k][0], scores[k][1], scores[k][2], fragments[k]));
        }
        return out;
    }

    /** A Markdown table: method, then mean F1 x 100 with its 95% interval for ROUGE-1, -2 and -L. */
    public static String table(List<MethodScores> scores, int rounds) {
        StringBuilder t = new StringBuilder(
                "| method | ROUGE-1 F1 | ROUGE-2 F1 | ROUGE-L F1 | fragments picked |\n|---|---|---|---|---|\n");
        for (MethodScores m : scores) {
            t.append("| ").append(m.method());
            for (double[] x : new double[][] {m.rouge1(), m.rouge2(), m.rougeL()}) {
                Bootstrap b = m.interval(x, rounds);
                t.append(String.format(Locale.ROOT, " | %.1f [%.1f, %.1f]", 100 * b.mean(), 100 * b.low(), 100 * b.high()));
            }
            t.append(" | ").append(m.fragmentsPicked()).append(" |\n");
        }
        return t.toString();
    }
}
