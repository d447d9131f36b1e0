package org.ringattention.summarize;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.ringattention.output.NightlyCommit;
import org.ringattention.platform.ScalaCollections;
import org.ringattention.platform.SparkBuild;
import org.slf4j.LoggerFactory;
import org.ringattention.progress.Progress;
import org.ringattention.report.DocumentSummary;
import org.ringattention.report.RunFigures;

/**
 * The nightly summarization job: documents in, one summary row or one reject row per input row out,
 * under {@code output/{summaries,rejects[,attention]}/date=D/}. The command line is
 * {@code org.ringattention.cli.SummarizeCommand}; notebooks call {@link #pipeline} and {@link #summarize}.
 */
public final class SummarizeJob {

    /** The folder under the output where the ring checkpoints when the session has no checkpoint directory. */
    public static final String CHECKPOINTS = "_ring-checkpoints";
    /** Session setting: the checkpoint directory this job set, so that its next run may replace it. */
    private static final String OWN_CHECKPOINTS = "spark.ringattention.summarize.ownCheckpointDir";

    private SummarizeJob() {
    }

    /**
     * Counts and wall time of one run, for the closing line: summaries written ({@code computed} by this
     * run and {@code carried} from earlier nights), the sentences and tokens computed, and rejects.
     */
    public record Summary(long computed, long carried, long sentences, long tokens, long rejects, double seconds,
                          String phases) {

        /** Summaries written. */
        public long documents() {
            return computed + carried;
        }

        public String line() {
            return String.format(Locale.ROOT,
                    "summarize: %d documents (%d computed, %d carried from earlier nights), %d rejects; computed"
                            + " %d sentences, %d tokens in %.1f s (%.0f documents/hour, %.0f tokens/s)%s",
                    documents(), computed, carried, rejects, sentences, tokens, seconds, computed / seconds * 3600,
                    tokens / seconds, phases.isEmpty() ? "" : "; " + phases);
        }
    }

    /** The pipeline of this job's options: split, embed, attend, select. */
    public static Pipeline pipeline(SummarizeOptions o) {
        SummarySelector selector = new SummarySelector().setRedundancy(o.redundancy()).setMethod(o.method().label());
        if (o.ratio() > 0) {
            selector.setRatio(o.ratio());
        } else if (o.words() > 0) {
            selector.setWords(o.words());
        } else {
            selector.setSentences(o.sentences());
        }
        SentenceCentrality centrality = new SentenceCentrality().setTemperature(o.temperature())
                .setDevice(o.device().label()).setPrecision(o.precision().label()).setRingThreshold(o.ringThreshold())
                .setRingPartitions(o.ringPartitions());
        if (o.attention()) {
            centrality.setContextCol("context");
        }
        SentenceEmbeddings embeddings = new SentenceEmbeddings().setDevice(o.device().label())
                .setPrecision(o.precision().label());
        if (o.model() != null) {
            embeddings.setModel(o.model());
        }
        DocumentStage[] stages = {new SentenceSplitter(), embeddings, centrality, selector};
        for (DocumentStage stage : stages) {
            stage.setFailFast(o.failFast());
        }
        return new Pipeline().setStages(stages);
    }

    /** Runs the job; progress lines go to standard error unless {@link SummarizeOptions#quiet}. */
    public static Summary summarize(SparkSession spark, SummarizeOptions o) {
        return summarize(spark, o, pipeline(o));
    }

    /** Runs the job with {@code pipeline} in place of {@link #pipeline}'s (a fault drill's tuned stages). */
    public static Summary summarize(SparkSession spark, SummarizeOptions o, Pipeline pipeline) {
        return summarize(spark, o, pipeline, o.quiet() ? null : System.err);
    }

    /**
     * Runs the job: reads and validates the input, summarizes, commits the night's tables, then writes
     * its report. Progress lines go to {@code progressOut} (none when null) every
     * {@code spark.ringattention.progress.interval} (default 10 s). Refuses first a Spark this jar was not
     * built for ({@link SparkBuild#requireRuntime}).
     */
    public static Summary summarize(SparkSession spark, SummarizeOptions o, Pipeline pipeline, java.io.PrintStream progressOut) {
        SparkBuild.requireRuntime();
        long interval = spark.sparkContext().getConf().getTimeAsMs("spark.ringattention.progress.interval", "10s");
        try (Progress progress = Progress.start(spark.sparkContext(), "summarize", progressOut, interval)) {
            return summarize(spark, o, pipeline, progress);
        }
    }

    private static Summary summarize(SparkSession spark, SummarizeOptions o, Pipeline pipeline, Progress progress) {
        progress.phase("read and validate");
        // Long documents' centrality runs on the ring, whose lineage stays short only with a reliable
        // checkpoint directory (RingConfig.checkpointInterval). Unless the session has one, the job keeps
        // its checkpoints beside its output, out of readers' sight (a leading underscore), and removes
        // them when the run ends.
        // A directory an earlier run of this session set (and removed) is replaced, one the user set is kept.
        org.apache.hadoop.fs.Path checkpoints = null;
        scala.Option<String> current = spark.sparkContext().getCheckpointDir();
        if (current.isEmpty() || current.get().equals(spark.conf().get(OWN_CHECKPOINTS, ""))) {
            checkpoints = new org.apache.hadoop.fs.Path(o.output(), CHECKPOINTS);
            spark.sparkContext().setCheckpointDir(checkpoints.toString());
            spark.conf().set(OWN_CHECKPOINTS, spark.sparkContext().getCheckpointDir().get());
        }
        try {
            return readAndSummarize(spark, o, pipeline, progress);
        } finally {
            if (checkpoints != null) {
                try {
                    checkpoints.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(checkpoints, true);
                } catch (java.io.IOException e) {
                    LoggerFactory.getLogger(SummarizeJob.class)
                            .warn("could not remove the ring checkpoints under {}: {}", checkpoints, e.toString());
                }
            }
        }
    }

    private static Summary readAndSummarize(SparkSession spark, SummarizeOptions o, Pipeline pipeline, Progress progress) {
        // A killed run's leftovers are settled first (its commit would do it anyway): the earlier nights a
        // document is carried from must be the committed ones.
        NightlyCommit.recover(spark, o.output());
        Dataset<Row> intake = Documents.intake(spark, o.input(), o.inputFormat(), o.maxChars())
                .persist(StorageLevel.MEMORY_AND_DISK());
        // A failed run must not leave its cached tables behind in a long-lived session (a notebook's).
        try {
            return summarize(spark, o, pipeline, progress, intake);
        } finally {
            intake.unpersist();
        }
    }

    private static Summary summarize(SparkSession spark, SummarizeOptions o, Pipeline pipeline, Progress progress,
                                     Dataset<Row> intake) {
        Row found = intake.agg(count(lit(1)), count(when(col("reject").isNull(), 1))).first();
        long inputBytes = RunReport.inputBytes(spark, o.input());
        Dataset<Row> accepted = intake.filter(col("reject").isNull()).drop("reject")
                .withColumn(CarryOver.CONTENT_HASH, sha2(col("text"), 256));
        int ringPositions = o.ringPartitions() > 0 ? o.ringPartitions() : spark.sparkContext().defaultParallelism();
        SummaryFingerprint fingerprint = SummaryFingerprint.of(o, ringPositions);
        CarryOver carry = CarryOver.plan(spark, o, accepted, fingerprint);
        Row work = carry.toCompute().agg(count(lit(1)), coalesce(sum(length(col("text"))), lit(0L))).first();
        progress.line(String.format(Locale.ROOT, "%,d documents found (%s) in %s; %,d to compute%s",
                found.getLong(0), bytes(inputBytes), o.input(), work.getLong(0),
                o.full() ? " (--full)" : String.format(Locale.ROOT, ", %,d carried from earlier nights", carry.carried())));
        return summarize(spark, o, pipeline, progress, intake, found.getLong(0), inputBytes, carry, fingerprint,
                new DocumentCounters(spark.sparkContext(), progress, work.getLong(0), carry.carried(), work.getLong(1)));
    }

    private static Summary summarize(SparkSession spark, SummarizeOptions o, Pipeline pipeline, Progress progress,
                                     Dataset<Row> intake, long documentsFound, long inputBytes, CarryOver carry,
                                     SummaryFingerprint fingerprint, DocumentCounters counters) {
        Dataset<Row> toCompute = carry.toCompute();
        PipelineModel model = pipeline.fit(toCompute);
        if (o.savePipeline() != null) {
            try {
                model.write().overwrite().save(o.savePipeline());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot save the pipeline to " + o.savePipeline(), e);
            }
        }
        if (!o.phaseTimes()) {
            progress.phase("split, embed, attend and select");
        }
        Dataset<Row> result = toCompute;
        // What the stages (a stage with a ring threshold returns its output persisted) and this loop cached:
        // released when the night is written, or as soon as the next stage's output is materialized.
        List<Dataset<Row>> cached = new ArrayList<>();
        LongDocuments longDocuments = null;
        Dataset<Row> longSelected = null;
        int tasks = spark.sparkContext().defaultParallelism();
        SentenceCentrality rings = ringStage(model);
        try {
            for (org.apache.spark.ml.Transformer stage : model.stages()) {
                if (o.phaseTimes()) {
                    progress.phase(stage.getClass().getSimpleName());
                }
                if (stage instanceof SentenceEmbeddings embeddings) {
                    embeddings.setWorkMeter(counters.meter());
                } else if (stage instanceof SentenceCentrality centrality) {
                    centrality.setWorkMeter(counters.meter());
                }
                Dataset<Row> next = stage.transform(result);
                if (stage instanceof SentenceSplitter splitter && rings != null) {
                    // Documents over the ring threshold leave the stages' rows here (LongDocuments says why).
                    next = next.persist(StorageLevel.MEMORY_AND_DISK());
                    cached.add(next);
                    String sentencesCol = splitter.getOrDefault(splitter.outputCol());
                    longDocuments = LongDocuments.of(next, sentencesCol, splitter.getOrDefault(splitter.inputCol()),
                            rings.threshold(), RingCentrality.partSentences(rings.ringSettings(tasks).blockSize()));
                    if (longDocuments.isEmpty()) {
                        longDocuments.release();
                        longDocuments = null;
                    } else {
                        // A document the splitter failed on (null sentences) stays, to be reported as a reject.
                        next = next.filter(size(col(sentencesCol)).leq(rings.threshold()).or(col(sentencesCol).isNull()));
                    }
                } else if (stage instanceof SentenceEmbeddings embeddings) {
                    next = counters.count(next);
                    if (longDocuments != null) {
                        longDocuments.encode(embeddings.encoderSettings(),
                                embeddings.getOrDefault(embeddings.sentencesCol()), tasks, counters);
                    }
                } else if (stage instanceof SentenceCentrality centrality && longDocuments != null) {
                    longDocuments.attend(centrality.ringSettings(tasks), centrality.withContext(), counters.meter());
                } else if (stage instanceof SummarySelector selector) {
                    next = withoutVectors(next);
                    if (longDocuments != null) {
                        longSelected = longDocuments.select(selector.settings(), selector, next.schema());
                        cached.add(longSelected);
                    }
                }
                if (o.phaseTimes()) {
                    // Materialized stage by stage, so that each phase's time is that stage's work.
                    next = next.persist(StorageLevel.MEMORY_AND_DISK());
                    next.count();
                    List<Dataset<Row>> keep = new ArrayList<>();
                    for (Dataset<Row> c : cached) {
                        if (c == longSelected) {
                            keep.add(c);
                        } else {
                            c.unpersist();
                        }
                    }
                    cached.clear();
                    cached.addAll(keep);
                }
                if (next.storageLevel().isValid()) {
                    cached.add(next);
                }
                result = next;
            }
            if (longSelected != null) {
                result = result.unionByName(longSelected);
            }
            result = result.persist(StorageLevel.MEMORY_AND_DISK());
            cached.add(result);

            Dataset<Row> summarized = result.filter(col("selection").isNotNull());
            Dataset<Row> summaries = summarized.select(col("doc_id"), col("selection.summary").as("summary"),
                    col("selection.selected_indices").as("selected_indices"),
                    col("selection.selected_scores").as("selected_scores"),
                    col("token_count"), size(col("sentences")).as("sentence_count"), col("doc_date"),
                    col(CarryOver.CONTENT_HASH), fingerprint.of(size(col("sentences"))).as(CarryOver.SETTINGS));
            Dataset<Row> carriedSummaries = carry.summaries(summaries.schema());
            Dataset<Row> rejects = intake.filter(col("reject").isNotNull()).select(col("doc_id"), col("reject").as("reason"))
                    .union(result.filter(col("selection").isNull())
                            .select(col("doc_id"), stageReject().as("reason")));
            NightlyCommit output = NightlyCommit.of(spark, o.output(), o.date(), o.outputFormat())
                    .add("summaries", carriedSummaries == null ? summaries : summaries.unionByName(carriedSummaries))
                    .add("rejects", rejects);
            if (o.attention()) {
                // A long document's attention rows come from its ring's parts, not from a row of its own.
                Dataset<Row> context = contextRows(summarized.filter(col("context").isNotNull()));
                if (longSelected != null) {
                    java.util.Set<String> ids = new java.util.TreeSet<>(longSelected.filter(col("selection").isNotNull())
                            .select("doc_id").as(Encoders.STRING()).collectAsList());
                    context = context.union(longDocuments.attentionRows(ids, context.schema()));
                }
                Dataset<Row> carriedContext = carry.attention(context.schema());
                output.add("attention", carriedContext == null ? context : context.unionByName(carriedContext));
            }
            progress.phase("count");
            Map<String, Long> rejectsByReason = RunReport.rejectsByReason(rejects);
            long rejected = rejectsByReason.values().stream().mapToLong(Long::longValue).sum();

            // The report is rendered before the commit and committed with the tables, so a date's report
            // always describes the rows beside it; its figures stop where the write begins. The totals
            // come from the report's rows (one centrality score per sentence), not from one more Spark job.
            progress.phase("report");
            List<DocumentSummary> computed = RunReport.documents(result);
            List<DocumentSummary> carried = carriedSummaries == null ? List.of()
                    : RunReport.carried(carriedSummaries, carry.carriedDocuments());
            long sentenceCount = computed.stream().mapToLong(DocumentSummary::sentences).sum();
            long tokenCount = computed.stream().mapToLong(DocumentSummary::tokens).sum();
            Map<String, Double> phaseSeconds = progress.phaseSeconds();
            RunFigures figures = new RunFigures(o.date(), o.input(), documentsFound, inputBytes, computed.size(),
                    carried.size(), sentenceCount, tokenCount, rejectsByReason, phaseSeconds, progress.elapsedSeconds(),
                    cost(spark, progress), longest(counters.meter().longest()));
            output.add("runs", RunReport.runsRow(spark, figures, o.full(), fingerprint.inOneTask()));
            java.nio.file.Path report = RunReport.render(o.date(), figures, RunReport.byId(computed, carried));
            try {
                output.addDirectory("report", new org.apache.hadoop.fs.Path(report.toUri()));
                progress.phase("write");
                output.commit();
            } finally {
                org.apache.commons.io.FileUtils.deleteQuietly(report.toFile());
            }
            progress.endPhase();
            double seconds = progress.elapsedSeconds();
            phaseSeconds = progress.phaseSeconds();
            StringBuilder phases = new StringBuilder();
            if (o.phaseTimes()) {
                phaseSeconds.forEach((name, t) -> phases.append(phases.length() == 0 ? "" : ", ")
                        .append(String.format(Locale.ROOT, "%s %.1f s", name, t)));
            }
            return new Summary(computed.size(), carried.size(), sentenceCount, tokenCount, rejected, seconds,
                    phases.toString());
        } finally {
            cached.forEach(Dataset::unpersist);
            if (longDocuments != null) {
                longDocuments.release();
            }
        }
    }

    /**
     * The centrality stage of {@code model} when documents over its ring threshold take the job's own way
     * ({@link LongDocuments}): it has a threshold and the pipeline has the four stages of {@link #pipeline}.
     * Null otherwise (a pipeline of other stages runs as the stages say).
     */
    private static SentenceCentrality ringStage(PipelineModel model) {
        List<Class<?>> kinds = new ArrayList<>();
        SentenceCentrality rings = null;
        for (org.apache.spark.ml.Transformer stage : model.stages()) {
            kinds.add(stage.getClass());
            if (stage instanceof SentenceCentrality c && c.threshold() > 0) {
                rings = c;
            }
        }
        return kinds.equals(List.of(SentenceSplitter.class, SentenceEmbeddings.class, SentenceCentrality.class,
                SummarySelector.class)) ? rings : null;
    }

    /** What the run's tasks cost so far, with the task slots it held. */
    private static RunFigures.Cost cost(SparkSession spark, Progress progress) {
        Progress.TaskFigures t = progress.tasks();
        return new RunFigures.Cost(spark.sparkContext().defaultParallelism(), t.busyCoreSeconds() / 3600,
                t.gpuSeconds() / 3600, t.slowestTaskSeconds(), t.medianTaskSeconds(), t.peakHeapBytes());
    }

    private static RunFigures.Longest longest(WorkMeter.DocumentTime t) {
        return t == null ? null : new RunFigures.Longest(t.docId(), t.tokens(), t.sentences(), t.seconds());
    }

    /**
     * {@code selected} without its sentence vectors, which nothing after the selector reads: they are most
     * of a night's bytes, 1,536 per sentence, and the output persisted for the tables and the report would
     * hold them all. With them, the whole corpus (6,629 documents, 1.5M sentences) ran the embedded
     * driver's 6 GB heap out.
     */
    private static Dataset<Row> withoutVectors(Dataset<Row> selected) {
        return selected.drop("embeddings");
    }

    /**
     * Why a document that entered the pipeline has no summary: the first stage whose output it lacks. A
     * stage leaves its output null for a document it failed on (see {@link DocumentStage#FAIL_FAST}); the
     * executor log names the document and the exception. The encoder leaves both its outputs null, and its
     * vectors are dropped by now ({@link #withoutVectors}), so its token count tells.
     */
    private static org.apache.spark.sql.Column stageReject() {
        String rerun = " failed on this document (its executor log names the error); rerun with --fail-fast to stop on it";
        return when(col("sentences").isNull(), lit("SentenceSplitter" + rerun))
                .when(size(col("sentences")).equalTo(0), lit("no sentences found"))
                .when(col("token_count").isNull(), lit("SentenceEmbeddings" + rerun))
                .when(col("centrality").isNull(), lit("SentenceCentrality" + rerun))
                .when(org.apache.spark.sql.functions.expr("forall(sentence_fragments, f -> f)"),
                        lit("no sentence to select: only fragments (code, list markers, short or non-prose lines)"))
                .otherwise(lit("SummarySelector" + rerun));
    }

    /** {@code 812 bytes}, {@code 83.4 kB}, {@code 1.2 MB}, {@code 3.0 GB}. */
    static String bytes(long n) {
        if (n < 1000) {
            return n + " bytes";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
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
                rows.add(RowFactory.create(id, i, c.get(i), ScalaCollections.asScala(v)));
            }
            return rows.iterator();
        };
        return summarized.select("doc_id", "centrality", "context").flatMap(f, Encoders.row(schema));
    }
}
