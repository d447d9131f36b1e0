package org.ringattention.summarize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.regexp_replace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.ringattention.report.DocumentSummary;
import org.ringattention.report.Report;
import org.ringattention.report.RunFigures;

/** The job's side of {@link Report}: what it shows, gathered from the run's tables, and where it goes. */
final class RunReport {

    private RunReport() {
    }

    /** Bytes under {@code path} (a file or a folder), on any Hadoop file system. */
    static long inputBytes(SparkSession spark, String path) {
        Path p = new Path(path);
        try {
            return p.getFileSystem(spark.sparkContext().hadoopConfiguration()).getContentSummary(p).getLength();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure the input " + path, e);
        }
    }

    /**
     * Rejects counted by reason, most frequent first; numbers in a reason (a length, a count of copies)
     * become {@code N} so that one kind of reject is one row.
     */
    static Map<String, Long> rejectsByReason(Dataset<Row> rejects) {
        Map<String, Long> byReason = new LinkedHashMap<>();
        for (Row r : rejects.select(regexp_replace(col("reason"), "[0-9]+", "N").as("reason"))
                .groupBy("reason").count().orderBy(desc("count"), col("reason")).collectAsList()) {
            byReason.put(r.getString(0), r.getLong(1));
        }
        return byReason;
    }

    /** Every document of {@code result} (the pipeline's output) that it summarized. */
    static List<DocumentSummary> documents(Dataset<Row> result) {
        List<DocumentSummary> documents = new ArrayList<>();
        for (Row r : result.filter(col("selection").isNotNull())
                .select(col("doc_id"), col("selection.summary"), col("centrality"),
                        col("selection.selected_indices"), col("token_count"))
                .collectAsList()) {
            documents.add(DocumentSummary.computed(r.getString(0), r.getString(1), r.getList(2), r.getList(3), r.getLong(4)));
        }
        return documents;
    }

    /** The carried documents: their summary rows as written then, with the date each comes from. */
    static List<DocumentSummary> carried(Dataset<Row> summaries, Dataset<Row> carriedDocuments) {
        List<DocumentSummary> documents = new ArrayList<>();
        for (Row r : summaries.join(carriedDocuments, "doc_id")
                .select(col("doc_id"), col("summary"), col("selected_indices"), col("token_count"),
                        col("sentence_count"), col(CarryOver.FROM)).collectAsList()) {
            documents.add(new DocumentSummary(r.getString(0), r.getString(1), List.of(), r.getList(2), r.getLong(3),
                    r.getInt(4), r.getString(5)));
        }
        return documents;
    }

    /** Every summarized document, computed and carried, by id: the report's order. */
    static List<DocumentSummary> byId(List<DocumentSummary> computed, List<DocumentSummary> carried) {
        List<DocumentSummary> all = new ArrayList<>(computed);
        all.addAll(carried);
        // Sorted here, not by Spark: the rows are on the driver already, and a sort would be one more shuffle.
        all.sort(java.util.Comparator.comparing(DocumentSummary::docId));
        return all;
    }

    /** The schema of the night's row of kind {@code runs}: its figures and cost ({@link RunFigures}). */
    static final StructType RUNS = new StructType()
            .add("documents_found", DataTypes.LongType, false)
            .add("summaries", DataTypes.LongType, false)
            .add("computed", DataTypes.LongType, false)
            .add("carried", DataTypes.LongType, false)
            .add("rejects", DataTypes.LongType, false)
            .add("sentences_computed", DataTypes.LongType, false)
            .add("tokens_computed", DataTypes.LongType, false)
            .add("seconds", DataTypes.DoubleType, false)
            .add("cores", DataTypes.IntegerType, false)
            .add("core_hours", DataTypes.DoubleType, false)
            .add("busy_core_hours", DataTypes.DoubleType, false)
            .add("gpu_hours", DataTypes.DoubleType, false)
            .add("slowest_task_seconds", DataTypes.DoubleType, false)
            .add("median_task_seconds", DataTypes.DoubleType, false)
            .add("peak_heap_bytes", DataTypes.LongType, false)
            .add("longest_doc_id", DataTypes.StringType, true)
            .add("longest_doc_tokens", DataTypes.LongType, true)
            .add("longest_doc_seconds", DataTypes.DoubleType, true)
            .add("full", DataTypes.BooleanType, false)
            .add("settings", DataTypes.StringType, false);

    /**
     * The night's one row of kind {@code runs}, written with its other rows: what {@code jobs/show} and a
     * query over every date read (computed, carried, cost). Its times stop where the write begins, as the
     * report's do; {@code settings} is the fingerprint of a summary computed in one task that night.
     */
    static Dataset<Row> runsRow(SparkSession spark, RunFigures f, boolean full, String settings) {
        RunFigures.Cost c = f.cost();
        RunFigures.Longest l = f.longest();
        Row row = RowFactory.create(f.documentsFound(), f.documents(), f.computed(), f.carried(), f.rejected(),
                f.sentences(), f.tokens(), f.seconds(), c.cores(), c.coreHours(f.seconds()), c.busyCoreHours(),
                c.gpuHours(), c.slowestTaskSeconds(), c.medianTaskSeconds(), c.peakHeapBytes(),
                l == null ? null : l.docId(), l == null ? null : l.tokens(), l == null ? null : l.seconds(), full, settings);
        return spark.createDataFrame(List.of(row), RUNS);
    }

    /**
     * Renders the report into a new folder on the driver's disk, for the night's commit to publish as
     * {@code output/report/date=D} with the tables; the caller deletes the folder.
     */
    static java.nio.file.Path render(String date, RunFigures run, List<DocumentSummary> documents) {
        java.nio.file.Path local = null;
        try {
            local = Files.createTempDirectory("report-" + date);
            Report.render(local, run, documents);
            return local;
        } catch (IOException | RuntimeException e) {
            if (local != null) {
                org.apache.commons.io.FileUtils.deleteQuietly(local.toFile());
            }
            throw e instanceof IOException io ? new UncheckedIOException("cannot render the report for date=" + date, io)
                    : (RuntimeException) e;
        }
    }
}
