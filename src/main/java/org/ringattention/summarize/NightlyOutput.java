package org.ringattention.summarize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.ringattention.io.BadInputException;

/**
 * The commit of one night's outputs: every table of a date (summaries, rejects, attention) and any
 * finished directory (the HTML report) become visible together, or the date keeps its previous output.
 *
 * <p><b>delta</b> (default): all tables go into one Delta Lake table {@code base/nightly}, partitioned by
 * {@code date} and {@code kind} (the table's name: {@code summaries}, {@code rejects}, {@code attention}),
 * written with {@code replaceWhere date = D}: one transaction replaces the date's rows of every kind, so a
 * reader sees the previous version or the new one, never summaries without their rejects; history and
 * time travel come with the format. Delta has no transactions across tables, which is why the kinds share
 * one table rather than one table each.
 *
 * <p><b>parquet</b> / <b>json</b> (export formats): each table lands in {@code base/<name>/date=D/}. The
 * tables are written in full under {@code base/_staging/<run>/new/}; a journal ({@code _SWAPPING}, naming
 * which targets existed) is created; each target is renamed aside to {@code old/} and the new folder
 * renamed in; the journal is renamed to {@code _DONE} (the commit point) and only then is the old
 * output deleted. A failure rolls the swap back at once; a process killed mid-swap is rolled back by
 * {@link #recover} at the start of the next commit. Readers during the renames (milliseconds on HDFS and
 * local disks, a copy per file on object stores, where rename is not atomic) may see a mix; delta
 * readers never do.
 *
 * <p>Directories added with {@link #addDirectory} are published as {@code base/<name>/date=D/} through
 * the same journaled swap, in both formats; with delta the table transaction carries the run id
 * ({@code userMetadata}), so recovery can tell a run whose table commit landed (finish it) from one whose
 * did not (roll its directories back).
 *
 * <p>One writer per output location at a time: recovery treats every run under {@code _staging} as dead.
 */
public final class NightlyOutput {

    /** The output formats: the first is the default. */
    public static final List<String> FORMATS = List.of("delta", "parquet", "json");
    /** The Delta table of every kind, under the output location. */
    public static final String DELTA_TABLE = "nightly";

    static final String STAGING = "_staging";
    static final String SWAPPING = "_SWAPPING";
    static final String DONE = "_DONE";

    private final SparkSession spark;
    private final Path base;
    private final String date;
    private final String format;
    private final Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
    private final Map<String, Path> directories = new LinkedHashMap<>();

    public NightlyOutput(SparkSession spark, String base, String date, String format) {
        if (!FORMATS.contains(format)) {
            throw new BadInputException("--output-format must be one of " + FORMATS + ", got '" + format + "'");
        }
        if (!date.matches("\\d{4}-\\d{2}-\\d{2}")) {
            throw new BadInputException("--date must look like 2026-11-29, got '" + date + "'");
        }
        this.spark = spark;
        this.base = new Path(base);
        this.date = date;
        this.format = format;
    }

    /** Adds a table of this night: rows of kind {@code name} (delta) or {@code base/<name>/date=D} (plain). */
    public NightlyOutput add(String name, Dataset<Row> table) {
        checkName(name);
        tables.put(name, table);
        return this;
    }

    /**
     * Adds a finished directory (any Hadoop file system) to publish as {@code base/<name>/date=D/} with
     * this night's tables; it is copied, the source is left as it was.
     */
    public NightlyOutput addDirectory(String name, Path directory) {
        checkName(name);
        directories.put(name, directory);
        return this;
    }

    /** The folder a plain table or a directory of this night ends in. */
    public Path target(String name) {
        return new Path(new Path(base, name), "date=" + date);
    }

    /** The rows of one kind (all dates) of a committed output, as a reader sees them. */
    public static Dataset<Row> read(SparkSession spark, String base, String format, String name) {
        if (format.equals("delta")) {
            return spark.read().format("delta").load(new Path(base, DELTA_TABLE).toString())
                    .where(col("kind").equalTo(name)).drop("kind");
        }
        return spark.read().format(format).load(new Path(base, name).toString());
    }

    /** Recovers leftovers, writes everything to staging, then publishes it (see the class comment). */
    public void commit() {
        FileSystem fs = fileSystem();
        String run = date + "-" + UUID.randomUUID();
        Path staging = new Path(new Path(base, STAGING), run);
        try {
            recover(spark, base);
            for (Map.Entry<String, Dataset<Row>> t : plainTables().entrySet()) {
                describe("write " + t.getKey());
                withFaultPoint(t.getValue()).write().mode(SaveMode.ErrorIfExists).format(format)
                        .save(new Path(new Path(staging, "new"), t.getKey()).toString());
            }
            for (Map.Entry<String, Path> d : directories.entrySet()) {
                Path from = d.getValue();
                if (!FileUtil.copy(from.getFileSystem(hadoopConf()), from, fs,
                        new Path(new Path(staging, "new"), d.getKey()), false, hadoopConf())) {
                    throw new IOException("cannot copy " + from + " to the staging area");
                }
            }
            List<String> swapped = new ArrayList<>(plainTables().keySet());
            swapped.addAll(directories.keySet());
            Journal journal = Journal.create(fs, staging, this, swapped);
            swap(fs, staging, journal);
            if (format.equals("delta")) {
                describe("commit the delta transaction");
                Dataset<Row> rows = null;
                for (Map.Entry<String, Dataset<Row>> t : tables.entrySet()) {
                    Dataset<Row> kind = t.getValue().withColumn("kind", lit(t.getKey()));
                    rows = rows == null ? kind : rows.unionByName(kind, true);
                }
                withFaultPoint(rows.withColumn("date", lit(date))).write().format("delta").mode(SaveMode.Overwrite)
                        .option("replaceWhere", "date = '" + date + "'")
                        .option("userMetadata", run)
                        .partitionBy("date", "kind")
                        .save(new Path(base, DELTA_TABLE).toString());
            }
            rename(fs, new Path(staging, SWAPPING), new Path(staging, DONE));
        } catch (Exception e) {
            // Spark's own failures (SparkException) are checked exceptions thrown unchecked.
            settleQuietly(fs, staging);
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("cannot write the outputs for date=" + date + " under " + base
                    + ": " + e.getMessage(), e);
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
        // Committed: what is left is cleaning up, and a failure there is recovered by the next run.
        try {
            delete(fs, staging);
            deleteIfEmpty(fs, staging.getParent());
        } catch (IOException ignored) {
            // Left in _staging (skipped by readers), removed by the next commit's recover().
        }
    }

    /**
     * Brings every leftover run under {@code base/_staging} to a clean end: committed runs are cleaned up,
     * runs killed mid-swap are rolled back (or, for delta, finished when their table transaction landed),
     * runs killed before swapping are deleted.
     */
    public static void recover(SparkSession spark, String base) {
        recover(spark, new Path(base));
    }

    private static void recover(SparkSession spark, Path base) {
        Path root = new Path(base, STAGING);
        try {
            FileSystem fs = base.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(root)) {
                return;
            }
            for (FileStatus run : fs.listStatus(root)) {
                settle(spark, base, fs, run.getPath());
            }
            deleteIfEmpty(fs, root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover the interrupted run left in " + root
                    + "; remove it by hand once no job writes to " + base, e);
        }
    }

    /** The rows with the {@code commit} fault point in their write tasks, when a drill planned a fault. */
    private Dataset<Row> withFaultPoint(Dataset<Row> rows) {
        return spark.sparkContext().getLocalProperty(InjectedFaults.PROPERTY) == null ? rows : faultPointPerRow(rows);
    }

    /** Static, so the task's function holds no reference to this (driver-side) object. */
    private static Dataset<Row> faultPointPerRow(Dataset<Row> rows) {
        MapPartitionsFunction<Row, Row> f = it -> new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Row next() {
                InjectedFaults.point("commit");
                return it.next();
            }
        };
        return rows.mapPartitions(f, Encoders.row(rows.schema()));
    }

    private Map<String, Dataset<Row>> plainTables() {
        return format.equals("delta") ? Map.of() : tables;
    }

    private void swap(FileSystem fs, Path staging, Journal journal) throws IOException {
        fs.mkdirs(new Path(staging, "old"));
        for (String name : journal.names()) {
            Path target = journal.target(name);
            fs.mkdirs(target.getParent());
            if (journal.existed(name)) {
                rename(fs, target, new Path(new Path(staging, "old"), name));
            }
            rename(fs, new Path(new Path(staging, "new"), name), target);
        }
    }

    /** Puts each target back as it was before the swap; safe to repeat after a crash at any point. */
    private static void rollBack(FileSystem fs, Path staging, Journal journal) throws IOException {
        for (String name : journal.names()) {
            Path target = journal.target(name);
            Path old = new Path(new Path(staging, "old"), name);
            if (journal.existed(name)) {
                if (fs.exists(old)) {
                    delete(fs, target);
                    fs.mkdirs(target.getParent());
                    rename(fs, old, target);
                }
            } else {
                delete(fs, target);
            }
        }
        fs.delete(new Path(staging, SWAPPING), false);
    }

    /** Ends one run's staging folder: cleaned up if committed, else its swap rolled back. */
    private static void settle(SparkSession spark, Path base, FileSystem fs, Path run) throws IOException {
        if (fs.exists(new Path(run, SWAPPING))) {
            Journal journal = Journal.read(fs, run);
            if (!(journal.delta() && deltaCommitted(spark, base, run.getName()))) {
                rollBack(fs, run, journal);
            }
        }
        delete(fs, run);
    }

    private void settleQuietly(FileSystem fs, Path staging) {
        try {
            settle(spark, base, fs, staging);
            deleteIfEmpty(fs, staging.getParent());
        } catch (IOException | RuntimeException ignored) {
            // The journal stays; the next commit's recover() finishes the roll-back.
        }
    }

    private static boolean deltaCommitted(SparkSession spark, Path base, String run) {
        // The commit files themselves: DeltaTable.history() does not link against Spark 4.2, and this
        // needs no SQL extension in the session.
        Path log = new Path(new Path(base, DELTA_TABLE), "_delta_log");
        try {
            if (!log.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(log)) {
                return false;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Delta log " + log, e);
        }
        return !spark.read().text(new Path(log, "*.json").toString())
                .where(col("value").contains("\"userMetadata\":\"" + run + "\"")).isEmpty();
    }

    private FileSystem fileSystem() {
        try {
            return base.getFileSystem(hadoopConf());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the output location " + base, e);
        }
    }

    private org.apache.hadoop.conf.Configuration hadoopConf() {
        return spark.sparkContext().hadoopConfiguration();
    }

    private void describe(String what) {
        spark.sparkContext().setJobDescription("summarize: " + what + " for date=" + date);
    }

    private static void checkName(String name) {
        if (!name.matches("[a-z][a-z0-9_-]*") || name.equals(DELTA_TABLE)) {
            throw new IllegalArgumentException("output name '" + name + "' must be lower case letters, digits,"
                    + " '-' or '_', and not '" + DELTA_TABLE + "'");
        }
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("rename " + from + " -> " + to + " failed");
        }
    }

    private static void delete(FileSystem fs, Path path) throws IOException {
        if (fs.exists(path) && !fs.delete(path, true)) {
            throw new IOException("cannot delete " + path);
        }
    }

    private static void deleteIfEmpty(FileSystem fs, Path dir) throws IOException {
        if (fs.exists(dir) && fs.listStatus(dir).length == 0) {
            fs.delete(dir, false);
        }
    }

    /**
     * What a swap is about to do, written before its first rename: the targets and whether each existed
     * (so a roll-back knows whether to restore or remove it). Created under a temporary name and renamed,
     * so it is either complete or absent.
     */
    private record Journal(boolean delta, Map<String, Boolean> existedByName, Map<String, Path> targets) {

        List<String> names() {
            return new ArrayList<>(targets.keySet());
        }

        Path target(String name) {
            return targets.get(name);
        }

        boolean existed(String name) {
            return existedByName.get(name);
        }

        static Journal create(FileSystem fs, Path staging, NightlyOutput output, List<String> names)
                throws IOException {
            StringBuilder text = new StringBuilder(output.format.equals("delta") ? "delta\n" : "plain\n");
            Map<String, Boolean> existed = new LinkedHashMap<>();
            Map<String, Path> targets = new LinkedHashMap<>();
            for (String name : names) {
                Path target = output.target(name);
                existed.put(name, fs.exists(target));
                targets.put(name, target);
                text.append(name).append('\t').append(existed.get(name)).append('\t').append(target).append('\n');
            }
            fs.mkdirs(staging);
            Path tmp = new Path(staging, "_journal.tmp");
            try (OutputStream out = fs.create(tmp, true)) {
                out.write(text.toString().getBytes(StandardCharsets.UTF_8));
            }
            rename(fs, tmp, new Path(staging, SWAPPING));
            return new Journal(output.format.equals("delta"), existed, targets);
        }

        static Journal read(FileSystem fs, Path staging) throws IOException {
            Map<String, Boolean> existed = new LinkedHashMap<>();
            Map<String, Path> targets = new LinkedHashMap<>();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(
                    fs.open(new Path(staging, SWAPPING)), StandardCharsets.UTF_8))) {
                boolean delta = in.readLine().equals("delta");
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    String[] f = line.split("\t", 3);
                    existed.put(f[0], Boolean.parseBoolean(f[1]));
                    targets.put(f[0], new Path(f[2]));
                }
                return new Journal(delta, existed, targets);
            }
        }
    }
}
