package org.ringattention.summarize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * One night's outputs under {@code base}: each table lands in {@code base/<table>/date=D/}. Every
 * table is first written in full to {@code base/_staging/<run>/}, and only when all of them are
 * written are the {@code date=D} folders swapped in (old folder renamed aside, new one renamed in,
 * old one deleted). A run that fails while writing leaves that date's previous output as it was;
 * other dates are never touched. Folders starting with {@code _} are ignored by Spark's readers.
 */
public final class NightlyOutput {

    private final SparkSession spark;
    private final Path base;
    private final String date;
    private final String format;
    private final Map<String, Dataset<Row>> tables = new LinkedHashMap<>();

    public NightlyOutput(SparkSession spark, String base, String date, String format) {
        if (!format.equals("parquet") && !format.equals("json")) {
            throw new IllegalArgumentException("--output-format must be parquet or json, got '" + format + "'");
        }
        if (!date.matches("\\d{4}-\\d{2}-\\d{2}")) {
            throw new IllegalArgumentException("--date must look like 2026-11-29, got '" + date + "'");
        }
        this.spark = spark;
        this.base = new Path(base);
        this.date = date;
        this.format = format;
    }

    /** Adds a table to write as {@code base/<name>/date=D}. */
    public NightlyOutput add(String name, Dataset<Row> table) {
        tables.put(name, table);
        return this;
    }

    /** The folder a table of this night ends in. */
    public Path target(String name) {
        return new Path(new Path(base, name), "date=" + date);
    }

    /** Writes every table to staging, then swaps them all in. */
    public void commit() {
        Path staging = new Path(new Path(base, "_staging"), date + "-" + UUID.randomUUID());
        FileSystem fs;
        try {
            fs = base.getFileSystem(spark.sparkContext().hadoopConfiguration());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the output location " + base, e);
        }
        try {
            for (Map.Entry<String, Dataset<Row>> t : tables.entrySet()) {
                spark.sparkContext().setJobDescription("summarize: write " + t.getKey() + " for date=" + date);
                t.getValue().write().mode(SaveMode.ErrorIfExists).format(format)
                        .save(new Path(staging, t.getKey()).toString());
            }
            for (String name : tables.keySet()) {
                Path target = target(name);
                fs.mkdirs(target.getParent());
                if (fs.exists(target)) {
                    rename(fs, target, new Path(staging, "replaced-" + name));
                }
                rename(fs, new Path(staging, name), target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the outputs for date=" + date + " under " + base, e);
        } finally {
            spark.sparkContext().setJobDescription(null);
            deleteQuietly(fs, staging);
        }
    }

    /** Staging is scratch space: removing it (and the then-empty _staging folder) must not hide the real error. */
    private static void deleteQuietly(FileSystem fs, Path staging) {
        try {
            fs.delete(staging, true);
            Path root = staging.getParent();
            if (fs.exists(root) && fs.listStatus(root).length == 0) {
                fs.delete(root, false);
            }
        } catch (IOException ignored) {
            // Leftover staging folders start with '_' and are skipped by readers.
        }
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("rename " + from + " -> " + to + " failed");
        }
    }
}
