package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.output.NightlyTables;

/**
 * An incremental night against the same night recomputed in full: documents added, changed, removed and
 * unchanged (two of them long enough to ride the ring), with attention rows. The night's rows of every
 * kind must be equal, value for value, and the documents carried must not have been split, encoded or
 * attended again (the splitter's fault point counts who reached it).
 */
class IncrementalNightTest {

    private static final String FIRST = "2026-11-28";
    private static final String SECOND = "2026-11-29";
    /** Documents of more sentences ride the ring in this test; the long ones have 60 to 90. */
    private static final int RING_THRESHOLD = 40;

    private static SparkSession spark;
    @TempDir
    static Path dir;
    private static Path firstNight;
    private static Path secondNight;

    @BeforeAll
    static void setUp() throws IOException {
        spark = SparkSession.builder().master("local[2]").appName("IncrementalNightTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .getOrCreate();
        String printing = Files.readString(Path.of("jobs/samples/history-of-the-printing-press.txt"));
        String ring = Files.readString(Path.of("jobs/samples/ring-attention-explained.txt"));
        String water = Files.readString(Path.of("jobs/samples/river-city-water-report.md"));
        String log = Files.readString(Path.of("jobs/samples/night-shift-operations-log.txt"));
        firstNight = write("first", Map.of(
                "unchanged-a.txt", printing.substring(0, 1200),
                "unchanged-b.md", water.substring(0, 1400),
                "changed.txt", ring.substring(0, 1300),
                "removed.txt", log.substring(0, 1200),
                "long-unchanged.txt", printing.substring(1200, 7500),
                "long-changed.txt", ring.substring(1300, 7800),
                "empty.txt", ""));
        secondNight = write("second", Map.of(
                "unchanged-a.txt", printing.substring(0, 1200),
                "unchanged-b.md", water.substring(0, 1400),
                "changed.txt", ring.substring(0, 1300) + "\n\nA paragraph added since the first night changes this one.",
                "added.txt", log.substring(1200, 2600),
                "long-unchanged.txt", printing.substring(1200, 7500),
                "long-changed.txt", ring.substring(1300, 7600),
                "empty.txt", ""));
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    /** Four nights on one Delta table: over the suite's default 5 minutes on two cores shared with other builds. */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aDeltaNightDoneIncrementallyEqualsItRecomputedInFull() {
        String out = dir.resolve("delta-incremental").toString();
        assertEquals(List.of(6L, 0L), run(firstNight, out, FIRST, "delta", false).counts(), "computed, carried");
        Night second = run(secondNight, out, SECOND, "delta", false);
        assertEquals(Set.of("changed.txt", "added.txt", "long-changed.txt"), second.reached(),
                "only new and changed documents are split, encoded and attended");
        assertEquals(List.of(3L, 3L), second.counts());
        String full = dir.resolve("delta-full").toString();
        assertEquals(List.of(6L, 0L), run(secondNight, full, SECOND, "delta", true).counts());
        assertSameNight(out, full, SECOND);
        assertRun(out, SECOND, 3, 3);

        // A rerun of the date carries from the date itself, to the same rows.
        Night rerun = run(secondNight, out, SECOND, "delta", false);
        assertEquals(List.of(0L, 6L), rerun.counts());
        assertEquals(Set.of(), rerun.reached());
        assertSameNight(out, full, SECOND);
    }

    @Test
    void aJsonExportNightDoneIncrementallyEqualsItRecomputedInFull() {
        String out = dir.resolve("json-incremental").toString();
        run(firstNight, out, FIRST, "json", false);
        assertEquals(Set.of("changed.txt", "added.txt", "long-changed.txt"),
                run(secondNight, out, SECOND, "json", false).reached());
        String full = dir.resolve("json-full").toString();
        run(secondNight, full, SECOND, "json", true);
        assertSameNight(out, full, SECOND);
        assertRun(out, SECOND, 3, 3);
    }

    /** A night's closing figures and the documents that reached the splitter. */
    private record Night(SummarizeJob.Summary summary, Set<String> reached) {
        List<Long> counts() {
            return List.of(summary.computed(), summary.carried());
        }
    }

    private static Night run(Path input, String out, String date, String format, boolean full) {
        SummarizeOptions o = options(input, out, date, format, full);
        Set<String> reached = ConcurrentHashMap.newKeySet();
        // The local master runs tasks in this JVM, so a handler installed here sees every document a stage takes.
        FaultPoints.install((point, call, docId) -> {
            if (point.equals("SentenceSplitter")) {
                reached.add(docId);
            }
        });
        SummarizeJob.Summary summary;
        try {
            summary = SummarizeJob.summarize(spark, o);
        } finally {
            FaultPoints.install(null);
        }
        assertEquals(1, summary.rejects(), "the empty document, each night");
        return new Night(summary, new TreeSet<>(reached));
    }

    private static SummarizeOptions options(Path input, String out, String date, String format, boolean full) {
        return SummarizeOptions.builder(input.toString(), out).date(date).outputFormat(format).sentences(3)
                .attention(true).ringThreshold(RING_THRESHOLD).ringPartitions(2).full(full).quiet(true).build();
    }

    /** Summaries, rejects and attention rows of {@code date} are the same under both outputs. */
    private static void assertSameNight(String a, String b, String date) {
        Map<String, String[]> kinds = Map.of(
                "summaries", new String[] {"doc_id", "summary", "selected_indices", "selected_scores", "token_count",
                    "sentence_count", "doc_date", CarryOver.CONTENT_HASH, CarryOver.SETTINGS},
                "rejects", new String[] {"doc_id", "reason"},
                "attention", new String[] {"doc_id", "sentence_index", "centrality", "context"});
        Set<String> ring = new TreeSet<>();
        for (Map.Entry<String, String[]> kind : kinds.entrySet()) {
            List<Row> left = rows(a, kind.getKey(), date, kind.getValue());
            List<Row> right = rows(b, kind.getKey(), date, kind.getValue());
            assertEquals(right.size(), left.size(), kind.getKey());
            for (int i = 0; i < left.size(); i++) {
                assertEquals(right.get(i), left.get(i), kind.getKey() + " row " + i);
            }
            if (kind.getKey().equals("summaries")) {
                for (Row r : left) {
                    if (((Number) r.get(5)).intValue() > RING_THRESHOLD) {
                        ring.add(r.getString(0));
                    }
                }
            }
        }
        assertEquals(Set.of("long-changed.txt", "long-unchanged.txt"), ring, "both long documents rode the ring");
    }

    /** The rows' {@code columns} that the output has (a JSON export leaves out fields null in every row). */
    private static List<Row> rows(String out, String kind, String date, String[] wanted) {
        org.apache.spark.sql.Dataset<Row> night = NightlyTables.read(spark, out, kind, date);
        String[] columns = java.util.Arrays.stream(wanted).filter(List.of(night.columns())::contains).toArray(String[]::new);
        return night.selectExpr(columns)
                .orderBy(columns[0], columns.length > 1 && kind.equals("attention") ? columns[1] : columns[0])
                .collectAsList();
    }

    /** The night's row of kind runs says what it computed and carried. */
    private static void assertRun(String out, String date, long computed, long carried) {
        Row run = NightlyTables.read(spark, out, "runs", date).first();
        assertEquals(computed, ((Number) run.getAs("computed")).longValue());
        assertEquals(carried, ((Number) run.getAs("carried")).longValue());
        assertEquals(1, ((Number) run.getAs("rejects")).longValue());
        assertTrue(((Number) run.getAs("core_hours")).doubleValue() > 0, "a night costs something");
    }

    private static Path write(String name, Map<String, String> files) throws IOException {
        Path input = Files.createDirectories(dir.resolve(name));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(input.resolve(f.getKey()), f.getValue());
        }
        return input;
    }
}
