package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.output.NightlyCommit;
import org.ringattention.output.NightlyTables;
import org.ringattention.cli.SummarizeCommand;

/**
 * The real job in a child JVM, killed with SIGKILL at seeded random moments while it rewrites a date:
 * after each kill (and the recovery the next run performs first) the date holds one complete night,
 * the previous one or the new one, with every input file of that night in exactly one of summaries and
 * rejects. Half the kills hit the Delta output, half the Parquet export.
 */
class KilledRunTest {

    private static final int KILLS = 10;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
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
                long t0 = System.nanoTime();
                assertEquals(0, job(before, out, format).waitFor(), "the first night completes");
                double seconds = (System.nanoTime() - t0) / 1e9;
                assertEquals(beforeNames, night(spark, out, format));
                for (int k = 0; k < KILLS / 2; k++) {
                    long at = (long) (random.nextDouble() * seconds * 1000);
                    Process p = job(after, out, format);
                    boolean finished = p.waitFor(at, TimeUnit.MILLISECONDS);
                    p.destroyForcibly().waitFor();
                    NightlyCommit.recover(spark, out.toString());
                    Set<String> seen = night(spark, out, format);
                    assertTrue(seen.equals(beforeNames) || seen.equals(afterNames),
                            format + ", seed " + seed + ", killed at " + at + " ms" + (finished ? " (after it ended)" : "")
                                    + ": the date holds " + seen);
                    System.out.println("KilledRunTest " + format + " killed at " + at + " ms: "
                            + (seen.equals(beforeNames) ? "previous night" : "new night") + ", complete");
                }
            }
        } finally {
            spark.stop();
        }
    }

    /** The job as the jobs/summarize script runs it, in a JVM of its own. */
    private static Process job(Path input, Path out, String format) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@conf/jvm.args", "-Xmx1g", "-Dspark.master=local[1]", "-Dspark.ui.enabled=false",
                "-Dspark.sql.shuffle.partitions=2", "-cp", System.getProperty("java.class.path"),
                SummarizeCommand.class.getName(), "--input", input.toString(), "--output", out.toString(),
                "--date", "2026-11-29", "--output-format", format, "--sentences", "2"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
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

    /** Two short documents and an empty one (a reject), their names tagged so two nights can be told apart. */
    private static Path night(Path input, String tag) throws IOException {
        Files.createDirectories(input);
        String text = Files.readString(Path.of("jobs/samples/ring-attention-explained.txt"));
        Files.writeString(input.resolve(tag + "-a.txt"), text.substring(0, 1200));
        Files.writeString(input.resolve(tag + "-b.txt"), text.substring(1200, 2400));
        Files.writeString(input.resolve(tag + "-empty.txt"), "");
        return input;
    }

    private static Set<String> names(Path input) throws IOException {
        try (var files = Files.list(input)) {
            return new TreeSet<>(files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
