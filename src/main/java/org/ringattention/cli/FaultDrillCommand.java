package org.ringattention.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.ringattention.backend.EncoderWarmup;
import org.ringattention.summarize.FaultDrill;

/** {@code jobs/fault-drill}: the nightly job under injected task failures and executor kills. */
public final class FaultDrillCommand extends Command {

    private static final List<String> VALUED = List.of("--faults", "--seed", "--work");
    private static final List<String> FLAGS = List.of();

    public static void main(String[] args) {
        System.exit(new FaultDrillCommand().execute(args, System.out, System.err));
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/fault-drill [--faults N] [--seed S] [--work DIR]",
                "",
                "Runs the nightly job on small documents once without faults, then N times with one injected fault",
                "each (a task failure at a seeded random point of a random stage: sentence splitting, embeddings,",
                "centrality, the ring's scatter, steps and finish, selection, the output commit; or, on a cluster",
                "master, an executor killed), and checks that every run's output is bit-identical to the",
                "fault-free run. A mismatch prints its seed, run and stage.",
                "",
                "  --faults N   faulty runs (default 100)",
                "  --seed S     plan seed (default: random, printed)",
                "  --work DIR   scratch directory (default target/fault-drill)",
                "",
                "Exit status: 0 every run identical, 1 a run differed or failed, 2 bad input.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse(argv, VALUED, FLAGS);
        int faults = a.intValue("--faults", 100, 0);
        long seed = a.get("--seed") == null ? ThreadLocalRandom.current().nextLong(1L << 40)
                : (long) a.doubleValue("--seed", 0);
        Path work = Path.of(a.get("--work") == null ? "target/fault-drill" : a.get("--work"));
        SparkConf conf = new SparkConf().setAppName("fault-drill");
        // local[N, F]: tasks may fail F times (plain local[N] gives each task one try).
        conf.setIfMissing("spark.master", "local[2,4]");
        EncoderWarmup.register(conf, null);
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
            boolean kills = spark.sparkContext().master().startsWith("local-cluster");
            List<FaultDrill.Run> runs = new FaultDrill(spark, work).run(faults, seed, kills, err);
            long identical = runs.stream().filter(FaultDrill.Run::identical).count();
            long killed = runs.stream()
                    .filter(r -> r.plan().kind() == org.ringattention.summarize.InjectedFaults.Kind.EXECUTOR).count();
            err.println(String.format(Locale.ROOT, "fault-drill: seed %d: %d of %d runs bit-identical; %d faults fired"
                    + " (%d planned executor kills, %d executors lost, %d injected task failures seen)", seed, identical,
                    runs.size(), runs.stream().filter(FaultDrill.Run::fired).count(), killed,
                    runs.stream().mapToInt(FaultDrill.Run::lostExecutors).sum(),
                    runs.stream().mapToInt(FaultDrill.Run::failedTasks).sum()));
            return identical == runs.size() ? OK : FAILED;
        } finally {
            spark.stop();
        }
    }
}
