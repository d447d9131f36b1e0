package org.ringattention.testing;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A one-node YARN cluster inside the test JVM, and {@code spark-submit --master yarn} against it, for testing a
 * job the way it runs nightly. Set up as Spark's own {@code BaseYarnClusterSuite} does.
 *
 * <pre>{@code
 * try (MiniYarn yarn = MiniYarn.start(tempDir)) {
 *     MiniYarn.Result r = yarn.submit(MiniYarn.DeployMode.CLUSTER, "org.example.Job",
 *             List.of("--output", out.toString()), Map.of("spark.executor.instances", "1"));
 *     assertEquals(0, r.exitCode(), r.diagnostics());
 *     // then check what the job wrote: a driver that fails gives a non-zero exit code, but one that catches
 *     // its errors and returns normally is a success to YARN
 * }
 * }</pre>
 *
 * <p>There is no Spark distribution to submit from, so {@code org.apache.spark.deploy.SparkSubmit} runs as the
 * main class of a child JVM on the test classpath, with the project's {@code conf/jvm.args} flags. The cluster's
 * containers run on this machine, so they take their classes from the same jars in place: {@code spark.yarn.jars}
 * names an empty placeholder ({@code local:} scheme, nothing uploaded) and {@code spark.driver/executor
 * .extraClassPath} carry the test classpath. The same {@code jvm.args} flags go to the driver, the executors and
 * the client-mode application master.
 *
 * <p>All state (YARN's local and log dirs, the client's Hadoop configuration, Spark's staging dir) lives under
 * the directory given to {@link #start}; ports are picked by the cluster.
 */
public final class MiniYarn implements AutoCloseable {

    public enum DeployMode { CLIENT, CLUSTER }

    /**
     * One submission: the exit code of {@code spark-submit}, its own output, and every log file the application's
     * containers wrote (driver in cluster mode, executors, application master).
     */
    public record Result(int exitCode, String applicationId, Path submitLog, List<Path> containerLogs) {

        private static final Set<String> DIAGNOSTIC_LOGS = Set.of("stdout", "stderr",
                "prelaunch.err");

        /** The submit output and the containers' logs, for an assertion message. */
        public String diagnostics() {
            StringBuilder text = new StringBuilder("spark-submit exited with ").append(exitCode)
                    .append(", application ").append(applicationId).append('\n');
            List<Path> output = containerLogs.stream()
                    .filter(p -> DIAGNOSTIC_LOGS.contains(p.getFileName().toString())).toList();
            for (Path log : Stream.concat(Stream.of(submitLog), output.stream()).toList()) {
                text.append("==> ").append(log).append(" <==\n").append(tail(log, 60)).append('\n');
            }
            return text.toString();
        }
    }

    /** What the one NodeManager offers: room for the driver or AM and a few 512 MB executors (with overhead). */
    private static final int NODE_MEMORY_MB = 4096;
    private static final long SUBMIT_TIMEOUT_MINUTES = 5;
    private static final Pattern APPLICATION_ID = Pattern.compile("application_\\d+_\\d+");

    private final MiniYARNCluster cluster;
    private final Path root;
    private final Path hadoopConfDir;
    private final Path placeholderJar;
    private int submissions;

    private MiniYarn(MiniYARNCluster cluster, Path root, Path hadoopConfDir, Path placeholderJar) {
        this.cluster = cluster;
        this.root = root;
        this.hadoopConfDir = hadoopConfDir;
        this.placeholderJar = placeholderJar;
    }

    /** Starts one ResourceManager and one NodeManager with their state under {@code dir}. */
    public static MiniYarn start(Path dir) {
        Path root = dir.toAbsolutePath();
        YarnConfiguration conf = new YarnConfiguration();
        // capacity-scheduler.xml is not in hadoop-client-minicluster: the default queue is declared here.
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
        conf.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
        conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
        conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
        conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
        conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
        conf.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
        // A nearly full shared disk must not mark the node unhealthy and leave the application waiting forever.
        conf.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
        conf.setInt("yarn.nodemanager.resource.memory-mb", NODE_MEMORY_MB);
        conf.setInt("yarn.nodemanager.resource.cpu-vcores", 4);
        conf.setInt("yarn.scheduler.minimum-allocation-mb", 128);
        // Java 17 reserves far more virtual memory than its heap; YARN's memory checks would kill healthy JVMs.
        conf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
        conf.setBoolean("yarn.nodemanager.pmem-check-enabled", false);
        // The scheduler places containers when the NodeManager heartbeats (default every second).
        conf.setInt("yarn.resourcemanager.nodemanagers.heartbeat-interval-ms", 200);

        // MiniYARNCluster puts its local and log dirs under Hadoop's test.build.data (default: target/test/data
        // of the working directory); the property is read only while the cluster is constructed.
        MiniYARNCluster cluster;
        String previous = System.getProperty("test.build.data");
        System.setProperty("test.build.data", root.resolve("yarn").toString());
        try {
            cluster = new MiniYARNCluster("spark-ring-attention", 1, 1, 1);
        } finally {
            if (previous == null) {
                System.clearProperty("test.build.data");
            } else {
                System.setProperty("test.build.data", previous);
            }
        }
        try {
            cluster.init(conf);
            cluster.start();
            if (!cluster.waitForNodeManagersToConnect(30_000)) {
                throw new IllegalStateException("the NodeManager did not register with the ResourceManager in 30 s");
            }
            Configuration started = cluster.getConfig();
            // start() can return before the ResourceManager has written its bound port back (BaseYarnClusterSuite).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (started.get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the ResourceManager did not report its port in 10 s");
                }
                Thread.sleep(100);
            }
            Path hadoopConfDir = Files.createDirectories(root.resolve("hadoop-conf"));
            Configuration client = new Configuration(started);
            // A client that cannot reach the ResourceManager gives up in seconds instead of retrying for 15 minutes.
            client.setLong("yarn.resourcemanager.connect.max-wait.ms", 20_000);
            client.setLong("yarn.resourcemanager.connect.retry-interval.ms", 1_000);
            writeXml(client, hadoopConfDir.resolve("yarn-site.xml"));
            Configuration core = new Configuration(false);
            core.set("fs.defaultFS", "file:///");
            writeXml(core, hadoopConfDir.resolve("core-site.xml"));
            Path placeholder = Files.write(root.resolve("placeholder-spark.jar"), new byte[0]);
            return new MiniYarn(cluster, root, hadoopConfDir, placeholder);
        } catch (IOException e) {
            cluster.stop();
            throw new UncheckedIOException(e);
        } catch (YarnException e) {
            cluster.stop();
            throw new IllegalStateException("YARN did not start: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            cluster.stop();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting YARN", e);
        } catch (RuntimeException | Error e) {
            cluster.stop();
            throw e;
        }
    }

    /**
     * {@code spark-submit --master yarn --deploy-mode <mode> --class <mainClass> <appArgs>} of classes on the test
     * classpath, which the submitting JVM, the driver and the executors all run on. {@code sparkConf} wins over the
     * harness's defaults (one executor of 512 MB and 1 core, a 512 MB driver, one application attempt). Waits for
     * the application to end.
     */
    public Result submit(DeployMode mode, String mainClass, List<String> appArgs, Map<String, String> sparkConf) {
        return submit(mode, placeholderJar, testClasspath(), mainClass, appArgs, sparkConf);
    }

    /**
     * As on a real cluster: {@code spark-submit ... <appJar> <appArgs>}, where YARN ships {@code appJar} to the
     * containers and everything else comes from {@code clusterClasspath}, standing for what the cluster provides
     * (Spark, Hadoop, Arrow). A class the jar lacks and the cluster does not provide fails the application.
     */
    public Result submit(DeployMode mode, Path appJar, List<String> clusterClasspath, String mainClass,
            List<String> appArgs, Map<String, String> sparkConf) {
        int n = ++submissions;
        Path submitDir = root.resolve("submit-" + n);
        String classpath = String.join(File.pathSeparator, clusterClasspath);
        try {
            Path tmp = Files.createDirectories(submitDir.resolve("tmp"));
            Path submitLog = submitDir.resolve("spark-submit.log");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(jvmArgs());
            // The client's scratch files (the staged configuration archive) stay with the test's files.
            command.add("-Djava.io.tmpdir=" + tmp);
            // spark-class puts the Hadoop configuration directory first on spark-submit's classpath; so does this.
            command.addAll(List.of("-Xmx512m", "-cp", hadoopConfDir + File.pathSeparator + classpath,
                    "org.apache.spark.deploy.SparkSubmit",
                    "--master", "yarn", "--deploy-mode", mode.name().toLowerCase(Locale.ROOT),
                    "--class", mainClass));
            for (Map.Entry<String, String> e : conf(mode, submitDir, classpath, sparkConf).entrySet()) {
                command.add("--conf");
                command.add(e.getKey() + "=" + e.getValue());
            }
            command.add(appJar.toAbsolutePath().toString());
            command.addAll(appArgs);

            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(submitLog.toFile());
            Map<String, String> env = builder.environment();
            env.put("HADOOP_CONF_DIR", hadoopConfDir.toString());
            env.put("YARN_CONF_DIR", hadoopConfDir.toString());
            // A Spark or Hadoop installation on the machine must not leak its configuration into the test.
            env.remove("SPARK_HOME");
            env.remove("SPARK_CONF_DIR");
            env.remove("HADOOP_HOME");
            Process process = builder.start();
            if (!process.waitFor(SUBMIT_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly().waitFor();
                Files.writeString(submitLog, "\n[MiniYarn] spark-submit killed after " + SUBMIT_TIMEOUT_MINUTES
                        + " minutes\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            }
            int exit = process.exitValue();
            String applicationId = applicationId(submitLog);
            return new Result(exit, applicationId, submitLog, containerLogs(applicationId));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for spark-submit", e);
        }
    }

    /** The properties passed as {@code --conf}: the harness's, then the caller's. */
    private Map<String, String> conf(DeployMode mode, Path submitDir, String classpath,
            Map<String, String> sparkConf) {
        String javaOptions = String.join(" ", jvmArgs());
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("spark.yarn.jars", "local:" + placeholderJar);
        conf.put("spark.driver.extraClassPath", classpath);
        conf.put("spark.executor.extraClassPath", classpath);
        conf.put("spark.driver.extraJavaOptions", javaOptions);
        conf.put("spark.executor.extraJavaOptions", javaOptions);
        if (mode == DeployMode.CLIENT) {
            // In cluster mode the application master is the driver and takes the driver's options.
            conf.put("spark.yarn.am.extraJavaOptions", javaOptions);
        }
        conf.put("spark.yarn.stagingDir", submitDir.resolve("staging").toUri().toString());
        conf.put("spark.executor.instances", "1");
        conf.put("spark.executor.cores", "1");
        conf.put("spark.executor.memory", "512m");
        conf.put("spark.driver.memory", "512m");
        conf.put("spark.yarn.am.memory", "512m");
        conf.put("spark.ui.enabled", "false");
        conf.put("spark.yarn.report.interval", "500ms");
        // One attempt: a failing driver fails the submission at once, and a flaky one cannot pass on its retry.
        conf.put("spark.yarn.maxAppAttempts", "1");
        conf.putAll(sparkConf);
        return conf;
    }

    /** The test JVM's classpath entries: the project's classes, test classes and every dependency. */
    public static List<String> testClasspath() {
        return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
    }

    /** Writes every file under {@code classesDir} into a new jar {@code jar}, as {@code mvn package} would. */
    public static Path jar(Path classesDir, Path jar) {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                Stream<Path> files = Files.walk(classesDir)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = classesDir.relativize(file).toString().replace(File.separatorChar, '/');
                out.putNextEntry(new JarEntry(name));
                Files.copy(file, out);
                out.closeEntry();
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The project's JVM flags ({@code conf/jvm.args}): module access for Spark and Arrow, the Vector API. */
    static List<String> jvmArgs() {
        Path file = Path.of("conf", "jvm.args");
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file.toAbsolutePath()
                    + "; tests run from the project root", e);
        }
    }

    private static String applicationId(Path submitLog) throws IOException {
        Matcher m = APPLICATION_ID.matcher(Files.readString(submitLog, StandardCharsets.UTF_8));
        return m.find() ? m.group() : null;
    }

    /** Every file under the NodeManager's log dirs for this application (one dir per container). */
    private List<Path> containerLogs(String applicationId) throws IOException {
        if (applicationId == null) {
            return List.of();
        }
        List<Path> logs = new ArrayList<>();
        String dirs = cluster.getNodeManager(0).getConfig().get(YarnConfiguration.NM_LOG_DIRS);
        for (String dir : dirs.split(",")) {
            Path appDir = Path.of(dir.replaceFirst("^file:", "")).resolve(applicationId);
            if (Files.isDirectory(appDir)) {
                try (Stream<Path> files = Files.walk(appDir)) {
                    files.filter(Files::isRegularFile).sorted().forEach(logs::add);
                }
            }
        }
        return logs;
    }

    private static void writeXml(Configuration conf, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            conf.writeXml(out);
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
                    .collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        cluster.stop();
    }
}
