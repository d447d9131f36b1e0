package org.ringattention.summarize;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The nightly job under injected faults: one fault-free run, then {@code faults} runs each with one
 * planned fault ({@link InjectedFaults}: a task failure, or on a cluster master an executor kill, at a
 * seeded random point of a seeded random stage), every run's committed output compared by digest with
 * the fault-free one. Small documents, one of them long enough for the ring, so every stage has work.
 */
public final class FaultDrill {

    /** One run of the drill. */
    public record Run(int number, InjectedFaults.Plan plan, boolean fired, int failedTasks, int lostExecutors,
                      boolean identical, double seconds) {
    }

    private final SparkSession spark;
    private final Path work;

    public FaultDrill(SparkSession spark, Path work) {
        this.spark = spark;
        this.work = work;
    }

    /**
     * Runs the drill; {@code kills} allows executor kills (a cluster master: on local mode an executor is
     * the driver). Prints one line per run on {@code log}; a mismatch names its seed, run and stage.
     */
    public List<Run> run(int faults, long seed, boolean kills, PrintStream log) {
        Path input = writeInput();
        SummarizeJob.Options o = SummarizeJob.Options.builder(input.toString(), work.resolve("runs").toString())
                .inputFormat("text").date("2026-11-29").outputFormat("parquet").sentences(3).attention(true)
                .failFast(true).quiet(true).build();
        AtomicInteger failedTasks = new AtomicInteger();
        AtomicInteger lostExecutors = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason().toString().contains(InjectedFaults.Fault.class.getName())) {
                    failedTasks.incrementAndGet();
                }
            }

            @Override
            public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
                lostExecutors.incrementAndGet();
            }
        };
        spark.sparkContext().addSparkListener(listener);
        log.println("fault-drill: seed " + seed + ", " + faults + " faults" + (kills ? ", executor kills on" : ""));
        List<Run> runs = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            String expected = digestOfRun(o, 0, null);
            log.printf(Locale.ROOT, "fault-drill: fault-free run %.1f s, digest %s%n", (System.nanoTime() - t0) / 1e9,
                    expected.substring(0, 16));
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 1; i <= faults; i++) {
                String stage = InjectedFaults.STAGES.get(random.nextInt(InjectedFaults.STAGES.size()));
                // At least one run in 10 ends an executor instead of failing a task.
                boolean kill = kills && (i % 8 == 0 || random.nextInt(20) == 0);
                // The first task of the stage to reach its call 1 or 2 (a small input: most tasks hold few rows;
                // the ring stages hold the one long document, so there it is call 1).
                long call = stage.startsWith("ring-") ? 1 : 1 + random.nextInt(2);
                InjectedFaults.Plan plan = new InjectedFaults.Plan(stage, InjectedFaults.Plan.ANY,
                        call, kill ? InjectedFaults.Kind.EXECUTOR : InjectedFaults.Kind.TASK,
                        work.resolve("fired-" + i).toAbsolutePath().toString());
                failedTasks.set(0);
                lostExecutors.set(0);
                long t = System.nanoTime();
                String digest = digestOfRun(o, i, plan);
                boolean fired = Files.exists(Path.of(plan.once()));
                Run run = new Run(i, plan, fired, failedTasks.get(), lostExecutors.get(), digest.equals(expected),
                        (System.nanoTime() - t) / 1e9);
                runs.add(run);
                log.printf(Locale.ROOT, "fault-drill: run %d: %s: %s, %d failed tasks, %d executors lost, %.1f s, %s%n",
                        i, plan, fired ? "fired" : "NOT FIRED", run.failedTasks(), run.lostExecutors(), run.seconds(),
                        run.identical() ? "output bit-identical" : "OUTPUT DIFFERS (seed " + seed + ", run " + i
                                + ", stage " + stage + ")");
            }
        } finally {
            spark.sparkContext().removeSparkListener(listener);
            InjectedFaults.plan(spark.sparkContext(), null);
        }
        return runs;
    }

    /** Runs the job with {@code plan} into its own output and returns the SHA-256 of every committed row. */
    private String digestOfRun(SummarizeJob.Options o, int number, InjectedFaults.Plan plan) {
        Path out = work.resolve("runs").resolve("run-" + number);
        SummarizeJob.Options options = o.toBuilder().output(out.toString()).build();
        // A night is one run per session; without this, tables a stage left cached by an earlier run would
        // be reused and the planned stage never run.
        spark.catalog().clearCache();
        Pipeline pipeline = SummarizeJob.pipeline(options);
        ((SentenceCentrality) pipeline.getStages()[2]).setRingThreshold(RING_THRESHOLD).setRingPartitions(2);
        InjectedFaults.plan(spark.sparkContext(), plan);
        try {
            SummarizeJob.summarize(spark, options, pipeline);
        } finally {
            InjectedFaults.plan(spark.sparkContext(), null);
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String table : new String[] {"summaries", "rejects", "attention"}) {
                // Float and double fields print as the shortest decimal that reads back to the same bits.
                List<String> rows = NightlyOutput.read(spark, out.toString(), o.outputFormat(), table).collectAsList()
                        .stream().map(Row::toString).sorted().toList();
                sha.update((table + rows.size()).getBytes(StandardCharsets.UTF_8));
                for (String r : rows) {
                    sha.update(r.getBytes(StandardCharsets.UTF_8));
                }
            }
            deleteTree(out);
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + out, e);
        }
    }

    /** Sentences over which a document runs on the ring in the drill (one input document has more). */
    static final int RING_THRESHOLD = 40;

    /** Cuts of the shipped samples: short documents, one long enough for the ring, one empty (a reject). */
    private Path writeInput() {
        Path input = work.resolve("input");
        try {
            deleteTree(input);
            Files.createDirectories(input);
            List<String> texts = new ArrayList<>();
            try (Stream<Path> samples = Files.list(Path.of("jobs/samples"))) {
                for (Path p : samples.sorted().toList()) {
                    texts.add(Files.readString(p));
                }
            }
            // Two short documents from each sample, so that the tasks of a per-document stage hold two or
            // three documents and a plan's call 2 is reached.
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                for (int part = 0; part < 2; part++) {
                    int from = Math.min(t.length(), 1500 * part);
                    Files.writeString(input.resolve("short-" + i + "-" + part + ".txt"),
                            t.substring(from, Math.min(t.length(), from + 1500)));
                }
            }
            StringBuilder longDoc = new StringBuilder();
            for (String t : texts) {
                longDoc.append(t, 0, Math.min(t.length(), 3000)).append("\n\n");
            }
            Files.writeString(input.resolve("long.txt"), longDoc);
            Files.writeString(input.resolve("empty.txt"), "");
            return input;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the drill's input under " + input, e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
