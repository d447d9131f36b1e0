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
import org.apache.spark.sql.SparkSession;
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

    /** Every summarized document of {@code result} (the pipeline's output), by id. */
    static List<DocumentSummary> documents(Dataset<Row> result) {
        List<DocumentSummary> documents = new ArrayList<>();
        for (Row r : result.filter(col("selection").isNotNull())
                .select(col("doc_id"), col("selection.summary"), col("centrality"),
                        col("selection.selected_indices"), col("token_count"))
                .collectAsList()) {
            documents.add(new DocumentSummary(r.getString(0), r.getString(1), r.getList(2), r.getList(3), r.getLong(4)));
        }
        // Sorted here, not by Spark: the rows are on the driver already, and a sort would be one more shuffle.
        documents.sort(java.util.Comparator.comparing(DocumentSummary::docId));
        return documents;
    }

    /**
     * Renders the report on the driver's disk, then moves it to {@code output/report/date=D}: copied to
     * a staging folder first, so the final name never holds a partial report.
     */
    static Path publish(SparkSession spark, String output, String date, RunFigures run,
                        List<DocumentSummary> documents) {
        Path base = new Path(output);
        Path target = new Path(new Path(base, "report"), "date=" + date);
        Path staging = new Path(new Path(base, "_staging"), "report-" + date + "-" + UUID.randomUUID());
        java.nio.file.Path local = null;
        try {
            local = Files.createTempDirectory("report-" + date);
            Report.render(local, run, documents);
            FileSystem fs = base.getFileSystem(spark.sparkContext().hadoopConfiguration());
            fs.copyFromLocalFile(false, true, new Path(local.toUri()), staging);
            fs.mkdirs(target.getParent());
            if (fs.exists(target) && !fs.delete(target, true)) {
                throw new IOException("cannot replace " + target);
            }
            if (!fs.rename(staging, target)) {
                throw new IOException("rename " + staging + " -> " + target + " failed");
            }
            Path root = staging.getParent();
            if (fs.exists(root) && fs.listStatus(root).length == 0) {
                fs.delete(root, false);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report for date=" + date + " under " + output, e);
        } finally {
            if (local != null) {
                org.apache.commons.io.FileUtils.deleteQuietly(local.toFile());
            }
        }
    }
}
