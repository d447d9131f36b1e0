package org.ringattention.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A stand-in application submitted with spark-submit semantics to a YARN cluster started by the test. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MiniYarnTest {

    private Path dir;
    private MiniYarn yarn;

    @BeforeAll
    void start(@TempDir Path tempDir) {
        dir = tempDir;
        yarn = MiniYarn.start(dir.resolve("yarn"));
    }

    @AfterAll
    void stop() {
        yarn.close();
    }

    @Test
    void clusterModeShipsTheJarAndRunsDriverAndExecutorInContainersWithTheProjectJvmFlags() throws Exception {
        // The test classes go to the containers only inside the application jar, as a job jar would.
        Path testClasses = Path.of(YarnStandInApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path appJar = MiniYarn.jar(testClasses, dir.resolve("stand-in.jar"));
        List<String> cluster = MiniYarn.testClasspath().stream()
                .filter(entry -> !Path.of(entry).toAbsolutePath().equals(testClasses.toAbsolutePath())).toList();
        assertEquals(MiniYarn.testClasspath().size() - 1, cluster.size());
        StandInRun run = runStandIn(out -> yarn.submit(MiniYarn.DeployMode.CLUSTER, appJar, cluster,
                YarnStandInApp.class.getName(), List.of(out.toString()), Map.of()));
        List<String> lines = run.lines();

        assertEquals("deployMode=cluster", lines.get(2));
        assertTrue(lines.get(3).matches("loadedFrom=\\S+\\.jar"), lines.get(3));
        // The driver ran in the application master's container (the first), the tasks in one executor's
        // container, and both JVMs got conf/jvm.args: the Vector API module is there only through it.
        String driver = lines.get(4);
        assertTrue(driver.matches("driverContainer=container_\\S+_000001 vector=true"), driver);
        String executor = lines.get(5);
        assertTrue(executor.matches("executorContainer=container_\\S+ vector=true"), executor);
        assertNotEquals(driver.split(" ")[0].split("=")[1], executor.split(" ")[0].split("=")[1]);
        List<Path> logs = run.result().containerLogs();
        assertTrue(logs.stream().anyMatch(p -> p.getFileName().toString().equals("stderr")),
                () -> "container logs were not found: " + logs);
    }

    @Test
    void clientModeRunsTheDriverInTheSubmittingJvm() throws Exception {
        List<String> lines = runStandIn(out -> yarn.submit(MiniYarn.DeployMode.CLIENT,
                YarnStandInApp.class.getName(), List.of(out.toString()), Map.of())).lines();

        assertEquals("deployMode=client", lines.get(2));
        assertEquals("loadedFrom=test-classes", lines.get(3));
        assertEquals("driverContainer=null vector=true", lines.get(4));
        assertTrue(lines.get(5).matches("executorContainer=container_\\S+ vector=true"), lines.get(5));
    }

    @Test
    void aFailedJobIsAFailedSubmissionWithTheCauseInTheLogs() {
        Path out = dir.resolve("failed.txt");
        MiniYarn.Result r = yarn.submit(MiniYarn.DeployMode.CLUSTER, YarnStandInApp.class.getName(),
                List.of(out.toString(), "--fail-a-task"), Map.of("spark.task.maxFailures", "1"));
        assertNotEquals(0, r.exitCode(), r.diagnostics());
        assertFalse(Files.exists(out));
        assertTrue(r.diagnostics().contains("stand-in task failure"), r.diagnostics());
    }

    private record StandInRun(MiniYarn.Result result, List<String> lines) {
    }

    /** Submits the stand-in; checks the submission succeeded and the result lines every mode shares. */
    private StandInRun runStandIn(Function<Path, MiniYarn.Result> submit) throws Exception {
        Path out = Files.createTempFile(dir, "result", ".txt");
        Files.delete(out);
        MiniYarn.Result r = submit.apply(out);
        assertEquals(0, r.exitCode(), r.diagnostics());
        assertTrue(Files.exists(out), () -> "the application wrote no result\n" + r.diagnostics());
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(6, lines.size(), () -> "expected sum, master, deploy mode, class origin, driver and one "
                + "executor: " + lines);
        assertEquals("sum=385", lines.get(0));
        assertEquals("master=yarn", lines.get(1));
        return new StandInRun(r, lines);
    }
}
