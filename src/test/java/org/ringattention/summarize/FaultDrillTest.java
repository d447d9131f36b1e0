package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The CI-sized fault drill: five injected task failures, every run's output bit-identical (jobs/fault-drill runs 100). */
class FaultDrillTest {

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void fiveInjectedFaultsLeaveTheOutputBitIdentical(@TempDir Path dir) throws IOException {
        SparkSession spark = SparkSession.builder().master("local[2,4]").appName("FaultDrillTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
        try {
            List<FaultDrill.Run> runs = new FaultDrill(spark, Files.createDirectories(dir.resolve("work")))
                    .run(5, 20261129L, false, System.out);
            assertEquals(5, runs.size());
            for (FaultDrill.Run r : runs) {
                assertTrue(r.identical(), "run " + r.number() + " (" + r.plan() + ") differs; seed 20261129");
            }
            assertTrue(runs.stream().filter(FaultDrill.Run::fired).count() >= 4, "faults fired: " + runs);
        } finally {
            spark.stop();
        }
    }
}
