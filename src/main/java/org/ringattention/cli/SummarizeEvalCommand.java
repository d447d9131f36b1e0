package org.ringattention.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.ringattention.backend.Device;
import org.ringattention.backend.Placement;
import org.ringattention.eval.SummaryEvaluation;
import org.ringattention.gpu.Precision;
import org.ringattention.io.BadInputException;
import org.ringattention.selection.Budget;
import org.ringattention.selection.Coverage;
import org.ringattention.selection.Document;
import org.ringattention.summarize.SentenceCentrality;
import org.ringattention.summarize.SentenceEmbeddings;
import org.ringattention.summarize.SentenceSplitter;
import org.ringattention.summarize.SummarizeOptions;

/**
 * {@code jobs/summarize-eval}: every selection method, the baselines and the ROUGE oracle on one corpus
 * with reference summaries, through the nightly job's own stages (structure, embeddings, exact
 * attention), so every method gets the same sentences and the same budget.
 */
public final class SummarizeEvalCommand extends Command {

    private static final List<String> VALUED = List.of("--input", "--output", "--words", "--sentences", "--redundancy",
            "--temperature", "--model", "--bootstrap", "--features", "--documents", "--device", "--precision");
    private static final List<String> FLAGS = List.of("--coverage-grid");

    public static void main(String[] args) {
        System.exit(new SummarizeEvalCommand().execute(args, System.out, System.err));
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/summarize-eval --input PATH [--output DIR] [options]",
                "",
                "Scores each selection method (coverage, centrality, lead, lexrank, textrank) and the greedy ROUGE",
                "oracle against reference summaries: ROUGE-1, ROUGE-2 and ROUGE-L F1 (rouge-score's tokenization",
                "with Porter stemming) with 95% bootstrap intervals over documents. All methods get the same",
                "sentences (fragments excluded) and the same budget.",
                "",
                "  --input PATH        a directory of NAME.txt + NAME.abstract pairs, or a Parquet or JSON table",
                "                      with doc_id, text and reference",
                "  --output DIR        writes DIR/report.md, DIR/scores.csv, DIR/rouge1.png and DIR/features (the",
                "                      stages' output) (default target/summarize-eval)",
                "  --features DIR      score again from a previous run's DIR/features instead of --input",
                "  --words W           summary budget in words, as jobs/summarize (default " + SummarizeOptions.WORDS + ")",
                "  --sentences K       or a budget of K sentences",
                "  --redundancy X      as jobs/summarize (default " + SummarizeOptions.REDUNDANCY + ")",
                "  --temperature T     as jobs/summarize (default " + SummarizeOptions.TEMPERATURE + ")",
                "  --model DIR         as jobs/summarize (default: the bundled all-MiniLM-L6-v2)",
                "  --device D          as jobs/summarize: cpu (default), gpu or auto",
                "  --precision P       as jobs/summarize: fp32 (default) or bf16 (a GPU device only)",
                "  --bootstrap N       bootstrap resamples (default 1000)",
                "  --documents HALF    all (default), or even / odd: every other document in doc_id order, so",
                "                      settings chosen on one half can be checked on the other",
                "  --coverage-grid     also score coverage settings around the default (the purpose cue psi, the purpose",
                "                      lead kappa, the word cost exponent r)",
                "",
                "Exit status: 0 done, 2 bad input, 1 other failure.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = Args.parse(argv, VALUED, FLAGS);
        Path features = a.get("--features") == null ? null : Path.of(a.get("--features"));
        Path input = Path.of(features != null ? features.toString() : a.required("--input"));
        Path output = Path.of(a.get("--output") == null ? "target/summarize-eval" : a.get("--output"));
        if (a.get("--words") != null && a.get("--sentences") != null) {
            throw new BadInputException("give one budget: --words or --sentences");
        }
        Budget budget = a.get("--sentences") != null ? Budget.sentences(a.intValue("--sentences", 0, 1))
                : Budget.words(a.intValue("--words", SummarizeOptions.WORDS, 1));
        double redundancy = a.doubleValue("--redundancy", SummarizeOptions.REDUNDANCY);
        Float t = a.positiveFloat("--temperature");
        int rounds = a.intValue("--bootstrap", 1000, 10);
        String half = a.get("--documents") == null ? "all" : a.get("--documents");
        if (!List.of("all", "even", "odd").contains(half)) {
            throw new BadInputException("--documents " + half + " is not all, even or odd");
        }
        if (!Files.exists(input)) {
            throw new BadInputException("--input " + input + " does not exist");
        }
        Files.createDirectories(output);
        SparkSession spark = SparkSession.builder().master("local[*]").appName("summarize-eval")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> attended;
            if (features != null) {
                attended = spark.read().parquet(features.toString());
            } else {
                Dataset<Row> corpus = corpus(spark, input);
                Device device = Device.parse(a.get("--device"));
                Precision precision = Precision.parse(a.get("--precision"));
                Placement.checkPrecision(device, precision);
                SentenceEmbeddings embeddings = new SentenceEmbeddings().setDevice(device.label())
                        .setPrecision(precision.label());
                if (a.get("--model") != null) {
                    embeddings.setModel(a.get("--model"));
                }
                attended = new SentenceCentrality().setTemperature(t == null ? SummarizeOptions.TEMPERATURE : t)
                        .setDevice(device.label()).setPrecision(precision.label())
                        .transform(embeddings.transform(new SentenceSplitter().transform(corpus)))
                        .select("doc_id", "reference", "sentences", "sentence_sections", "sentence_fragments",
                                "sentence_purpose", "embeddings", "centrality");
                attended.write().mode("overwrite").parquet(output.resolve("features").toString());
                attended = spark.read().parquet(output.resolve("features").toString());
            }
            List<SummaryEvaluation.Case> cases = new ArrayList<>();
            int position = -1;
            for (Row r : attended.select("doc_id", "sentences", "sentence_sections", "sentence_fragments",
                    "embeddings", "centrality", "reference", "sentence_purpose").orderBy("doc_id").collectAsList()) {
                List<String> sentences = r.getList(1);
                position++;
                if (!half.equals("all") && position % 2 != (half.equals("even") ? 0 : 1)) {
                    continue;
                }
                if (sentences.isEmpty()) {
                    err.println("summarize-eval: " + r.getString(0) + " has no sentences; left out");
                    continue;
                }
                List<Integer> sections = r.getList(2);
                List<Boolean> fragments = r.getList(3);
                List<Boolean> purposes = r.getList(7);
                boolean[] f = new boolean[fragments.size()];
                boolean[] p = new boolean[fragments.size()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = fragments.get(i);
                    p[i] = purposes.get(i);
                }
                float[] e = org.ringattention.summarize.Floats.fromBytes((byte[]) r.get(4));
                double[] c = r.<Double>getList(5).stream().mapToDouble(Double::doubleValue).toArray();
                cases.add(new SummaryEvaluation.Case(r.getString(0), new Document(sentences,
                        sections.stream().mapToInt(Integer::intValue).toArray(), f, p, e, e.length / sentences.size(), c),
                        r.getString(6)));
            }
            List<Coverage> variants = new ArrayList<>();
            if (a.flag("--coverage-grid")) {
                Coverage d = Coverage.DEFAULT;
                for (double psi : new double[] {0, 0.4, 0.8, 1.2}) {
                    for (double kappa : new double[] {0, 0.25, 0.5, 1.0, 2.0}) {
                        for (double r : new double[] {0, 0.3}) {
                            variants.add(new Coverage(d.tau(), d.lambda(), d.beta(), d.gamma(), d.eta(), d.rho(), d.theta(),
                                    psi, kappa, r));
                        }
                    }
                }
            }
            List<SummaryEvaluation.MethodScores> scores = SummaryEvaluation.run(cases, budget, redundancy, variants);
            String table = SummaryEvaluation.table(scores, rounds);
            String header = String.format(Locale.ROOT, "%d documents (%s), budget %s, mean F1 x 100 [95%% bootstrap"
                    + " interval, %d resamples]%n%n", cases.size(), half, budget, rounds);
            Files.writeString(output.resolve("report.md"), header + table, StandardCharsets.UTF_8);
            writeCsv(output.resolve("scores.csv"), cases, scores);
            plot(output.resolve("rouge1.png"), cases, scores);
            out.print(header + table);
            err.println("summarize-eval: wrote " + output.resolve("report.md") + ", scores.csv and rouge1.png");
            return OK;
        } finally {
            spark.stop();
        }
    }

    /** doc_id, text, reference: from NAME.txt + NAME.abstract pairs, or from a table. */
    private static Dataset<Row> corpus(SparkSession spark, Path input) throws IOException {
        if (Files.isDirectory(input)) {
            List<Path> abstracts;
            try (Stream<Path> files = Files.list(input)) {
                abstracts = files.filter(p -> p.getFileName().toString().endsWith(".abstract")).sorted().toList();
            }
            if (!abstracts.isEmpty()) {
                List<Row> rows = new ArrayList<>();
                for (Path ab : abstracts) {
                    String name = ab.getFileName().toString();
                    name = name.substring(0, name.length() - ".abstract".length());
                    Path text = input.resolve(name + ".txt");
                    if (!Files.exists(text)) {
                        throw new BadInputException(ab + " has no " + text.getFileName() + " beside it");
                    }
                    rows.add(RowFactory.create(name, Files.readString(text, StandardCharsets.UTF_8),
                            Files.readString(ab, StandardCharsets.UTF_8)));
                }
                StructType schema = new StructType().add("doc_id", DataTypes.StringType).add("text", DataTypes.StringType)
                        .add("reference", DataTypes.StringType);
                return spark.createDataFrame(rows, schema);
            }
        }
        String name = input.getFileName().toString();
        Dataset<Row> table = name.endsWith(".json") || name.endsWith(".jsonl") ? spark.read().json(input.toString())
                : spark.read().parquet(input.toString());
        for (String column : new String[] {"doc_id", "text", "reference"}) {
            if (!Arrays.asList(table.columns()).contains(column)) {
                throw new BadInputException("--input " + input + " has no column '" + column
                        + "'; give NAME.txt + NAME.abstract files or a table with doc_id, text and reference");
            }
        }
        return table.select("doc_id", "text", "reference").na().drop();
    }

    private static void writeCsv(Path csv, List<SummaryEvaluation.Case> cases, List<SummaryEvaluation.MethodScores> scores)
            throws IOException {
        StringBuilder s = new StringBuilder("doc_id,method,rouge1_f1,rouge2_f1,rougeL_f1\n");
        for (SummaryEvaluation.MethodScores m : scores) {
            for (int d = 0; d < cases.size(); d++) {
                s.append(String.format(Locale.ROOT, "%s,\"%s\",%.5f,%.5f,%.5f%n", cases.get(d).docId(), m.method(),
                        m.rouge1()[d], m.rouge2()[d], m.rougeL()[d]));
            }
        }
        Files.writeString(csv, s.toString(), StandardCharsets.UTF_8);
    }

    /** The plot shows the job's methods and the oracle (grid variants stay in the table and the CSV). */
    private static void plot(Path png, List<SummaryEvaluation.Case> cases, List<SummaryEvaluation.MethodScores> scores)
            throws IOException {
        Map<String, double[]> lines = new LinkedHashMap<>();
        double[] oracle = null;
        for (SummaryEvaluation.MethodScores m : scores) {
            if (!m.method().contains("(")) {
                lines.put(m.method(), m.rouge1());
            }
            if (m.method().equals(SummaryEvaluation.ORACLE)) {
                oracle = m.rouge1();
            }
        }
        double[] o = oracle;
        int[] order = java.util.stream.IntStream.range(0, cases.size()).boxed()
                .sorted(Comparator.comparingDouble(d -> o[d])).mapToInt(Integer::intValue).toArray();
        org.ringattention.eval.ScorePlot.write(png, cases.stream().map(SummaryEvaluation.Case::docId).toList(),
                lines, order);
    }
}
