package org.ringattention.platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.ringattention.io.BadInputException;

/**
 * One build of the job jar: a row of {@code conf/spark-builds} (bundled in the jar), the Spark line and
 * Scala version it runs on, whether it bundles Delta Lake or leaves it to the runtime, and the Maven
 * profile that makes it. {@link #requireRuntime} is what every entry point calls before it starts Spark,
 * so a jar on the wrong cluster stops with one line naming the build that fits.
 *
 * @param name         the build's name, part of its jar's name: {@code spark3.5-scala2.12}
 * @param sparkLine    Spark's major.minor it runs on
 * @param scalaBinary  Scala's binary version it runs on
 * @param bundlesDelta whether the jar carries Delta Lake (else the runtime's is used: Databricks)
 * @param profile      the Maven profile, null for the default build
 */
public record SparkBuild(String name, String sparkLine, String scalaBinary, boolean bundlesDelta, String profile) {

    private static final String BUILDS = "/org/ringattention/spark-builds";
    private static final String THIS_BUILD = "/org/ringattention/platform/build.properties";

    /** Every build the sources make, the default first, as {@code conf/spark-builds} lists them. */
    public static List<SparkBuild> all() {
        List<SparkBuild> builds = new ArrayList<>();
        for (String line : resource(BUILDS).split("\n")) {
            String row = line.strip();
            if (row.isEmpty() || row.startsWith("#")) {
                continue;
            }
            String[] f = row.split("\\s+");
            if (f.length != 5 || !(f[3].equals("bundled") || f[3].equals("runtime"))) {
                throw new IllegalStateException("conf/spark-builds: a row is name, spark, scala, bundled|runtime, "
                        + "profile; got '" + row + "'");
            }
            builds.add(new SparkBuild(f[0], f[1], f[2], f[3].equals("bundled"), f[4].equals("-") ? null : f[4]));
        }
        return builds;
    }

    /** The build these classes were made as. */
    public static SparkBuild current() {
        String name = buildProperties().getProperty("name");
        return all().stream().filter(b -> b.name.equals(name)).findFirst().orElseThrow(() ->
                new IllegalStateException("this jar was built as '" + name + "', which conf/spark-builds lacks"));
    }

    /**
     * Refuses, before any work, to run on a Spark this jar was not built for: a {@link BadInputException} with
     * one line naming the build to use instead.
     */
    public static void requireRuntime() {
        Optional<String> refusal = current().refusal(SparkRuntime.current());
        if (refusal.isPresent()) {
            throw new BadInputException(refusal.get());
        }
    }

    /** Whether this build's jar runs on {@code runtime}, Delta Lake aside when it leaves that to the runtime. */
    public boolean fits(SparkRuntime runtime) {
        return sparkLine.equals(runtime.sparkLine()) && scalaBinary.equals(runtime.scalaBinary())
                // A bundled Delta Lake would clash with the one a Databricks runtime has built in.
                && !(bundlesDelta && runtime.databricks());
    }

    /** Why this build must not run on {@code runtime}, in one line naming the build that fits; empty if it may. */
    public Optional<String> refusal(SparkRuntime runtime) {
        String self = "this jar is the " + name + " build and this cluster runs " + runtime.describe();
        if (fits(runtime)) {
            return runtime.hasDelta() || bundlesDelta ? Optional.empty() : Optional.of(self + " without Delta Lake, "
                    + "which this build leaves to the runtime: run it on Databricks, or add Delta Lake for Spark "
                    + sparkLine + " (io.delta:delta-spark_" + scalaBinary + ") to the cluster's jars");
        }
        Optional<SparkBuild> right = all().stream().filter(b -> b.fits(runtime)).findFirst();
        if (right.isPresent()) {
            SparkBuild b = right.get();
            // On Databricks a jar is attached to the cluster (the notebook's first cell says this line).
            return Optional.of(self + (runtime.databricks() ? ": attach the " : ": use the ") + b.name
                    + " build instead (" + b.command() + " makes " + b.jar() + ")");
        }
        return Optional.of(self + ", for which no build is made: the builds are for "
                + all().stream().map(SparkBuild::describe).collect(Collectors.joining(", "))
                + " (README, Platforms)");
    }

    /** The command that builds it. */
    public String command() {
        return profile == null ? "mvn package" : "mvn -P " + profile + " package";
    }

    /** Its job jar, relative to the project root. */
    public String jar() {
        return (profile == null ? "target/" : "target/" + profile + "/") + jarName();
    }

    /** Its job jar's file name: the project's version and the build's name. */
    public String jarName() {
        return "spark-ring-attention-" + buildProperties().getProperty("version") + "-" + name + "-job.jar";
    }

    /** {@code Spark 3.5 (Scala 2.12)}, and {@code for Databricks} after a build that leaves Delta Lake to the runtime. */
    String describe() {
        return "Spark " + sparkLine + " (Scala " + scalaBinary + ")" + (bundlesDelta ? "" : " for Databricks");
    }

    private static Properties buildProperties() {
        Properties p = new Properties();
        try (InputStream in = SparkBuild.class.getResourceAsStream(THIS_BUILD)) {
            if (in == null) {
                throw new IllegalStateException(THIS_BUILD + " is missing: build with Maven");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + THIS_BUILD, e);
        }
        return p;
    }

    private static String resource(String path) {
        try (InputStream in = SparkBuild.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing: build with Maven");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
