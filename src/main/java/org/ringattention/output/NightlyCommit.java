package org.ringattention.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ringattention.io.BadInputException;

/**
 * The commit of one night: every table of a date (rows of each kind: summaries, rejects, attention) and
 * every finished directory (the HTML report) become visible together, or the date keeps its previous
 * output. One idea, two implementations, chosen by the output format:
 * <ul>
 *   <li>{@link DeltaCommit} ({@code delta}, the default): one Delta Lake transaction replaces the date's
 *       rows of every kind; the directories are swapped in right after it, never before;</li>
 *   <li>{@link ExportCommit} ({@code parquet}, {@code json}): a journaled swap of one folder per kind.</li>
 * </ul>
 * Both stage their work under {@code base/_staging/<run>} ({@link FolderSwap}); {@link #recover} brings
 * the leftovers of a killed run to a clean end, and every commit calls it first. One writer per output
 * location at a time: recovery treats every run under {@code _staging} as dead. {@link NightlyTables}
 * reads what either wrote.
 */
public abstract class NightlyCommit {

    /** The output formats, the default first. */
    public static final List<String> FORMATS = List.of("delta", "parquet", "json");

    final SparkSession spark;
    final Path base;
    final String date;
    final Map<String, Dataset<Row>> tables = new LinkedHashMap<>();
    final Map<String, Path> directories = new LinkedHashMap<>();

    NightlyCommit(SparkSession spark, Path base, String date) {
        this.spark = spark;
        this.base = base;
        this.date = date;
    }

    /** The commit of date {@code date} (YYYY-MM-DD) under {@code base} in {@code format}. */
    public static NightlyCommit of(SparkSession spark, String base, String date, String format) {
        if (!date.matches("\\d{4}-\\d{2}-\\d{2}")) {
            throw new BadInputException("--date must look like 2026-11-29, got '" + date + "'");
        }
        return switch (format) {
            case "delta" -> new DeltaCommit(spark, new Path(base), date);
            case "parquet", "json" -> new ExportCommit(spark, new Path(base), date, format);
            default -> throw new BadInputException("--output-format must be one of " + FORMATS + ", got '" + format + "'");
        };
    }

    /** Adds the night's rows of kind {@code kind}. */
    public NightlyCommit add(String kind, Dataset<Row> rows) {
        checkName(kind);
        tables.put(kind, rows);
        return this;
    }

    /**
     * Adds a finished directory (any Hadoop file system) to publish as {@code base/<name>/date=D/} with
     * this night; it is copied, the source is left as it was.
     */
    public NightlyCommit addDirectory(String name, Path directory) {
        checkName(name);
        directories.put(name, directory);
        return this;
    }

    /** Writes and publishes everything added (see the class comment); throws, the date unchanged, on failure. */
    public abstract void commit();

    /**
     * Brings every leftover run under {@code base/_staging} to a clean end: committed runs are cleaned up,
     * runs killed mid-swap are rolled back (or, for delta, rolled forward when their transaction landed),
     * runs killed before swapping are deleted.
     */
    public static void recover(SparkSession spark, String base) {
        Path root = new Path(new Path(base), FolderSwap.STAGING);
        try {
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(root)) {
                return;
            }
            for (FileStatus run : fs.listStatus(root)) {
                FolderSwap.settle(fs, run.getPath(), id -> DeltaCommit.landed(spark, new Path(base), id));
            }
            FolderSwap.deleteIfEmpty(fs, root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover the interrupted run left in " + root
                    + "; remove it by hand once no job writes to " + base, e);
        }
    }

    /** The folder a directory (or an exported kind) of this night ends in: {@code base/<name>/date=D}. */
    Path target(String name) {
        return new Path(new Path(base, name), "date=" + date);
    }

    /** A new run id: the date and a random part, so two runs never share a staging folder. */
    String newRun() {
        return date + "-" + UUID.randomUUID();
    }

    /** Copies every added directory into the swap's staging area. */
    void stageDirectories(FileSystem fs, FolderSwap swap) throws IOException {
        for (Map.Entry<String, Path> d : directories.entrySet()) {
            Path from = d.getValue();
            if (!org.apache.hadoop.fs.FileUtil.copy(from.getFileSystem(hadoopConf()), from, fs,
                    swap.staged(d.getKey()), false, hadoopConf())) {
                throw new IOException("cannot copy " + from + " to the staging area");
            }
        }
    }

    FileSystem fileSystem() {
        try {
            return base.getFileSystem(hadoopConf());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the output location " + base, e);
        }
    }

    Configuration hadoopConf() {
        return spark.sparkContext().hadoopConfiguration();
    }

    void describe(String what) {
        spark.sparkContext().setJobDescription("summarize: " + what + " for date=" + date);
    }

    /** Any failure as an unchecked exception naming the night; Spark's own are rethrown as they are. */
    RuntimeException failure(Exception e) {
        if (e instanceof RuntimeException r) {
            return r;
        }
        return new IllegalStateException("cannot write the outputs for date=" + date + " under " + base + ": "
                + e.getMessage(), e);
    }

    private static void checkName(String name) {
        if (!name.matches("[a-z][a-z0-9_-]*") || name.equals(DeltaCommit.TABLE)) {
            throw new IllegalArgumentException("output name '" + name + "' must be lower case letters, digits,"
                    + " '-' or '_', and not '" + DeltaCommit.TABLE + "'");
        }
    }
}
