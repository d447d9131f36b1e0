package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.cli.SummarizeCommand;
import org.ringattention.platform.SparkBuild;
import org.ringattention.platform.SparkRuntime;
import org.ringattention.testing.MiniYarn;

/**
 * The job as a YARN cluster runs it: submitted with spark-submit semantics in cluster mode to a
 * MiniYARNCluster the test starts, where the cluster's classpath holds only what a Spark distribution
 * of this build's Spark ships (the project's provided dependencies, spark-distribution-classpath.txt) and
 * the application brings only the shaded job jar; its output must equal the same job's in local mode.
 * A job jar of another build is refused with one line that spark-submit prints. An integration test: it
 * needs {@code mvn package}'s jar, so it runs in {@code mvn verify}, in every build (README, Platforms).
 */
class SummarizeOnYarnIT {

    /** The build's output directory: target/, or its profile's (failsafe passes it). */
    private static final Path BUILD = Path.of(System.getProperty("ringattention.build.directory", "target"));

    @TempDir
    static Path dir;

    private static MiniYarn yarn;
    private static Path appJar;
    private static List<String> cluster;

    @BeforeAll
    static void start() throws IOException {
        appJar = BUILD.resolve(SparkBuild.current().jarName());
        assertTrue(Files.isRegularFile(appJar), "no " + appJar + ": run mvn verify, not mvn test");
        cluster = List.of(Files.readString(BUILD.resolve("spark-distribution-classpath.txt")).strip()
                .split(java.io.File.pathSeparator));
        assertTrue(cluster.stream().noneMatch(e -> e.contains("jfreechart") || e.contains("tokenizers")
                || e.endsWith("classes")), "the cluster holds no project class or library: " + cluster);
        yarn = MiniYarn.start(dir.resolve("yarn"));
    }

    @AfterAll
    static void stop() {
        if (yarn != null) {
            yarn.close();
        }
    }

    @Test
    void clusterModeGivesTheSameOutputAsLocalMode() throws Exception {
        Path input = Files.createDirectory(dir.resolve("in"));
        try (Stream<Path> samples = Files.list(Path.of("jobs/samples"))) {
            for (Path p : samples.toList()) {
                Files.copy(p, input.resolve(p.getFileName()));
            }
        }
        Files.writeString(input.resolve("empty.txt"), "");
        List<String> args = List.of("--input", input.toString(), "--date", "2026-11-29", "--sentences", "2",
                "--output-format", "parquet");

        Path yarnOut = dir.resolve("yarn-out");
        MiniYarn.Result r = submit(appJar, Stream.concat(args.stream(), Stream.of("--output", yarnOut.toString())).toList());
        assertEquals(0, r.exitCode(), r.diagnostics());

        Path localOut = dir.resolve("local-out");
        SparkSession spark = SparkSession.builder().master("local[2]").appName("SummarizeOnYarnIT")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            SummarizeJob.summarize(spark, SummarizeOptions.builder(input.toString(), localOut.toString())
                    .date("2026-11-29").outputFormat("parquet").sentences(2).quiet(true).build());
            for (String table : new String[] {"summaries", "rejects"}) {
                List<Row> onYarn = spark.read().parquet(yarnOut + "/" + table).orderBy("doc_id").collectAsList();
                List<Row> local = spark.read().parquet(localOut + "/" + table).orderBy("doc_id").collectAsList();
                assertEquals(local, onYarn, table);
                assertTrue(!local.isEmpty(), table + " has rows");
            }
        } finally {
            spark.stop();
        }
    }

    /**
     * This build's jar relabelled as another build (its build.properties rewritten) stands for a jar built for
     * another Spark: the driver refuses it before any work, and spark-submit prints the one line naming this
     * build. (.ci/run also starts each real jar on the other builds' Spark.)
     */
    @Test
    void aJarOfAnotherBuildFailsWithOneLineNamingTheRightBuild() throws IOException {
        SparkBuild self = SparkBuild.current();
        SparkBuild other = SparkBuild.all().stream().filter(b -> !b.equals(self)).findFirst().orElseThrow();
        Path wrongJar = Files.copy(appJar, dir.resolve("relabelled-" + other.jarName()));
        try (FileSystem jar = FileSystems.newFileSystem(URI.create("jar:" + wrongJar.toUri()), Map.of())) {
            Path properties = jar.getPath("org/ringattention/platform/build.properties");
            Files.writeString(properties, Files.readString(properties)
                    .replace("name=" + self.name() + "\n", "name=" + other.name() + "\n"));
        }
        Path out = dir.resolve("wrong-out");
        MiniYarn.Result r = submit(wrongJar, List.of("--input", "jobs/samples", "--output", out.toString()));
        assertNotEquals(0, r.exitCode(), r.diagnostics());
        String line = "this jar is the " + other.name() + " build and this cluster runs "
                + SparkRuntime.current().describe() + ": use the " + self.name() + " build instead ("
                + self.command() + " makes " + self.jar() + ")";
        String log = Files.readString(r.submitLog());
        assertTrue(log.lines().anyMatch(l -> l.strip().endsWith("BadInputException: " + line)),
                "spark-submit prints '" + line + "'\n" + r.diagnostics());
        assertTrue(!Files.exists(out), "nothing written");
    }

    private static MiniYarn.Result submit(Path jar, List<String> args) {
        return yarn.submit(MiniYarn.DeployMode.CLUSTER, jar, cluster, SummarizeCommand.class.getName(), args,
                Map.of("spark.driver.memory", "1g", "spark.executor.memory", "1g", "spark.sql.shuffle.partitions", "4"));
    }
}
