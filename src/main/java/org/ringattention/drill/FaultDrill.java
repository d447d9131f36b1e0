package org.ringattention.drill;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ringattention.output.NightlyTables;
import org.ringattention.summarize.SummarizeJob;
import org.ringattention.summarize.SummarizeOptions;

/**
 * The nightly job under injected faults: one fault-free run, then {@code faults} runs each with one
 * planned fault ({@link FaultPlan}: a task failure, or on a cluster master an executor kill, at a seeded
 * random point of a seeded random stage, the commit's write tasks included), every run's committed output
 * compared by digest with the fault-free one. A run passes when its fault fired, Spark was seen to feel it
 * (a failed task attempt or a lost executor, counted once Spark has delivered the run's events) and its
 * output is bit-identical. The input is small documents cut from the samples shipped in the jar (or from a
 * given folder), one of them long enough for the ring, so every stage has work.
 *
 * <p>The session must have been started with {@link DrillPlugin#configure}: the drill's fault points exist
 * only there.
 */
public final class FaultDrill {

    /** One run of the drill. */
    public record Run(int number, FaultPlan plan, boolean fired, int failedTasks, int lostExecutors,
                      boolean identical, double seconds) {

        /** Whether Spark felt the fault: the failed task attempt, or the lost executor, it causes. */
        public boolean seen() {
            return plan.kind() == FaultPlan.Kind.EXECUTOR ? lostExecutors > 0 : failedTasks > 0;
        }

        /** Fired, seen, and the output bit-identical to the fault-free run's. */
        public boolean passed() {
            return fired && seen() && identical;
        }
    }

    /** Sentences over which a document runs on the ring in the drill (its long input document has more). */
    static final int RING_THRESHOLD = 40;
    /** Where the samples are inside the jar (the pom copies jobs/samples there). */
    private static final String SAMPLES = "/org/ringattention/drill/samples";
    private static final String DATE = "2026-11-29";

    private final SparkSession spark;
    private final Path work;
    private final Path samples;

    /**
     * A drill working under {@code work}, cutting its documents from the text files in {@code samples}
     * (null: the samples shipped in the jar).
     */
    public FaultDrill(SparkSession spark, Path work, Path samples) {
        if (!DrillPlugin.active(spark.sparkContext())) {
            throw new IllegalStateException("the session has no fault points: start it with DrillPlugin.configure(conf)");
        }
        this.spark = spark;
        this.work = work;
        this.samples = samples;
    }

    /**
     * Runs the drill on output format {@code format}; {@code kills} allows executor kills (a cluster
     * master: on local mode an executor is the driver). Prints one line per run on {@code log}; a run that
     * did not pass names its seed, run and stage.
     */
    public List<Run> run(int faults, long seed, String format, boolean kills, PrintStream log) {
        Path input = writeInput();
        SummarizeOptions o = SummarizeOptions.builder(input.toString(), work.resolve("runs").toString())
                .inputFormat("text").date(DATE).outputFormat(format).sentences(3).attention(true)
                .failFast(true).quiet(true).ringThreshold(RING_THRESHOLD).ringPartitions(2).build();
        log.println("fault-drill: seed " + seed + ", " + faults + " faults, " + format + " output"
                + (kills ? ", executor kills on" : ""));
        List<Run> runs = new ArrayList<>();
        try (SparkEvents events = SparkEvents.listen(spark.sparkContext())) {
            long t0 = System.nanoTime();
            String expected = digestOfRun(o, 0, null, events);
            log.printf(Locale.ROOT, "fault-drill: fault-free run %.1f s, digest %s%n", (System.nanoTime() - t0) / 1e9,
                    expected.substring(0, 16));
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = 1; i <= faults; i++) {
                String point = FaultPlan.POINTS.get(random.nextInt(FaultPlan.POINTS.size()));
                // At least one run in 10 ends an executor instead of failing a task.
                boolean kill = kills && (i % 8 == 0 || random.nextInt(20) == 0);
                // The first task of the stage to reach its call 1 or 2 (the tasks of a per-document stage hold
                // two or more documents); the ring's stages hold the one long document and a write task
                // creates one file per table, so there it is call 1.
                long call = point.startsWith("ring-") || point.equals(FaultPlan.COMMIT) ? 1 : 1 + random.nextInt(2);
                FaultPlan plan = new FaultPlan(point, FaultPlan.ANY, call,
                        kill ? FaultPlan.Kind.EXECUTOR : FaultPlan.Kind.TASK,
                        work.resolve("fired-" + i).toAbsolutePath().toString());
                // A once file left by an earlier drill in the same folder would count as fired without firing.
                forget(Path.of(plan.once()));
                long t = System.nanoTime();
                String digest = digestOfRun(o, i, plan, events);
                boolean fired = Files.exists(Path.of(plan.once()));
                SparkEvents.Counts felt = events.counts();
                Run run = new Run(i, plan, fired, felt.injectedTaskFailures(), felt.executorsRemoved(),
                        digest.equals(expected), (System.nanoTime() - t) / 1e9);
                runs.add(run);
                log.printf(Locale.ROOT, "fault-drill: run %d: %s: %s, %s (%d failed tasks, %d executors lost), %.1f s, %s%n",
                        i, plan, fired ? "fired" : "NOT FIRED", run.seen() ? "seen" : "NOT SEEN", run.failedTasks(),
                        run.lostExecutors(), run.seconds(), run.identical() ? "output bit-identical"
                                : "OUTPUT DIFFERS (seed " + seed + ", run " + i + ", stage " + point + ")");
            }
        }
        return runs;
    }

    /** Runs the job with {@code plan} into its own output and returns the SHA-256 of every committed row. */
    private String digestOfRun(SummarizeOptions o, int number, FaultPlan plan, SparkEvents events) {
        Path out = work.resolve("runs").resolve("run-" + number);
        SummarizeOptions options = o.toBuilder().output(out.toString()).build();
        String group = "fault-drill-" + number + "-" + System.nanoTime();
        spark.sparkContext().setJobGroup(group, "fault drill run " + number, false);
        DrillFaults.plan(spark.sparkContext(), plan);
        events.reset();
        try {
            SummarizeJob.summarize(spark, options);
        } finally {
            DrillFaults.plan(spark.sparkContext(), null);
            spark.sparkContext().clearJobGroup();
        }
        events.awaitJobsOf(group);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String kind : new String[] {"summaries", "rejects", "attention"}) {
                // Float and double fields print as the shortest decimal that reads back to the same bits.
                List<String> rows = NightlyTables.read(spark, out.toString(), kind).collectAsList()
                        .stream().map(Row::toString).sorted().toList();
                sha.update((kind + rows.size()).getBytes(StandardCharsets.UTF_8));
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

    /** Removes a once file before its run. */
    private static void forget(Path once) {
        try {
            Files.deleteIfExists(once);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the stale fault marker " + once, e);
        }
    }

    /** Cuts of the samples: short documents, one long enough for the ring, one empty (a reject). */
    private Path writeInput() {
        Path input = work.resolve("input");
        try {
            deleteTree(input);
            Files.createDirectories(input);
            List<String> texts = sampleTexts();
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

    /** The sample texts in file-name order, from the given folder or from inside the jar. */
    private List<String> sampleTexts() throws IOException {
        if (samples != null) {
            return readAll(samples);
        }
        URI uri;
        try {
            uri = FaultDrill.class.getResource(SAMPLES).toURI();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("this build has no samples at " + SAMPLES + "; give the drill --input DIR", e);
        }
        if (!uri.getScheme().equals("jar")) {
            return readAll(Path.of(uri));
        }
        try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
            return readAll(jar.getPath(SAMPLES));
        }
    }

    private static List<String> readAll(Path folder) throws IOException {
        List<String> texts = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path p : files.sorted(Comparator.comparing(Path::toString)).toList()) {
                texts.add(Files.readString(p));
            }
        }
        if (texts.isEmpty()) {
            throw new IllegalStateException("no sample documents in " + folder);
        }
        return texts;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
