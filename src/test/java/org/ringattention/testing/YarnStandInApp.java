package org.ringattention.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * A stand-in for a nightly job, submitted to {@link MiniYarn} by its test: a small Spark job whose result, and
 * facts about where its driver and executors ran, go to the file named by the first argument. With a second
 * argument {@code --fail-a-task}, one task throws instead, so the job and the driver fail.
 */
public final class YarnStandInApp {

    private YarnStandInApp() {
    }

    public static void main(String[] args) throws Exception {
        Path result = Path.of(args[0]);
        boolean failATask = args.length > 1 && args[1].equals("--fail-a-task");
        SparkSession spark = SparkSession.builder().appName("yarn-stand-in").getOrCreate();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            if (failATask) {
                sc.parallelize(List.of(1, 2), 2).foreach(i -> {
                    if (i == 2) {
                        throw new IllegalStateException("stand-in task failure");
                    }
                });
            }
            JavaRDD<Long> squares = sc.parallelize(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), 4)
                    .map(i -> i * i);
            long sum = squares.reduce(Long::sum);
            // Facts from inside the tasks: which container ran them, and whether conf/jvm.args reached that JVM.
            List<String> executors = sc.parallelize(List.of(1, 2), 2)
                    .map(i -> System.getenv("CONTAINER_ID") + " vector=" + vectorModule())
                    .distinct().collect();
            String lines = "sum=" + sum + "\n"
                    + "master=" + spark.sparkContext().master() + "\n"
                    + "deployMode=" + spark.sparkContext().deployMode() + "\n"
                    + "loadedFrom=" + Path.of(YarnStandInApp.class.getProtectionDomain().getCodeSource()
                            .getLocation().toURI()).getFileName() + "\n"
                    + "driverContainer=" + System.getenv("CONTAINER_ID") + " vector=" + vectorModule() + "\n"
                    + executors.stream().sorted().map(e -> "executorContainer=" + e)
                            .collect(Collectors.joining("\n")) + "\n";
            Files.writeString(result, lines, StandardCharsets.UTF_8);
        } finally {
            spark.stop();
        }
    }

    private static boolean vectorModule() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }
}
