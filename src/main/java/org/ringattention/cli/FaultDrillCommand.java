package org.ringattention.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.ringattention.executor.EncoderWarmup;
import org.ringattention.drill.DrillPlugin;
import org.ringattention.drill.FaultDrill;
import org.ringattention.drill.FaultPlan;
import org.ringattention.io.BadInputException;
import org.ringattention.summarize.SummarizeOptions;

/** {@code jobs/fault-drill}: the nightly job under injected task failures and executor kills. */
public final class FaultDrillCommand extends Command {

    private static final List<String> VALUED = List.of("--faults", "--seed", "--work", "--output-format", "--input");
    private static final List<String> FLAGS = List.of();

    public static void main(String[] args) {
        System.exit(new FaultDrillCommand().execute(args, System.out, System.err));
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/fault-drill [--faults N] [--seed S] [--output-format F] [--work DIR] [--input DIR]",
                "",
                "Runs the nightly job on small documents once without faults, then N times with one injected fault",
                "each (a task failure at a seeded random point of a random stage: sentence splitting, embeddings,",
                "centrality, the ring's scatter, steps and finish, selection, the write tasks of the output commit;",
                "or, on a cluster master, an executor killed). A run passes when its fault fired, Spark was seen to",
                "feel it (a failed task attempt or a lost executor) and its output is bit-identical to the",
                "fault-free run's. A run that does not pass prints its seed, run and stage.",
                "",
                "  --faults N          faulty runs (default 100)",
                "  --seed S            plan seed (default: random, printed)",
                "  --output-format F   delta (default), parquet or json: the format the runs commit",
                "  --work DIR          scratch directory (default target/fault-drill)",
                "  --input DIR         text files to cut the drill's documents from (default: the samples in the jar)",
                "",
                "Exit status: 0 every run passed, 1 a run did not, 2 bad input.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse(argv, VALUED, FLAGS);
        int faults = a.intValue("--faults", 100, 0);
        long seed = a.get("--seed") == null ? ThreadLocalRandom.current().nextLong(1L << 40) : a.longValue("--seed");
        String format = a.get("--output-format") == null ? SummarizeOptions.OUTPUT_FORMAT : a.get("--output-format");
        if (!SummarizeOptions.OUTPUT_FORMATS.contains(format)) {
            throw new BadInputException("--output-format must be one of " + SummarizeOptions.OUTPUT_FORMATS + ", got '"
                    + format + "'");
        }
        Path work = Path.of(a.get("--work") == null ? "target/fault-drill" : a.get("--work"));
        Path input = a.get("--input") == null ? null : Path.of(a.get("--input"));
        // Unless spark.master says otherwise, local[N, F]: tasks may fail F times (local[N] gives each one try).
        SparkConf conf = SparkSettings.conf("fault-drill", new SparkConf().contains("spark.master") ? null : "local[2,4]");
        EncoderWarmup.register(conf, null);
        SparkSession spark = SparkSession.builder().config(DrillPlugin.configure(conf)).getOrCreate();
        try {
            boolean kills = spark.sparkContext().master().startsWith("local-cluster");
            List<FaultDrill.Run> runs = new FaultDrill(spark, work, input).run(faults, seed, format, kills, err);
            err.println(String.format(Locale.ROOT, "fault-drill: seed %d, %s: %d of %d runs passed; %d faults fired,"
                            + " %d seen (%d planned executor kills, %d executors lost, %d injected task failures),"
                            + " %d outputs bit-identical", seed, format, runs.stream().filter(FaultDrill.Run::passed).count(),
                    runs.size(), runs.stream().filter(FaultDrill.Run::fired).count(),
                    runs.stream().filter(FaultDrill.Run::seen).count(),
                    runs.stream().filter(r -> r.plan().kind() == FaultPlan.Kind.EXECUTOR).count(),
                    runs.stream().mapToInt(FaultDrill.Run::lostExecutors).sum(),
                    runs.stream().mapToInt(FaultDrill.Run::failedTasks).sum(),
                    runs.stream().filter(FaultDrill.Run::identical).count()));
            return runs.stream().allMatch(FaultDrill.Run::passed) ? OK : FAILED;
        } finally {
            spark.stop();
        }
    }
}
