package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.testing.NotebookRunner;

/** Every cell of the shipped Databricks notebook, in order, against local Spark and the shipped samples. */
class NotebookTest {

    @Test
    void theNotebookRunsTheJobWithItsDefaults(@TempDir Path dir) {
        Path out = dir.resolve("out");
        try (NotebookRunner runner = NotebookRunner.start(dir, Map.of("spark.sql.shuffle.partitions", "4"))) {
            runner.widget("input", Path.of("jobs/samples").toAbsolutePath().toString());
            runner.widget("output", out.toString());
            runner.widget("date", "2026-11-29");
            NotebookRunner.Run run = runner.run(Path.of("notebooks/nightly-summaries.scala"));
            List<NotebookRunner.Displayed> shown = run.displays();
            assertEquals(2, shown.size(), "two displays: summaries, rejects");
            assertEquals(List.of("doc_id", "sentence_count", "token_count", "summary"), shown.get(0).columns());
            assertEquals(4, shown.get(0).rows().size());
            for (Row r : shown.get(0).rows()) {
                assertTrue(!r.getString(3).isBlank(), "a summary for " + r.getString(0));
            }
            assertEquals(0, shown.get(1).rows().size(), "the samples have no rejects");

            // The job's own outputs, with the job's default budget (the old notebook chose 3): the notebook is the job.
            assertTrue(Files.exists(out.resolve("report/date=2026-11-29/index.html")), "the report");
            assertTrue(Files.isDirectory(out.resolve("rejects/date=2026-11-29")), "the rejects table");
            for (Row r : runner.spark().read().parquet(out.resolve("summaries/date=2026-11-29").toString())
                    .collectAsList()) {
                int chosen = r.getList(r.fieldIndex("selected_indices")).size();
                assertTrue(chosen > 3 && chosen <= SummarizeJob.Options.SENTENCES, r.getAs("doc_id") + ": " + chosen);
            }
        }
    }
}
