package org.ringattention.summarize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

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

    /** What one run does; the command line's options one for one. */
    public record Options(String input, String inputFormat, String output, String date, String outputFormat,
                   int sentences, double ratio, double redundancy, double temperature, long maxChars,
                   String model, boolean attention, String savePipeline, boolean phaseTimes, String master,
                   boolean failFast) {
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
        return summarize(spark, o, pipeline(o));
    }

    /** Runs the job with {@code pipeline} in place of {@link #pipeline}'s (a fault drill's tuned stages). */
    public static Summary summarize(SparkSession spark, Options o, Pipeline pipeline) {
        long start = System.nanoTime();
        spark.sparkContext().setJobDescription("summarize: read and validate " + o.input());
        spark.conf().set(DocumentStage.FAIL_FAST, o.failFast());
        Dataset<Row> intake = Documents.validate(Documents.read(spark, o.input(), o.inputFormat(), o.maxChars()),
                o.maxChars()).persist(StorageLevel.MEMORY_AND_DISK());
        // A failed run must not leave its cached tables behind in a long-lived session (a notebook's).
        Dataset<Row> result = null;
        try {
            Dataset<Row> accepted = intake.filter(col("reject").isNull()).drop("reject");
            PipelineModel model = pipeline.fit(accepted);
            if (o.savePipeline() != null) {
                try {
                    model.write().overwrite().save(o.savePipeline());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot save the pipeline to " + o.savePipeline(), e);
                }
            }
            StringBuilder phases = new StringBuilder();
            result = (o.phaseTimes() ? timedTransform(spark, model, accepted, phases) : model.transform(accepted))
                    .persist(StorageLevel.MEMORY_AND_DISK());

            Dataset<Row> summarized = result.filter(col("selection").isNotNull());
            Dataset<Row> summaries = summarized.select(col("doc_id"), col("selection.summary").as("summary"),
                    col("selection.selected_indices").as("selected_indices"),
                    col("selection.selected_scores").as("selected_scores"),
                    col("token_count"), size(col("sentences")).as("sentence_count"), col("doc_date"));
            Dataset<Row> rejects = intake.filter(col("reject").isNotNull()).select(col("doc_id"), col("reject").as("reason"))
                    .union(result.filter(col("selection").isNull())
                            .select(col("doc_id"), stageReject().as("reason")));
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
            return new Summary(totals.getLong(0), totals.getLong(1), totals.getLong(2), rejected,
                    (System.nanoTime() - start) / 1e9, phases.toString());
        } finally {
            if (result != null) {
                result.unpersist();
            }
            intake.unpersist();
        }
    }

    /**
     * Why a document that entered the pipeline has no summary: the first stage whose output it lacks. A
     * stage leaves its output null for a document it failed on (see {@link DocumentStage#FAIL_FAST}); the
     * executor log names the document and the exception.
     */
    private static org.apache.spark.sql.Column stageReject() {
        String rerun = " failed on this document (its executor log names the error); rerun with --fail-fast to stop on it";
        return when(col("sentences").isNull(), lit("SentenceSplitter" + rerun))
                .when(size(col("sentences")).equalTo(0), lit("no sentences found"))
                .when(col("embeddings").isNull(), lit("SentenceEmbeddings" + rerun))
                .when(col("centrality").isNull(), lit("SentenceCentrality" + rerun))
                .otherwise(lit("SummarySelector" + rerun));
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
