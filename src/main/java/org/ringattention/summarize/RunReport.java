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
