package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.output.NightlyCommit;
import org.ringattention.output.NightlyTables;
import org.ringattention.testing.NotebookRunner;

/** Every cell of the shipped Databricks notebook, in order, against local Spark and the shipped samples. */
class NotebookTest {

    private static final Path NOTEBOOK = Path.of("notebooks/nightly-summaries.scala");

    @Test
    void theNotebookRunsTheJobWithItsDefaults(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out");
        // Delta Lake configured on the session, as on Databricks, where it is the default table format.
        try (NotebookRunner runner = NotebookRunner.start(dir, Map.of("spark.sql.shuffle.partitions", "4",
                "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension",
                "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"))) {
            runner.widget("input", Path.of("jobs/samples").toAbsolutePath().toString());
            runner.widget("output", out.toString());
            runner.widget("date", "2026-11-29");
            List<NotebookRunner.Cell> cells = NotebookRunner.parse(Files.readString(NOTEBOOK));
            NotebookRunner.Cell first = cells.stream().filter(c -> c.kind() == NotebookRunner.CellKind.SCALA)
                    .findFirst().orElseThrow();
            assertTrue(first.source().endsWith("org.ringattention.platform.SparkBuild.requireRuntime()"),
                    "the first cell checks the runtime against the attached jar: " + first.source());
            NotebookRunner.Run run = runner.run(cells);
            List<NotebookRunner.Displayed> shown = run.displays();
            assertEquals(3, shown.size(), "three displays: the nights, summaries, rejects");
            assertEquals(List.of("date", "computed", "carried", "rejects", "tokens_computed", "seconds", "core_hours",
                    "gpu_hours"), shown.get(0).columns());
            assertEquals(1, shown.get(0).rows().size(), "one night");
            assertEquals(4L, ((Number) shown.get(0).rows().get(0).get(1)).longValue(), "the first night computes all");
            assertEquals(List.of("doc_id", "sentence_count", "token_count", "summary"), shown.get(1).columns());
            assertEquals(4, shown.get(1).rows().size());
            for (Row r : shown.get(1).rows()) {
                assertTrue(!r.getString(3).isBlank(), "a summary for " + r.getString(0));
            }
            assertEquals(0, shown.get(2).rows().size(), "the samples have no rejects");

            // The job's own outputs, with the job's default word budget: the notebook is the job.
            assertTrue(Files.exists(out.resolve("report/date=2026-11-29/index.html")), "the report");
            assertTrue(Files.isDirectory(Path.of(NightlyTables.deltaTable(out.toString()), "_delta_log")), "the night's Delta table");
            for (Row r : NightlyTables.read(runner.spark(), out.toString(), "summaries", "2026-11-29").collectAsList()) {
                int words = org.ringattention.selection.Budget.words(r.getAs("summary"));
                assertTrue(words > SummarizeOptions.WORDS / 2 && words <= 1.5 * SummarizeOptions.WORDS,
                        r.getAs("doc_id") + ": " + words + " words");
            }
        }
    }
}
