package org.ringattention.summarize;

import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ringattention.selection.Budget;
import org.ringattention.selection.Document;
import org.ringattention.selection.Selection;
import org.ringattention.selection.SelectionMethod;

/**
 * What another precision does to the summaries: reads the stage outputs that two runs of
 * {@code jobs/summarize-eval} wrote ({@code DIR/features}), rebuilds each document, and for every selection
 * method at the job's budget counts the documents whose picks are the same; prints the worst cosine between
 * the two runs' sentence vectors and the largest centrality change too. Used for BENCHMARKS.md (issue 19,
 * part 2):
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/runtime-classpath.txt) @conf/jvm.args \
 *     org.ringattention.summarize.PrecisionEffect FP32_EVAL/features BF16_EVAL/features
 * </pre>
 */
public final class PrecisionEffect {

    private PrecisionEffect() {
    }

    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().master("local[1]").appName("precision-effect")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> a = rows(spark, args[0]);
            List<Row> b = rows(spark, args[1]);
            if (a.size() != b.size()) {
                throw new IllegalStateException(a.size() + " documents against " + b.size());
            }
            double worstCosine = 1;
            double worstCentrality = 0;
            int[] same = new int[SelectionMethod.values().length];
            // The job's default budget.
            Budget budget = Budget.words(SummarizeOptions.WORDS);
            for (int d = 0; d < a.size(); d++) {
                Document x = document(a.get(d));
                Document y = document(b.get(d));
                int n = x.sentences().size();
                int dim = x.vectors().length / n;
                for (int s = 0; s < n; s++) {
                    double dot = 0;
                    for (int c = 0; c < dim; c++) {
                        dot += (double) x.vectors()[s * dim + c] * y.vectors()[s * dim + c];
                    }
                    worstCosine = Math.min(worstCosine, dot);
                }
                double top = 0;
                for (double c : x.centrality()) {
                    top = Math.max(top, Math.abs(c));
                }
                for (int s = 0; s < n; s++) {
                    worstCentrality = Math.max(worstCentrality, Math.abs(x.centrality()[s] - y.centrality()[s]) / top);
                }
                for (SelectionMethod m : SelectionMethod.values()) {
                    int[] pa = Selection.select(m, x, budget, SummarizeOptions.REDUNDANCY);
                    int[] pb = Selection.select(m, y, budget, SummarizeOptions.REDUNDANCY);
                    if (java.util.Arrays.equals(pa, pb)) {
                        same[m.ordinal()]++;
                    } else if (m == SummarizeOptions.METHOD) {
                        System.out.println("different picks for " + a.get(d).getString(0) + ": "
                                + java.util.Arrays.toString(pa) + " and " + java.util.Arrays.toString(pb));
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%d documents; smallest cosine between the runs' sentence vectors %.6f;"
                    + " largest centrality change %.2e of the document's largest%n", a.size(), worstCosine, worstCentrality);
            for (SelectionMethod m : SelectionMethod.values()) {
                System.out.printf(Locale.ROOT, "%-10s same picks in %d of %d documents%n", m.label(), same[m.ordinal()],
                        a.size());
            }
        } finally {
            spark.stop();
        }
    }

    private static List<Row> rows(SparkSession spark, String features) {
        return spark.read().parquet(features).select("doc_id", "sentences", "sentence_sections", "sentence_fragments",
                "embeddings", "centrality").orderBy("doc_id").collectAsList();
    }

    private static Document document(Row r) {
        List<String> sentences = r.getList(1);
        List<Integer> sections = r.getList(2);
        List<Boolean> fragments = r.getList(3);
        boolean[] f = new boolean[fragments.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = fragments.get(i);
        }
        float[] e = Floats.fromBytes((byte[]) r.get(4));
        double[] c = r.<Double>getList(5).stream().mapToDouble(Double::doubleValue).toArray();
        return new Document(sentences, sections.stream().mapToInt(Integer::intValue).toArray(), f, e,
                e.length / sentences.size(), c);
    }
}
