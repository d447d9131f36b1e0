package org.ringattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JVM flags spelled out for clusters stay the ones conf/jvm.args gives every local JVM. */
class ConfTest {

    @Test
    void yarnJavaOptionsAreTheJvmArgs() throws IOException {
        String flags = String.join(" ", Files.readAllLines(Path.of("conf/jvm.args")).stream()
                .map(String::strip).filter(l -> !l.isEmpty()).toList());
        List<String> lines = Files.readAllLines(Path.of("conf/spark-yarn.conf"));
        int checked = 0;
        for (String key : List.of("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions",
                "spark.yarn.am.extraJavaOptions")) {
            String line = lines.stream().filter(l -> l.startsWith(key + " ")).findFirst().orElseThrow();
            assertEquals(flags, line.substring(key.length()).strip(), key);
            checked++;
        }
        assertEquals(3, checked);
        assertTrue(Files.readString(Path.of("conf/databricks-cluster.json")).contains("--add-modules=jdk.incubator.vector"));
    }
}
