package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.cli.SummarizeCommand;
import org.ringattention.testing.MiniYarn;

/**
 * The job submitted with spark-submit semantics (cluster mode, the project classes shipped as the
 * application jar) to a MiniYARNCluster the test starts, against the same job in local mode.
 */
class SummarizeOnYarnTest {

    @Test
    void clusterModeGivesTheSameOutputAsLocalMode(@TempDir Path dir) throws Exception {
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
        Path classes = Path.of(SummarizeCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path appJar = MiniYarn.jar(classes, dir.resolve("job.jar"));
        List<String> cluster = MiniYarn.testClasspath().stream()
                .filter(e -> !Path.of(e).toAbsolutePath().equals(classes.toAbsolutePath())).toList();
        try (MiniYarn yarn = MiniYarn.start(dir.resolve("yarn"))) {
            MiniYarn.Result r = yarn.submit(MiniYarn.DeployMode.CLUSTER, appJar, cluster,
                    SummarizeCommand.class.getName(),
                    Stream.concat(args.stream(), Stream.of("--output", yarnOut.toString())).toList(),
                    Map.of("spark.driver.memory", "1g", "spark.executor.memory", "1g"));
            assertEquals(0, r.exitCode(), r.diagnostics());
        }

        Path localOut = dir.resolve("local-out");
        SparkSession spark = SparkSession.builder().master("local[2]").appName("SummarizeOnYarnTest")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            SummarizeJob.summarize(spark, SummarizeJob.Options.builder(input.toString(), localOut.toString())
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
}
