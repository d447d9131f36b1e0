package org.ringattention.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The Spark settings every command line entry point starts from: the default master, and the JVM flags
 * of {@code conf/jvm.args} (bundled in the jar) for executors that run in other JVMs.
 */
public final class SparkSettings {

    /** The master when neither {@code --master} nor spark-submit names one: all local cores. */
    public static final String DEFAULT_MASTER = "local[*]";

    private static final String JVM_ARGS = "/org/ringattention/jvm.args";

    private SparkSettings() {
    }

    /**
     * A SparkConf for {@code appName}: {@code master} if given, else spark-submit's, else
     * {@link #DEFAULT_MASTER}. Off the embedded local master, executors are other JVMs: they get this
     * project's jar (spark-submit ships it itself) and the flags of {@code conf/jvm.args} unless the
     * cluster's configuration already sets them.
     */
    static SparkConf conf(String appName, String master) {
        SparkConf conf = new SparkConf().setAppName(appName);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster(DEFAULT_MASTER);
        }
        if (!isEmbedded(conf.get("spark.master"))) {
            if (!conf.contains("spark.jars") && !conf.contains("spark.submit.deployMode")) {
                conf.setJars(JavaSparkContext.jarOfClass(SparkSettings.class));
            }
            conf.setIfMissing("spark.executor.extraJavaOptions", String.join(" ", jvmArgs()));
        }
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        // Delta Lake, the nightly output's default table format: its SQL extension and catalog, unless the
        // cluster (Databricks, spark-defaults.conf) sets its own.
        conf.setIfMissing("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
        conf.setIfMissing("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
        return conf;
    }

    /** True for {@code local} and {@code local[...]}: driver and executors share this JVM and its flags. */
    static boolean isEmbedded(String master) {
        return master.equals("local") || master.startsWith("local[");
    }

    /** The flags of {@code conf/jvm.args}, comments and blank lines left out. */
    static List<String> jvmArgs() {
        try (InputStream in = SparkSettings.class.getResourceAsStream(JVM_ARGS)) {
            if (in == null) {
                throw new IllegalStateException(JVM_ARGS + " is missing from the jar; rebuild it with mvn package");
            }
            List<String> args = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String arg = line.strip();
                if (!arg.isEmpty() && !arg.startsWith("#")) {
                    args.add(arg);
                }
            }
            return args;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
