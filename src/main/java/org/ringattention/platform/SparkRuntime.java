package org.ringattention.platform;

/**
 * The Spark this JVM runs on, as far as a job jar's build must match it: Spark's and Scala's versions,
 * whether it is a Databricks runtime (which brings its own Delta Lake) and whether Delta Lake is on the
 * classpath at all.
 *
 * @param sparkVersion       Spark's own version, {@code 3.5.1}
 * @param scalaVersion       the Scala library's, {@code 2.12.18}
 * @param databricksRuntime  Databricks' runtime version ({@code 17.3}), null off Databricks
 * @param hasDelta           whether Delta Lake is on the classpath (or the runtime is Databricks)
 */
public record SparkRuntime(String sparkVersion, String scalaVersion, String databricksRuntime, boolean hasDelta) {

    /** Set on every Databricks cluster, driver and workers. */
    static final String DATABRICKS_ENV = "DATABRICKS_RUNTIME_VERSION";

    /**
     * This JVM's. Reads only what every Spark and Scala version has, so that it runs, and names the right
     * build, in a jar built for another Scala.
     */
    public static SparkRuntime current() {
        String databricks = System.getenv(DATABRICKS_ENV);
        // Looked up, not loaded: a Delta Lake built for the other Scala fails to load.
        boolean delta = SparkRuntime.class.getClassLoader().getResource("io/delta/tables/DeltaTable.class") != null;
        return new SparkRuntime(org.apache.spark.package$.MODULE$.SPARK_VERSION(),
                scala.util.Properties.versionNumberString(), databricks, delta || databricks != null);
    }

    /** Spark's major.minor: {@code 3.5}. Patch releases of one line keep their APIs. */
    public String sparkLine() {
        return majorMinor(sparkVersion);
    }

    /** Scala's binary version: {@code 2.12}. */
    public String scalaBinary() {
        return majorMinor(scalaVersion);
    }

    public boolean databricks() {
        return databricksRuntime != null;
    }

    /** {@code Spark 3.5.1 on Scala 2.12}, or {@code Databricks Runtime 17.3 (Spark 4.0.0, Scala 2.13)}. */
    public String describe() {
        return databricks()
                ? "Databricks Runtime " + databricksRuntime + " (Spark " + sparkVersion + ", Scala " + scalaBinary() + ")"
                : "Spark " + sparkVersion + " on Scala " + scalaBinary();
    }

    private static String majorMinor(String version) {
        String[] parts = version.split("[.-]");
        return parts.length < 2 ? version : parts[0] + "." + parts[1];
    }
}
