package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.output.NightlyTables;
import org.ringattention.testing.LocalCluster;

/**
 * The nightly job on the shipped samples with its executor in a separate JVM ({@code local-cluster}), into its
 * default Delta table: what every build runs to show the job works on its Spark and its Delta Lake (README,
 * Platforms). SummarizeJobTest checks the job's details in local mode; SummarizeOnYarnIT that cluster mode
 * gives local mode's rows.
 */
class SummarizeOnLocalClusterTest {

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void summarizesTheSamplesIntoOneDeltaCommit(@TempDir Path dir) throws IOException {
        Path input = Files.createDirectory(dir.resolve("in"));
        List<Path> samples;
        try (Stream<Path> files = Files.list(Path.of("jobs/samples"))) {
            samples = files.sorted().toList();
        }
        for (Path p : samples) {
            Files.copy(p, input.resolve(p.getFileName()));
        }
        Files.writeString(input.resolve("empty.txt"), "");
        String out = dir.resolve("out").toString();
        SparkSession spark = SparkSession.builder()
                .config(LocalCluster.conf(dir, "local-cluster[1,2,1536]", "SummarizeOnLocalClusterTest", ""))
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .getOrCreate();
        try {
            SummarizeJob.Summary night = SummarizeJob.summarize(spark, SummarizeOptions.builder(input.toString(), out)
                    .date("2026-11-29").sentences(3).quiet(true).build());
            assertEquals(samples.size(), night.documents());
            assertEquals(1, night.rejects());

            int checked = 0;
            for (Row r : NightlyTables.read(spark, out, "summaries", "2026-11-29").collectAsList()) {
                String id = r.getAs("doc_id");
                List<String> sentences = SentenceSplitter.split(
                        Files.readString(input.resolve(id), StandardCharsets.UTF_8));
                List<Integer> picked = r.getList(r.fieldIndex("selected_indices"));
                assertTrue(!picked.isEmpty() && picked.size() <= 3, id + " within budget: " + picked);
                StringBuilder summary = new StringBuilder();
                for (int k = 0; k < picked.size(); k++) {
                    assertTrue(k == 0 || picked.get(k) > picked.get(k - 1), id + " in document order: " + picked);
                    summary.append(k == 0 ? "" : " ").append(sentences.get(picked.get(k)));
                }
                assertEquals(summary.toString(), r.getAs("summary"), id);
                checked++;
            }
            assertEquals(samples.size(), checked, "summaries checked");
            List<Row> rejects = NightlyTables.read(spark, out, "rejects", "2026-11-29").collectAsList();
            assertEquals("empty.txt", rejects.get(0).getAs("doc_id"));

            List<Row> history = spark.sql("DESCRIBE HISTORY delta.`" + NightlyTables.deltaTable(out) + "`")
                    .select("operation", "userMetadata").collectAsList();
            assertEquals(1, history.size(), "the night is one transaction: " + history);
            assertTrue(history.get(0).getString(1) != null, "the transaction carries the run's id: " + history);
        } finally {
            spark.stop();
            LocalCluster.clear();
        }
    }
}
