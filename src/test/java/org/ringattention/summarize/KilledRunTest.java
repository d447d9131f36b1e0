package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.output.NightlyCommit;
import org.ringattention.output.NightlyTables;
import org.ringattention.cli.SummarizeCommand;

/**
 * The real job in a child JVM, killed with SIGKILL while it rewrites a date: after each kill (and the
 * recovery the next run performs first) the date holds one complete night, the previous one or the new
 * one, with every input file of that night in exactly one of summaries and rejects. Most kills are aimed at
 * the commit, at moments the test sees on disk as the run reaches them: the job's line that ends its report
 * phase (the write begins), its staging folder, its journal, and the commit point itself (Delta: the run's
 * transaction in the log; exports: the journal marked done). One more lands at a random moment of the whole
 * run (start-up, reading, the stages). Both outcomes must occur for each format, or the kills did not reach
 * both sides of the commit point. Half the kills hit the Delta output, half the Parquet export. One
 * document is in both nights unchanged, so every rewrite carries it from the rows being replaced.
 */
class KilledRunTest {

    /** The moments inside the commit at which a run is killed, in the order a run reaches them. */
    private enum Moment { WRITE_STARTS, STAGING, JOURNAL, COMMITTED }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void aRunKilledAtAnyMomentLeavesOneCompleteNight(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("killed.seed", System.nanoTime() % 100_000);
        System.out.println("KilledRunTest seed " + seed + " (rerun with -Dkilled.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        Path before = night(dir.resolve("before"), "before");
        Path after = night(dir.resolve("after"), "after");
        Set<String> beforeNames = names(before);
        Set<String> afterNames = names(after);

        SparkSession spark = SparkSession.builder().master("local[1]").appName("KilledRunTest")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .getOrCreate();
        try {
            for (String format : new String[] {"delta", "parquet"}) {
                Path out = dir.resolve("out-" + format);
                Run first = Run.start(before, out, format);
                assertEquals(0, first.process.waitFor(), "the first night completes");
                double whole = first.elapsedMillis();
                assertEquals(beforeNames, night(spark, out, format));
                Set<String> outcomes = new TreeSet<>();
                List<Object> kills = new ArrayList<>(List.of(Moment.values()));
                kills.add((long) (random.nextDouble() * whole));
                for (Object kill : kills) {
                    Run run = Run.start(after, out, format);
                    boolean finished = kill instanceof Moment m ? run.killAt(m, out, format) : run.killAt((long) kill);
                    NightlyCommit.recover(spark, out.toString());
                    Set<String> seen = night(spark, out, format);
                    String where = kill instanceof Moment ? "at " + kill : kill + " ms into the run";
                    assertTrue(seen.equals(beforeNames) || seen.equals(afterNames), format + ", seed " + seed
                            + ", killed " + where + (finished ? " (after it ended)" : "") + ": the date holds " + seen);
                    String outcome = seen.equals(beforeNames) ? "previous night" : "new night";
                    if (kill instanceof Moment && !finished) {
                        outcomes.add(outcome);
                    }
                    System.out.println("KilledRunTest " + format + " killed " + where + (finished ? " (after it ended)"
                            : "") + ": " + outcome + ", complete");
                    if (!seen.equals(beforeNames)) {
                        // Put the previous night back, so every kill starts from the same state.
                        assertEquals(0, Run.start(before, out, format).process.waitFor());
                    }
                }
                assertEquals(Set.of("new night", "previous night"), outcomes,
                        format + ": kills inside the commit must leave each outcome at least once");
            }
        } finally {
            spark.stop();
        }
    }

    /** One run of the job as the jobs/summarize script runs it, in a JVM of its own, its progress lines read. */
    private static final class Run {
        final Process process;
        final long started = System.nanoTime();
        final CountDownLatch writeStarts = new CountDownLatch(1);

        private Run(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        // The report phase ends as the write (the commit) begins.
                        if (line.startsWith("summarize: report done")) {
                            writeStarts.countDown();
                        }
                    }
                } catch (IOException e) {
                    // The process was killed: its output ends here.
                }
            }, "killed-run-output");
            reader.setDaemon(true);
            reader.start();
        }

        static Run start(Path input, Path out, String format) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "@conf/jvm.args", "-Xmx1g", "-Dspark.master=local[1]", "-Dspark.ui.enabled=false",
                    "-Dspark.sql.shuffle.partitions=2", "-cp", System.getProperty("java.class.path"),
                    SummarizeCommand.class.getName(), "--input", input.toString(), "--output", out.toString(),
                    "--date", "2026-11-29", "--output-format", format, "--sentences", "2"));
            return new Run(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        }

        double elapsedMillis() {
            return (System.nanoTime() - started) / 1e6;
        }

        /** Whether this run's staging folder has been seen: an export's commit ends by removing it. */
        private boolean stagingSeen;

        /** Kills the process as soon as it reaches {@code moment}; true when it had ended before. */
        boolean killAt(Moment moment, Path out, String format) throws Exception {
            long deltaVersions = deltaVersions(out);
            while (!reached(moment, out, format, deltaVersions)) {
                if (!process.isAlive()) {
                    return true;
                }
                Thread.sleep(2);
            }
            process.destroyForcibly().waitFor();
            return false;
        }

        private boolean reached(Moment moment, Path out, String format, long deltaVersionsBefore) throws IOException {
            boolean staging = !runs(out, null).isEmpty();
            boolean cleanedUp = stagingSeen && !staging;
            stagingSeen |= staging;
            return switch (moment) {
                case WRITE_STARTS -> writeStarts.getCount() == 0;
                case STAGING -> staging;
                case JOURNAL -> !runs(out, "_SWAPPING").isEmpty() || !runs(out, "_DONE").isEmpty() || cleanedUp;
                // An export's _DONE lasts milliseconds before the clean-up removes the run: either says committed.
                case COMMITTED -> format.equals("delta") ? deltaVersions(out) > deltaVersionsBefore
                        : !runs(out, "_DONE").isEmpty() || cleanedUp;
            };
        }

        /** The run folders under the output's staging area, those holding {@code marker} when one is given. */
        private static List<Path> runs(Path out, String marker) throws IOException {
            Path staging = out.resolve("_staging");
            if (!Files.isDirectory(staging)) {
                return List.of();
            }
            try (var runs = Files.list(staging)) {
                return runs.filter(r -> marker == null || Files.exists(r.resolve(marker))).toList();
            } catch (java.nio.file.NoSuchFileException e) {
                return List.of();
            }
        }

        /** Commits in the Delta table's log (0 for an export). */
        private static long deltaVersions(Path out) throws IOException {
            Path log = out.resolve("nightly").resolve("_delta_log");
            if (!Files.isDirectory(log)) {
                return 0;
            }
            try (var files = Files.list(log)) {
                return files.filter(f -> f.getFileName().toString().matches("\\d+\\.json")).count();
            }
        }

        /** Kills the process {@code millis} after it started; true when it had ended by then. */
        boolean killAt(long millis) throws InterruptedException {
            long left = millis - (long) elapsedMillis();
            boolean finished = left > 0 && process.waitFor(left, TimeUnit.MILLISECONDS);
            process.destroyForcibly().waitFor();
            return finished;
        }
    }

    /** Doc ids of the date: summaries and rejects, each file once (a file in both fails the test). */
    private static Set<String> night(SparkSession spark, Path out, String format) {
        List<String> summaries = NightlyTables.read(spark, out.toString(), "summaries")
                .where("date = '2026-11-29'").select("doc_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        List<String> rejects = NightlyTables.read(spark, out.toString(), "rejects")
                .where("date = '2026-11-29'").select("doc_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
        Set<String> all = new TreeSet<>(summaries);
        all.addAll(rejects);
        assertEquals(summaries.size() + rejects.size(), all.size(), "each file in exactly one of summaries and rejects");
        return all;
    }

    /**
     * A short document, an empty one (a reject), their names tagged so two nights can be told apart, and one
     * both nights hold unchanged: rewriting the date carries it from the date's own previous rows, in the
     * same commit as the new ones.
     */
    private static Path night(Path input, String tag) throws IOException {
        Files.createDirectories(input);
        String text = Files.readString(Path.of("jobs/samples/ring-attention-explained.txt"));
        Files.writeString(input.resolve("kept.txt"), text.substring(0, 1200));
        Files.writeString(input.resolve(tag + "-b.txt"), text.substring(1200, 2400) + tag);
        Files.writeString(input.resolve(tag + "-empty.txt"), "");
        return input;
    }

    private static Set<String> names(Path input) throws IOException {
        try (var files = Files.list(input)) {
            return new TreeSet<>(files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
