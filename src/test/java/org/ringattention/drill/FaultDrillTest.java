package org.ringattention.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.summarize.FaultPoints;

/**
 * The CI-sized fault drill on the Delta default and on a Parquet export: every planned fault fires, Spark
 * is seen to feel it, and every run's output is bit-identical to the fault-free run's (jobs/fault-drill
 * runs 100 per format). The seeds plan the commit's write tasks in both formats, and a splitter, encoder,
 * ring step and ring finish fault between them.
 */
class FaultDrillTest {

    private static SparkSession spark;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().config(DrillPlugin.configure(new SparkConf()))
                .master("local[2,4]").appName("FaultDrillTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
        assertTrue(!FaultPoints.installed(), "the drill's fault points leave with its session");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void everyFaultFiresIsSeenAndLeavesTheDeltaOutputBitIdentical() throws IOException {
        check(drill("delta").run(4, 2L, "delta", false, System.out), 4);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void everyFaultFiresIsSeenAndLeavesTheParquetOutputBitIdentical() throws IOException {
        FaultDrill drill = drill("parquet");
        // As an earlier drill in the same folder would leave it: the run must still fire its own fault.
        Files.writeString(dir.resolve("parquet").resolve("fired-1"), "");
        check(drill.run(3, 5L, "parquet", false, System.out), 3);
    }

    @Test
    void plansNameAPointAndCallsCountFromOne() {
        assertThrows(IllegalArgumentException.class, () -> new FaultPlan("nowhere", 0, 1, FaultPlan.Kind.TASK, null));
        assertThrows(IllegalArgumentException.class, () -> new FaultPlan("commit", 0, 0, FaultPlan.Kind.TASK, null));
        assertThrows(IllegalArgumentException.class,
                () -> new FaultPlan("commit", FaultPlan.ANY, 1, FaultPlan.Kind.TASK, null), "ANY needs a once file");
        FaultPlan plan = new FaultPlan("ring-step", 1, 2, FaultPlan.Kind.EXECUTOR, null);
        assertEquals(plan, FaultPlan.parse(plan.text()));
    }

    private static FaultDrill drill(String name) throws IOException {
        return new FaultDrill(spark, Files.createDirectories(dir.resolve(name)), null);
    }

    private static void check(List<FaultDrill.Run> runs, int planned) {
        assertEquals(planned, runs.size());
        for (FaultDrill.Run r : runs) {
            assertTrue(r.fired(), "run " + r.number() + " (" + r.plan() + ") did not fire");
            assertTrue(r.seen(), "run " + r.number() + " (" + r.plan() + ") fired but Spark saw no failed task");
            assertTrue(r.identical(), "run " + r.number() + " (" + r.plan() + ") differs");
        }
    }
}
