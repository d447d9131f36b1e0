package org.ringattention.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.testing.NotebookRunner.CellFailure;
import org.ringattention.testing.NotebookRunner.CellKind;
import org.ringattention.testing.NotebookRunner.Displayed;

/** The notebook runner on a sample notebook, and on cells that must fail the run. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NotebookRunnerTest {

    private NotebookRunner runner;

    @BeforeAll
    void start(@TempDir Path work) {
        runner = NotebookRunner.start(work, Map.of());
    }

    @AfterAll
    void stop() {
        runner.close();
    }

    private static Path sample() throws URISyntaxException {
        return Path.of(NotebookRunnerTest.class.getResource("sample-notebook.scala").toURI());
    }

    @Test
    void runsEveryCellAndRecordsWhatWasDisplayed() throws Exception {
        runner.widget("min_length", "5");
        NotebookRunner.Run run = runner.run(sample());

        // min_length 5 drops "ring" and "is": the widget's given value reached the notebook over its default 3.
        List<Displayed> displays = run.displays();
        assertEquals(2, displays.size(), displays.toString());
        Displayed frame = displays.get(0);
        assertEquals(4, frame.cell());
        assertInstanceOf(Dataset.class, frame.value());
        assertEquals(List.of("doc", "letters", "words", "kept"), frame.columns());
        assertEquals(List.of(RowFactory.create("a", 9L, 1L, "ATTENTION"), RowFactory.create("b", 14L, 2L,
                "BLOCKWISE,EXACT")), frame.rows());
        assertTrue(frame.text().contains("b | 14 | 2 | BLOCKWISE,EXACT"), frame.text());

        Displayed sql = displays.get(1);
        assertEquals(5, sql.cell());
        assertEquals(List.of("doc", "letters"), sql.columns());
        assertEquals(List.<Row>of(RowFactory.create("b", 14L)), sql.rows());

        // The markdown cell 1 and the SQL cell 5 are not interpreted as Scala.
        assertEquals(List.of(2, 3, 4), List.copyOf(run.outputs().keySet()));
    }

    @Test
    void displaysValuesThatAreNotDataFrames() {
        NotebookRunner.Run run = run("display(Seq(1, 2, 3).sum)\ndisplayHTML(\"<b>done</b>\")");
        assertEquals(List.of(6, "<b>done</b>"), run.displays().stream().map(Displayed::value).toList());
        assertTrue(run.displays().stream().allMatch(d -> d.cell() == 1 && d.rows().isEmpty()));
    }

    @Test
    void aCellThatDoesNotCompileFailsTheRunWithItsNumber() {
        CellFailure failure = assertThrows(CellFailure.class, () -> run(
                "val fine = 1", "val broken: Int = \"text\"", "display(fine)"));
        assertEquals(2, failure.cell());
        assertTrue(failure.getMessage().contains("type mismatch"), failure.getMessage());
        assertNull(failure.getCause());
    }

    @Test
    void aCellThatThrowsFailsTheRunWithItsNumber() {
        CellFailure failure = assertThrows(CellFailure.class, () -> run(
                "val n = 2", "require(n > 3, \"n is too small\")"));
        assertEquals(2, failure.cell());
        assertTrue(failure.getMessage().contains("n is too small"), failure.getMessage());
        assertInstanceOf(IllegalArgumentException.class, failure.getCause());
    }

    @Test
    void aSparkJobThatFailsOnExecutorsFailsTheRun() {
        CellFailure failure = assertThrows(CellFailure.class, () -> run(
                "spark.range(4).map(i => { require(i < 3, \"bad row\"); i }).collect()"));
        assertEquals(1, failure.cell());
        assertTrue(failure.getMessage().contains("bad row"), failure.getMessage());
    }

    @Test
    void anIncompleteCellFailsTheRun() {
        CellFailure failure = assertThrows(CellFailure.class, () -> run("val open = Seq(1,"));
        assertEquals(1, failure.cell());
    }

    @Test
    void cellsInOtherLanguagesFailTheRunInsteadOfBeingSkipped() {
        CellFailure failure = assertThrows(CellFailure.class, () -> run(
                "val x = 1", "// MAGIC %python\n// MAGIC print(1)"));
        assertEquals(2, failure.cell());
        assertTrue(failure.getMessage().contains("%python"), failure.getMessage());
    }

    @Test
    void parsesCellsMagicsAndTitles() {
        List<NotebookRunner.Cell> cells = NotebookRunner.parse(notebook(
                "// MAGIC %md\n// MAGIC # Title\n// MAGIC\n// MAGIC text",
                "// DBTITLE 1,Setup\nval a = 1",
                "// DBTITLE 1,Query\n// MAGIC %sql\n// MAGIC SELECT 1;\n// MAGIC SELECT 2",
                "// MAGIC %scala\n// MAGIC val b = 2"));
        assertEquals(List.of(CellKind.MARKDOWN, CellKind.SCALA, CellKind.SQL, CellKind.SCALA),
                cells.stream().map(NotebookRunner.Cell::kind).toList());
        assertEquals(List.of(1, 2, 3, 4), cells.stream().map(NotebookRunner.Cell::number).toList());
        assertEquals("# Title\n\ntext", cells.get(0).source());
        assertEquals("SELECT 1;\nSELECT 2", cells.get(2).source());
        assertEquals("val b = 2", cells.get(3).source());
        assertThrows(IllegalArgumentException.class, () -> NotebookRunner.parse("val a = 1"));
    }

    private NotebookRunner.Run run(String... cells) {
        return runner.run(NotebookRunner.parse(notebook(cells)));
    }

    private static String notebook(String... cells) {
        return NotebookRunner.HEADER + "\n" + String.join("\n\n" + NotebookRunner.SEPARATOR + "\n\n", cells)
                + "\n";
    }
}
