package org.ringattention.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.testing.FaultyFileSystem;

/**
 * The commit of a night's outputs: Delta Lake as the job uses it (its report swapped in only once the
 * transaction landed), and the export swap with a failure injected at every change it makes to the file
 * system.
 */
class NightlyCommitTest {

    private static SparkSession spark;
    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() {
        spark = SparkSession.builder().master("local[2]").appName("NightlyCommitTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .config("spark.hadoop.fs.faulty.impl", FaultyFileSystem.class.getName())
                .getOrCreate();
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    /** A night's tables, each row tagged with the run that wrote it. */
    private static NightlyCommit night(String base, String date, String format, String tag, Path report)
            throws IOException {
        Dataset<Row> summaries = spark.range(3).selectExpr("cast(id as string) as doc_id", "'" + tag + "' as summary")
                .coalesce(1);
        Dataset<Row> rejects = spark.range(2).selectExpr("concat('bad-', id) as doc_id", "'" + tag + "' as reason")
                .coalesce(1);
        NightlyCommit out = NightlyCommit.of(spark, base, date, format).add("summaries", summaries)
                .add("rejects", rejects);
        if (report != null) {
            Files.createDirectories(report);
            Files.writeString(report.resolve("index.html"), tag);
            out.addDirectory("report", new org.apache.hadoop.fs.Path(report.toUri()));
        }
        return out;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // three Delta commits: minutes on a saturated 2-core machine
    void deltaReplacesOneDateInOneTransactionAndKeepsHistory() throws IOException {
        String base = dir.resolve("delta").toString();
        night(base, "2026-11-28", "delta", "a", null).commit();
        night(base, "2026-11-29", "delta", "b", dir.resolve("report-b")).commit();
        night(base, "2026-11-29", "delta", "c", dir.resolve("report-c")).commit();

        Dataset<Row> summaries = NightlyTables.read(spark, base, "summaries");
        assertEquals(List.of("a", "c"), summaries.select("summary").distinct().orderBy("summary")
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
        assertEquals(3, summaries.where("date = '2026-11-29'").count(), "replaced, not appended");
        assertEquals(2, NightlyTables.read(spark, base, "rejects").where("date = '2026-11-29'").count());
        assertEquals("c", Files.readString(Path.of(base, "report", "date=2026-11-29", "index.html")));

        List<Row> history = spark.sql("DESCRIBE HISTORY delta.`" + base + "/nightly`").orderBy("version")
                .select("version", "operation").collectAsList();
        assertEquals(3, history.size(), history.toString());
        // Time travel: version 1 still holds run b's rows of that date.
        Dataset<Row> v1 = spark.read().format("delta").option("versionAsOf", 1).load(base + "/nightly")
                .where("date = '2026-11-29' and kind = 'summaries'");
        assertEquals("b", v1.first().getAs("summary"));
        assertFalse(Files.exists(Path.of(base, FolderSwap.STAGING)), "no staging left behind");
    }

    @Test
    void aFailureAtEveryChangeOfThePlainCommitLeavesOneCompleteNight() throws IOException {
        Path template = dir.resolve("template");
        night("faulty://" + template, "2026-11-29", "parquet", "old", dir.resolve("report-old")).commit();

        // Count the changes a whole commit makes, then fail each one in turn on a copy of the old night.
        Path probe = copyOf(template, "probe");
        FaultyFileSystem.failAt(0);
        night("faulty://" + probe, "2026-11-29", "parquet", "new", dir.resolve("report-new")).commit();
        int changes = FaultyFileSystem.changes();
        assertTrue(changes > 10, "the commit makes " + changes + " changes");
        assertEquals("new", state(probe));

        int failedBeforeCommit = 0;
        for (int k = 1; k <= changes; k++) {
            Path base = copyOf(template, "k" + k);
            NightlyCommit out = night("faulty://" + base, "2026-11-29", "parquet", "new", dir.resolve("report-new"));
            FaultyFileSystem.failAt(k);
            boolean failed;
            try {
                out.commit();
                failed = false;
            } catch (Exception e) {
                failed = true;
            } finally {
                FaultyFileSystem.failAt(0);
            }
            failedBeforeCommit += failed ? 1 : 0;
            assertEquals(failed ? "old" : "new", state(base), "failure at change " + k);
            NightlyCommit.recover(spark, "faulty://" + base);
            assertEquals(failed ? "old" : "new", state(base), "after recovery, failure at change " + k);
            assertFalse(Files.exists(base.resolve(FolderSwap.STAGING)), "staging recovered, change " + k);
        }
        assertTrue(failedBeforeCommit > 0 && failedBeforeCommit <= changes);
    }

    @Test
    void aRunKilledMidSwapIsRolledBackByTheNextCommit() throws IOException {
        Path base = dir.resolve("killed");
        night(base.toString(), "2026-11-29", "json", "old", dir.resolve("report-k-old")).commit();
        // What a kill between two renames leaves: a journal, summaries swapped, rejects and report not yet.
        Path run = base.resolve(FolderSwap.STAGING).resolve("2026-11-29-dead");
        Files.createDirectories(run.resolve("old"));
        Files.createDirectories(run.resolve("new"));
        Files.move(base.resolve("summaries/date=2026-11-29"), run.resolve("old/summaries"));
        Files.createDirectories(base.resolve("summaries/date=2026-11-29"));
        Files.writeString(base.resolve("summaries/date=2026-11-29/part-0.json"), "{\"doc_id\":\"x\",\"summary\":\"new\"}\n");
        StringBuilder journal = new StringBuilder("plain\n");
        for (String name : new String[] {"summaries", "rejects", "report"}) {
            journal.append(name).append("\ttrue\t").append(base.resolve(name).resolve("date=2026-11-29").toUri())
                    .append('\n');
        }
        Files.writeString(run.resolve(FolderSwap.SWAPPING), journal);

        NightlyCommit.recover(spark, base.toString());
        assertEquals("old", state(base, "json"));
        assertFalse(Files.exists(base.resolve(FolderSwap.STAGING)));
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aDeltaRunKilledBeforeItsTransactionLandedNeverShowsItsReport() throws IOException {
        Path base = dir.resolve("delta-killed-before");
        night(base.toString(), "2026-11-29", "delta", "old", dir.resolve("report-d1-old")).commit();
        Path run = deadDeltaRun(base, "2026-11-29-dead", "new");

        NightlyCommit.recover(spark, base.toString());
        assertEquals("old", Files.readString(base.resolve("report/date=2026-11-29/index.html")));
        assertEquals(List.of("old"), summaryTags(base));
        assertFalse(Files.exists(run), "the dead run's staging is gone");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aDeltaRunKilledAfterItsTransactionLandedHasItsReportRolledForward() throws IOException {
        Path base = dir.resolve("delta-killed-after");
        night(base.toString(), "2026-11-29", "delta", "old", dir.resolve("report-d2-old")).commit();
        String id = "2026-11-29-landed";
        deadDeltaRun(base, id, "new");
        // The transaction of that run, as it landed before the kill.
        spark.range(3).selectExpr("cast(id as string) as doc_id", "'new' as summary", "'summaries' as kind",
                        "'2026-11-29' as date")
                .write().format("delta").mode("overwrite").option("replaceWhere", "date = '2026-11-29'")
                .option("userMetadata", id).partitionBy("date", "kind").save(base.resolve("nightly").toString());

        NightlyCommit.recover(spark, base.toString());
        assertEquals("new", Files.readString(base.resolve("report/date=2026-11-29/index.html")));
        assertEquals(List.of("new"), summaryTags(base));
        assertFalse(Files.exists(base.resolve(FolderSwap.STAGING)));
    }

    /** What a kill after the journal and before the swap leaves: the new report staged and journaled. */
    private static Path deadDeltaRun(Path base, String id, String tag) throws IOException {
        Path run = base.resolve(FolderSwap.STAGING).resolve(id);
        Files.createDirectories(run.resolve("new/report"));
        Files.writeString(run.resolve("new/report/index.html"), tag);
        Files.writeString(run.resolve(FolderSwap.SWAPPING), "delta\nreport\ttrue\t"
                + base.resolve("report").resolve("date=2026-11-29").toUri() + "\n");
        return run;
    }

    private static List<String> summaryTags(Path base) {
        return NightlyTables.read(spark, base.toString(), "summaries", "2026-11-29").select("summary").distinct()
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    }

    @Test
    void aRunThatFailsWhileWritingLeavesTheDateAsItWas() throws IOException {
        String out = dir.resolve("failing").toString();
        Dataset<Row> good = spark.range(3).selectExpr("cast(id as string) as doc_id");
        NightlyCommit.of(spark, out, "2026-11-20", "parquet").add("summaries", good).commit();
        spark.udf().register("explode_on_2", (org.apache.spark.sql.api.java.UDF1<Long, String>) id -> {
            if (id == 2) {
                throw new IllegalStateException("injected failure");
            }
            return String.valueOf(id);
        }, org.apache.spark.sql.types.DataTypes.StringType);
        Dataset<Row> bad = spark.range(5).selectExpr("explode_on_2(id) as doc_id");
        NightlyCommit failing = NightlyCommit.of(spark, out, "2026-11-20", "parquet")
                .add("rejects", good).add("summaries", bad);
        assertThrows(Exception.class, failing::commit);
        assertEquals(3, spark.read().parquet(out + "/summaries/date=2026-11-20").count());
        assertFalse(Files.exists(Path.of(out, "rejects", "date=2026-11-20")), "nothing half-swapped");
        assertFalse(Files.exists(Path.of(out, "_staging")), "no staging left behind");
    }

    @Test
    void anUnknownFormatIsBadInput() {
        assertThrows(org.ringattention.io.BadInputException.class,
                () -> NightlyCommit.of(spark, dir.toString(), "2026-11-29", "csv"));
    }

    /** "old" or "new" when every output of the date is that run's, complete; fails on a mix or a gap. */
    private static String state(Path base) {
        return state(base, "parquet");
    }

    private static String state(Path base, String format) {
        String summaries = tag(spark.read().format(format).load(base + "/summaries/date=2026-11-29"), "summary", 3);
        String rejects = tag(spark.read().format(format).load(base + "/rejects/date=2026-11-29"), "reason", 2);
        String report;
        try {
            report = Files.readString(base.resolve("report/date=2026-11-29/index.html"));
        } catch (IOException e) {
            throw new AssertionError("no report", e);
        }
        assertEquals(summaries, rejects, "summaries and rejects from one run");
        assertEquals(summaries, report, "the report from the same run");
        return summaries;
    }

    private static String tag(Dataset<Row> rows, String column, int count) {
        List<String> tags = rows.select(column).as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        assertEquals(count, tags.size(), "complete: " + tags);
        assertEquals(1, tags.stream().distinct().count(), "one run: " + tags);
        return tags.get(0);
    }

    private static Path copyOf(Path from, String name) throws IOException {
        Path to = dir.resolve(name);
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q);
                }
            }
        }
        return to;
    }
}
