package org.ringattention.summarize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * The nightly summarization job: documents in, one summary row or one reject row per input row out,
 * under {@code output/{summaries,rejects[,attention]}/date=D/}. The command line is
 * {@code org.ringattention.cli.SummarizeCommand}; notebooks call {@link #pipeline} and {@link #summarize}.
 */
public final class SummarizeJob {

    /**
     * What one run does, built once with {@link #builder}; the command line, the notebook and the tests
     * all start from the same defaults, which live here and nowhere else.
     */
    public static final class Options implements java.io.Serializable {
        public static final String INPUT_FORMAT = "auto";
        public static final String OUTPUT_FORMAT = "parquet";
        public static final int SENTENCES = 5;
        public static final double REDUNDANCY = 0.9;
        public static final double TEMPERATURE = 0.1;
        public static final long MAX_CHARS = 5_000_000L;

        private final String input;
        private final String inputFormat;
        private final String output;
        private final String date;
        private final String outputFormat;
        private final int sentences;
        private final double ratio;
        private final double redundancy;
        private final double temperature;
        private final long maxChars;
        private final String model;
        private final boolean attention;
        private final String savePipeline;
        private final boolean phaseTimes;
        private final boolean quiet;

        private Options(Builder b) {
            input = java.util.Objects.requireNonNull(b.input, "input");
            output = java.util.Objects.requireNonNull(b.output, "output");
            date = b.date == null ? java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString() : b.date;
            inputFormat = b.inputFormat;
            outputFormat = b.outputFormat;
            sentences = b.sentences;
            ratio = b.ratio;
            redundancy = b.redundancy;
            temperature = b.temperature;
            maxChars = b.maxChars;
            model = b.model;
            attention = b.attention;
            savePipeline = b.savePipeline;
            phaseTimes = b.phaseTimes;
            quiet = b.quiet;
        }

        /** A builder holding every default; {@code input} and {@code output} have none. */
        public static Builder builder(String input, String output) {
            return new Builder().input(input).output(output);
        }

        /** A builder starting from these options, to change a few. */
        public Builder toBuilder() {
            return new Builder().input(input).inputFormat(inputFormat).output(output).date(date)
                    .outputFormat(outputFormat).sentences(sentences).ratio(ratio).redundancy(redundancy)
                    .temperature(temperature).maxChars(maxChars).model(model).attention(attention)
                    .savePipeline(savePipeline).phaseTimes(phaseTimes).quiet(quiet);
        }

        /** Documents, a directory of .txt/.md files or a Parquet/JSON table. */
        public String input() {
            return input;
        }

        /** {@code auto}, {@code text}, {@code parquet} or {@code json}. */
        public String inputFormat() {
            return inputFormat;
        }

        /** The root under which {@code summaries/date=D}, {@code rejects/date=D}... are written. */
        public String output() {
            return output;
        }

        /** The run's date, YYYY-MM-DD; today (UTC) unless set. */
        public String date() {
            return date;
        }

        public String outputFormat() {
            return outputFormat;
        }

        /** Sentences per summary, unless {@link #ratio} is positive. */
        public int sentences() {
            return sentences;
        }

        /** A fraction of each document's sentences; 0 means use {@link #sentences}. */
        public double ratio() {
            return ratio;
        }

        public double redundancy() {
            return redundancy;
        }

        public double temperature() {
            return temperature;
        }

        public long maxChars() {
            return maxChars;
        }

        /** A model directory, or {@code null} for the bundled encoder. */
        public String model() {
            return model;
        }

        /** Also write per-sentence context vectors. */
        public boolean attention() {
            return attention;
        }

        /** A directory to save the fitted pipeline to, or {@code null}. */
        public String savePipeline() {
            return savePipeline;
        }

        /** Materialize each stage to time it (slower). */
        public boolean phaseTimes() {
            return phaseTimes;
        }

        /** No progress lines, only the final one. */
        public boolean quiet() {
            return quiet;
        }

        /** Fluent setters over the defaults above. */
        public static final class Builder {
            private String input;
            private String inputFormat = INPUT_FORMAT;
            private String output;
            private String date;
            private String outputFormat = OUTPUT_FORMAT;
            private int sentences = SENTENCES;
            private double ratio;
            private double redundancy = REDUNDANCY;
            private double temperature = TEMPERATURE;
            private long maxChars = MAX_CHARS;
            private String model;
            private boolean attention;
            private String savePipeline;
            private boolean phaseTimes;
            private boolean quiet;

            private Builder() {
            }

            public Builder input(String v) {
                input = v;
                return this;
            }

            public Builder inputFormat(String v) {
                inputFormat = v;
                return this;
            }

            public Builder output(String v) {
                output = v;
                return this;
            }

            public Builder date(String v) {
                date = v;
                return this;
            }

            public Builder outputFormat(String v) {
                outputFormat = v;
                return this;
            }

            public Builder sentences(int v) {
                sentences = v;
                return this;
            }

            public Builder ratio(double v) {
                ratio = v;
                return this;
            }

            public Builder redundancy(double v) {
                redundancy = v;
                return this;
            }

            public Builder temperature(double v) {
                temperature = v;
                return this;
            }

            public Builder maxChars(long v) {
                maxChars = v;
                return this;
            }

            public Builder model(String v) {
                model = v;
                return this;
            }

            public Builder attention(boolean v) {
                attention = v;
                return this;
            }

            public Builder savePipeline(String v) {
                savePipeline = v;
                return this;
            }

            public Builder phaseTimes(boolean v) {
                phaseTimes = v;
                return this;
            }

            public Builder quiet(boolean v) {
                quiet = v;
                return this;
            }

            public Options build() {
                return new Options(this);
            }
        }
    }

    private SummarizeJob() {
    }

    /** Counts and wall time of one run, for the closing line. */
    public record Summary(long documents, long sentences, long tokens, long rejects, double seconds, String phases) {
        public String line() {
            return String.format(Locale.ROOT,
                    "summarize: %d documents, %d sentences, %d tokens, %d rejects in %.1f s"
                            + " (%.0f documents/hour, %.0f tokens/s)%s",
                    documents, sentences, tokens, rejects, seconds, documents / seconds * 3600, tokens / seconds,
                    phases.isEmpty() ? "" : "; " + phases);
        }
    }

    /** The pipeline of this job's options: split, embed, attend, select. */
    public static Pipeline pipeline(Options o) {
        SummarySelector selector = new SummarySelector().setRedundancy(o.redundancy());
        if (o.ratio() > 0) {
            selector.setRatio(o.ratio());
        } else {
            selector.setSentences(o.sentences());
        }
        SentenceCentrality centrality = new SentenceCentrality().setTemperature(o.temperature());
        if (o.attention()) {
            centrality.setContextCol("context");
        }
        SentenceEmbeddings embeddings = new SentenceEmbeddings();
        if (o.model() != null) {
            embeddings.setModel(o.model());
        }
        return new Pipeline().setStages(new PipelineStage[] {new SentenceSplitter(), embeddings, centrality, selector});
    }

    public static Summary summarize(SparkSession spark, Options o) {
        long start = System.nanoTime();
        spark.sparkContext().setJobDescription("summarize: read and validate " + o.input());
        Dataset<Row> intake = Documents.validate(Documents.read(spark, o.input(), o.inputFormat()), o.maxChars())
                .persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> accepted = intake.filter(col("reject").isNull()).drop("reject");
        PipelineModel model = pipeline(o).fit(accepted);
        if (o.savePipeline() != null) {
            try {
                model.write().overwrite().save(o.savePipeline());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot save the pipeline to " + o.savePipeline(), e);
            }
        }
        StringBuilder phases = new StringBuilder();
        Dataset<Row> result = o.phaseTimes() ? timedTransform(spark, model, accepted, phases)
                : model.transform(accepted);
        result = result.persist(StorageLevel.MEMORY_AND_DISK());

        Dataset<Row> summarized = result.filter(col("selection").isNotNull());
        Dataset<Row> summaries = summarized.select(col("doc_id"), col("selection.summary").as("summary"),
                col("selection.selected_indices").as("selected_indices"),
                col("selection.selected_scores").as("selected_scores"),
                col("token_count"), size(col("sentences")).as("sentence_count"), col("doc_date"));
        Dataset<Row> rejects = intake.filter(col("reject").isNotNull()).select(col("doc_id"), col("reject").as("reason"))
                .union(result.filter(col("selection").isNull())
                        .select(col("doc_id"), lit("no sentences found").as("reason")));
        NightlyOutput output = new NightlyOutput(spark, o.output(), o.date(), o.outputFormat())
                .add("summaries", summaries).add("rejects", rejects);
        if (o.attention()) {
            output.add("attention", contextRows(summarized));
        }
        long writeStart = System.nanoTime();
        output.commit();
        if (o.phaseTimes()) {
            phases.append(String.format(Locale.ROOT, ", write %.1f s", (System.nanoTime() - writeStart) / 1e9));
        }

        spark.sparkContext().setJobDescription("summarize: count");
        Row totals = summaries.agg(org.apache.spark.sql.functions.count(lit(1)),
                org.apache.spark.sql.functions.coalesce(org.apache.spark.sql.functions.sum("sentence_count"), lit(0L)),
                org.apache.spark.sql.functions.coalesce(org.apache.spark.sql.functions.sum("token_count"), lit(0L)))
                .first();
        long rejected = rejects.count();
        result.unpersist();
        intake.unpersist();
        return new Summary(totals.getLong(0), totals.getLong(1), totals.getLong(2), rejected,
                (System.nanoTime() - start) / 1e9, phases.toString());
    }

    /** Runs the stages one by one, each materialized, and records their wall times. */
    private static Dataset<Row> timedTransform(SparkSession spark, PipelineModel model, Dataset<Row> docs,
                                               StringBuilder phases) {
        Dataset<Row> current = docs;
        for (org.apache.spark.ml.Transformer stage : model.stages()) {
            String name = stage.getClass().getSimpleName();
            spark.sparkContext().setJobDescription("summarize: " + name + " (timed)");
            long t = System.nanoTime();
            Dataset<Row> next = stage.transform(current).persist(StorageLevel.MEMORY_AND_DISK());
            next.count();
            current.unpersist();
            current = next;
            phases.append(phases.length() == 0 ? "" : ", ")
                    .append(String.format(Locale.ROOT, "%s %.1f s", name, (System.nanoTime() - t) / 1e9));
        }
        return current;
    }

    /** One row per sentence: its index, centrality and context vector (attention output). */
    static Dataset<Row> contextRows(Dataset<Row> summarized) {
        StructType schema = new StructType()
                .add("doc_id", DataTypes.StringType, false)
                .add("sentence_index", DataTypes.IntegerType, false)
                .add("centrality", DataTypes.DoubleType, false)
                .add("context", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        FlatMapFunction<Row, Row> f = row -> {
            String id = row.getString(0);
            List<Double> c = row.getList(1);
            float[] context = Floats.fromBytes((byte[]) row.get(2));
            int d = context.length / c.size();
            List<Row> rows = new ArrayList<>(c.size());
            for (int i = 0; i < c.size(); i++) {
                List<Float> v = new ArrayList<>(d);
                for (int k = 0; k < d; k++) {
                    v.add(context[i * d + k]);
                }
                rows.add(RowFactory.create(id, i, c.get(i), scala.jdk.javaapi.CollectionConverters.asScala(v).toSeq()));
            }
            return rows.iterator();
        };
        return summarized.select("doc_id", "centrality", "context").flatMap(f, Encoders.row(schema));
    }
}
