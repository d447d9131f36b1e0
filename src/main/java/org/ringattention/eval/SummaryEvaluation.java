package org.ringattention.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ringattention.selection.Coverage;
import org.ringattention.selection.Document;
import org.ringattention.selection.Selection;
import org.ringattention.selection.SelectionMethod;

/**
 * Scores selection methods against reference summaries: every method gets the same documents, the
 * same candidate sentences and the same budget of K sentences, and is scored by the same {@link Rouge};
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
    public static List<MethodScores> run(List<Case> cases, int budget, double redundancy, List<Coverage> variants) {
        Map<String, java.util.function.Function<Case, int[]>> methods = new LinkedHashMap<>();
        for (SelectionMethod m : SelectionMethod.values()) {
            methods.put(m.label(), c -> Selection.select(m, c.document(), budget, redundancy));
        }
        for (Coverage v : variants) {
            methods.put(v.label(), c -> v.select(c.document(), budget, redundancy));
        }
        methods.put(ORACLE, c -> Oracle.select(c.document(), c.reference(), budget));
        List<MethodScores> out = new ArrayList<>();
        for (Map.Entry<String, java.util.function.Function<Case, int[]>> e : methods.entrySet()) {
            int n = cases.size();
            double[] r1 = new double[n];
            double[] r2 = new double[n];
            double[] rl = new double[n];
            int fragments = 0;
            for (int d = 0; d < n; d++) {
                Case c = cases.get(d);
                int[] picked = e.getValue().apply(c);
                for (int i : picked) {
                    if (c.document().fragments()[i]) {
                        fragments++;
                    }
                }
                Rouge.Scores s = Rouge.score(c.reference(), Oracle.joined(c.document(), picked));
                r1[d] = s.rouge1().f1();
                r2[d] = s.rouge2().f1();
                rl[d] = s.rougeL().f1();
            }
            out.add(new MethodScores(e.getKey(), r1, r2, rl, fragments));
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
