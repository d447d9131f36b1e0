package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void everyCellRunsAndShowsSummariesAndCentrality(@TempDir Path dir) {
        try (NotebookRunner runner = NotebookRunner.start(dir, Map.of("spark.sql.shuffle.partitions", "4"))) {
            runner.widget("input", Path.of("jobs/samples").toAbsolutePath().toString());
            NotebookRunner.Run run = runner.run(Path.of("notebooks/nightly-summaries.scala"));
            List<NotebookRunner.Displayed> shown = run.displays();
            assertEquals(3, shown.size(), "three displays: documents, summaries, centrality");
            assertEquals(List.of("doc_id", "characters", "reject"), shown.get(0).columns());
            assertEquals(4, shown.get(0).rows().size());
            assertEquals(List.of("doc_id", "sentences", "summary"), shown.get(1).columns());
            for (Row r : shown.get(1).rows()) {
                assertTrue(!r.getString(2).isBlank(), "a summary for " + r.getString(0));
            }
            NotebookRunner.Displayed centrality = shown.get(2);
            assertEquals(List.of("sentence_index", "centrality"), centrality.columns());
            // history-of-the-printing-press.txt comes first by id: one point per sentence, in order.
            assertEquals(122, centrality.rows().size());
            for (int i = 0; i < centrality.rows().size(); i++) {
                assertEquals(i, centrality.rows().get(i).getInt(0));
                assertTrue(centrality.rows().get(i).getDouble(1) >= 0);
            }
        }
    }
}
