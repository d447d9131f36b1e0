package org.ringattention.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.ringattention.platform.SparkRuntime;

/**
 * Spark's {@code local-cluster[N,cores,MB]} for tests: executors in separate JVMs, so serialization and
 * per-executor state are real. It launches executors from a "Spark home"; under {@code spark.testing} an
 * empty layout will do and the executors take this JVM's classpath, as in Spark's own local-cluster tests.
 */
public final class LocalCluster {

    private LocalCluster() {
    }

    /**
     * A SparkConf for {@code master} with a Spark home under {@code dir}, this JVM's classpath and the flags
     * of {@code conf/jvm.args} plus {@code extraJvmArgs} for the executors. Call {@link #clear} when done.
     */
    public static SparkConf conf(Path dir, String master, String appName, String extraJvmArgs) throws IOException {
        Path sparkHome = dir.resolve("spark-home");
        String scala = "scala-" + SparkRuntime.current().scalaBinary();
        Files.createDirectories(sparkHome.resolve("launcher/target").resolve(scala));
        Files.createDirectories(sparkHome.resolve("assembly/target").resolve(scala).resolve("jars"));
        // The in-process Worker reads these as system properties, not from the SparkConf.
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", sparkHome.toString());
        String jvmArgs = String.join(" ", Files.readAllLines(Path.of("conf/jvm.args"))) + " " + extraJvmArgs;
        return new SparkConf().setMaster(master)
                .setAppName(appName)
                .set("spark.testing", "true")
                .set("spark.test.home", sparkHome.toString())
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", jvmArgs.strip())
                .set("spark.ui.enabled", "false");
    }

    /** Removes the system properties {@link #conf} set. */
    public static void clear() {
        System.clearProperty("spark.testing");
        System.clearProperty("spark.test.home");
    }
}
