package org.ringattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.platform.SparkBuild;

/**
 * {@code jobs/summarize --master yarn} picks the job jar for the Spark and Scala that the cluster's
 * {@code spark-submit --version} reports, or says which build to make. Runs the real script in a copy of the
 * project's layout whose jars are empty files and whose spark-submit prints a version banner, then what it
 * was asked to submit.
 */
class SummarizeScriptTest {

    @TempDir
    static Path root;

    @BeforeAll
    static void layout() throws IOException {
        Files.createDirectories(root.resolve("jobs"));
        Files.createDirectories(root.resolve("conf"));
        Files.createDirectories(root.resolve("src/main"));
        for (String f : List.of("jobs/summarize", "jobs/_launch", "conf/jvm.args", "conf/spark-builds",
                "conf/spark-yarn.conf", "conf/spark-local.conf")) {
            Files.copy(Path.of(f), root.resolve(f));
        }
        Files.writeString(root.resolve("pom.xml"), "");
        FileTime old = FileTime.fromMillis(0);
        for (String f : List.of("pom.xml", "src/main", "conf/jvm.args", "conf/spark-builds")) {
            Files.setLastModifiedTime(root.resolve(f), old);
        }
        // Built: the default jar with its classpath file, and the Spark 3.5 build's; not the Databricks one.
        for (SparkBuild b : List.of(SparkBuild.all().get(0), build("spark3.5-scala2.12"))) {
            Files.createDirectories(root.resolve(b.jar()).getParent());
            Files.writeString(root.resolve(b.jar()), "");
        }
        Files.writeString(root.resolve("target/runtime-classpath.txt"), "");
        Files.writeString(root.resolve("target/spark-ring-attention-0.1.0-SNAPSHOT.jar"), "");
        Path submit = Files.createDirectories(root.resolve("spark/bin")).resolve("spark-submit");
        Files.writeString(submit, String.join("\n",
                "#!/usr/bin/env bash",
                "if [[ $1 == --version ]]; then",
                "  printf '%s\\n' 'Welcome to' '   /___/ .__/\\_,_/_/ /_/\\_\\   version '\"$SPARK\" '      /_/' '' \\",
                "    \"Using Scala version $SCALA, OpenJDK 64-Bit Server VM, 17.0.15\" 'Branch HEAD' >&2",
                "  exit 0",
                "fi",
                "echo \"submitted: $*\"", ""));
        Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static SparkBuild build(String name) {
        return SparkBuild.all().stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow();
    }

    private record Run(int status, String out, String err) {
    }

    private static Run summarize(String spark, String scala) throws Exception {
        ProcessBuilder p = new ProcessBuilder("bash", root.resolve("jobs/summarize").toString(),
                "--master", "yarn", "--input", "in", "--output", "out");
        p.environment().put("SPARK_HOME", root.resolve("spark").toString());
        p.environment().put("SPARK", spark);
        p.environment().put("SCALA", scala);
        Path out = root.resolve("stdout");
        Path err = root.resolve("stderr");
        Process process = p.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "jobs/summarize ends");
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void submitsTheJarBuiltForTheClustersSpark() throws Exception {
        int checked = 0;
        for (SparkBuild b : List.of(SparkBuild.all().get(0), build("spark3.5-scala2.12"))) {
            Run r = summarize(b.sparkLine() + ".1", b.scalaBinary() + ".18");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().startsWith("submitted: --master yarn "), r.out());
            assertTrue(r.out().contains(" --class org.ringattention.cli.SummarizeCommand " + root.resolve(b.jar())
                    + " --master yarn --input in --output out"), r.out());
            assertEquals("summarize: the cluster runs Spark " + b.sparkLine() + ".1 on Scala " + b.scalaBinary()
                    + ": submitting " + b.jar() + "\n", r.err());
            checked++;
        }
        assertEquals(2, checked);
    }

    @Test
    void namesTheBuildToMakeWhenItsJarIsMissing() throws Exception {
        Run r = summarize("4.0.0", "2.13.16");
        assertEquals(2, r.status(), r.err());
        assertEquals("error: the cluster runs Spark 4.0.0 on Scala 2.13: its job jar, the "
                + "spark4.0-scala2.13-databricks build, is missing or older than the sources: build it with "
                + "mvn -P databricks package\n", r.err());
        assertEquals("", r.out(), "nothing submitted");
    }

    @Test
    void saysWhichSparksHaveABuildWhenNoneFits() throws Exception {
        Run r = summarize("3.4.1", "2.12.17");
        assertEquals(2, r.status(), r.err());
        assertEquals("error: the cluster runs Spark 3.4.1 on Scala 2.12, for which no build is made: the builds "
                + "are for Spark 4.2 (Scala 2.13), Spark 4.0 (Scala 2.13) for Databricks, Spark 3.5 (Scala 2.12) "
                + "(README, Platforms)\n", r.err());
        assertEquals("", r.out(), "nothing submitted");
    }
}
