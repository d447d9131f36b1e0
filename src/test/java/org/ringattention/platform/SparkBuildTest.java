package org.ringattention.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The table of builds, the pom that makes them, and the line a jar on the wrong Spark stops with. */
class SparkBuildTest {

    private static final SparkBuild DEFAULT = SparkBuild.all().get(0);
    private static final SparkBuild DATABRICKS = byName("spark4.0-scala2.13-databricks");
    private static final SparkBuild SPARK_35 = byName("spark3.5-scala2.12");

    @Test
    void theseClassesAreTheBuildOfTheSparkTheyAreTestedOn() {
        SparkRuntime runtime = SparkRuntime.current();
        assertEquals(Optional.empty(), SparkBuild.current().refusal(runtime), runtime.describe());
        assertTrue(runtime.hasDelta(), "Delta Lake on the test classpath, bundled or provided");
    }

    /** Each row's Spark line, Scala version and Delta scope are what its profile (or the default) builds. */
    @Test
    void everyRowIsWhatItsMavenProfileBuilds() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        Element project = pom.getDocumentElement();
        Map<String, String> defaults = properties(child(project, "properties"));
        int checked = 0;
        for (SparkBuild b : SparkBuild.all()) {
            Map<String, String> p = new HashMap<>(defaults);
            String directory = "target";
            if (b.profile() != null) {
                Element profile = profile(project, b.profile());
                p.putAll(properties(child(profile, "properties")));
                directory = text(child(child(profile, "build"), "directory")).replace("${project.basedir}/", "");
            }
            assertEquals(b.name(), p.get("build.target"), b.name());
            assertTrue(p.get("spark.version").startsWith(b.sparkLine() + "."), b.name() + ": " + p.get("spark.version"));
            assertEquals(b.scalaBinary(), p.get("scala.binary.version"), b.name());
            assertTrue(p.get("scala.version").startsWith(b.scalaBinary() + "."), b.name());
            assertEquals(b.bundlesDelta() ? "compile" : "provided", p.get("delta.scope"), b.name());
            assertEquals(b.jar(), directory + "/" + b.jarName(), b.name());
            checked++;
        }
        assertEquals(3, checked, "builds checked");
        assertEquals(null, DEFAULT.profile(), "the default build comes first");
    }

    @Test
    void aJarOnTheWrongSparkNamesTheBuildThatFitsInOneLine() {
        record Case(SparkRuntime runtime, SparkBuild fits) {
        }
        List<Case> cases = List.of(
                new Case(new SparkRuntime("4.2.0", "2.13.17", null, true), DEFAULT),
                new Case(new SparkRuntime("4.2.1", "2.13.18", null, false), DEFAULT),
                new Case(new SparkRuntime("4.0.0", "2.13.16", "17.3", true), DATABRICKS),
                new Case(new SparkRuntime("4.0.1", "2.13.16", null, true), DATABRICKS),
                new Case(new SparkRuntime("3.5.1", "2.12.18", null, false), SPARK_35),
                new Case(new SparkRuntime("3.5.0", "2.12.15", "15.4", true), null),
                new Case(new SparkRuntime("3.5.1", "2.13.8", null, false), null),
                new Case(new SparkRuntime("4.1.0", "2.13.17", null, false), null),
                new Case(new SparkRuntime("3.4.1", "2.12.17", null, false), null));
        int checked = 0;
        for (Case c : cases) {
            for (SparkBuild b : SparkBuild.all()) {
                Optional<String> refusal = b.refusal(c.runtime());
                String what = b.name() + " on " + c.runtime().describe();
                if (b.equals(c.fits())) {
                    assertEquals(Optional.empty(), refusal, what);
                } else {
                    String line = refusal.orElseThrow(() -> new AssertionError(what + " must be refused"));
                    assertFalse(line.contains("\n"), what + ": " + line);
                    assertTrue(line.startsWith("this jar is the " + b.name() + " build and this cluster runs "
                            + c.runtime().describe()), what + ": " + line);
                    assertTrue(c.fits() == null
                            ? line.contains("no build is made: the builds are for Spark 4.2 (Scala 2.13), "
                                    + "Spark 4.0 (Scala 2.13) for Databricks, Spark 3.5 (Scala 2.12)")
                            : line.contains((c.runtime().databricks() ? "attach the " : "use the ") + c.fits().name()
                                    + " build instead (" + c.fits().command()
                                    + " makes " + c.fits().jar() + ")"), what + ": " + line);
                }
                checked++;
            }
        }
        assertEquals(27, checked, "builds times runtimes checked");
    }

    @Test
    void theDatabricksBuildOnASparkWithoutDeltaSaysWhereDeltaComesFrom() {
        String line = DATABRICKS.refusal(new SparkRuntime("4.0.1", "2.13.16", null, false)).orElseThrow();
        assertEquals("this jar is the spark4.0-scala2.13-databricks build and this cluster runs Spark 4.0.1 on "
                + "Scala 2.13 without Delta Lake, which this build leaves to the runtime: run it on Databricks, or "
                + "add Delta Lake for Spark 4.0 (io.delta:delta-spark_2.13) to the cluster's jars", line);
    }

    @Test
    void jarsAreNamedAfterTheirBuildUnderTheirProfilesDirectory() {
        assertEquals("mvn -P spark-3.5 package", SPARK_35.command());
        assertTrue(SPARK_35.jar().matches("target/spark-3\\.5/spark-ring-attention-.+-spark3\\.5-scala2\\.12-job\\.jar"),
                SPARK_35.jar());
        assertTrue(DEFAULT.jar().matches("target/spark-ring-attention-.+-spark4\\.2-scala2\\.13-job\\.jar"), DEFAULT.jar());
    }

    private static SparkBuild byName(String name) {
        return SparkBuild.all().stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow();
    }

    private static Element profile(Element project, String id) {
        NodeList profiles = child(project, "profiles").getElementsByTagName("profile");
        for (int i = 0; i < profiles.getLength(); i++) {
            Element profile = (Element) profiles.item(i);
            if (text(child(profile, "id")).equals(id)) {
                return profile;
            }
        }
        throw new AssertionError("pom.xml has no profile " + id);
    }

    private static Map<String, String> properties(Element properties) {
        Map<String, String> values = new HashMap<>();
        for (Node n = properties.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                values.put(e.getTagName(), text(e));
            }
        }
        return values;
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("pom.xml: <" + parent.getTagName() + "> has no <" + name + ">");
    }

    private static String text(Element e) {
        return e.getTextContent().strip();
    }
}
