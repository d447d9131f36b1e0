package org.ringattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** conf/jvm.args is the one list of JVM flags: the jar bundles it, clusters get it, copies match it. */
class ConfTest {

    private static List<String> jvmArgsFile() throws IOException {
        return Files.readAllLines(Path.of("conf/jvm.args")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    @Test
    void theJarBundlesConfJvmArgs() throws IOException {
        assertEquals(jvmArgsFile(), SparkSettings.jvmArgs());
    }

    @Test
    void everyClusterMasterGivesExecutorsTheJvmArgs() throws IOException {
        String flags = String.join(" ", jvmArgsFile());
        int checked = 0;
        for (String master : List.of("spark://host:7077", "k8s://https://host:6443", "yarn", "local-cluster[2,1,1024]")) {
            SparkConf conf = SparkSettings.conf("test", master);
            assertEquals(flags, conf.get("spark.executor.extraJavaOptions"), master);
            assertEquals(master, conf.get("spark.master"));
            checked++;
        }
        assertEquals(4, checked);
        assertFalse(SparkSettings.conf("test", "local[2]").contains("spark.executor.extraJavaOptions"),
                "embedded executors share the driver's JVM");
    }

    @Test
    void spellingsOutsideTheJarAreTheJvmArgs() throws IOException {
        String flags = String.join(" ", jvmArgsFile());
        String databricks = Files.readString(Path.of("conf/databricks-cluster.json"));
        for (String key : List.of("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")) {
            assertTrue(databricks.contains("\"" + key + "\": \"" + flags + "\""), key + " in conf/databricks-cluster.json");
        }
        assertFalse(Files.readString(Path.of("conf/spark-yarn.conf")).contains("extraJavaOptions"),
                "jobs/summarize passes conf/jvm.args to spark-submit; the YARN conf must not carry a second copy");
        assertTrue(Files.readString(Path.of("jobs/summarize")).contains("spark.executor.extraJavaOptions=$flags"));
    }
}
