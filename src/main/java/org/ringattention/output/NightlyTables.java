package org.ringattention.output;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ringattention.io.BadInputException;

/**
 * The one reader of what {@link NightlyCommit} wrote under an output root, in either format, without
 * being told which: the rows of a kind ({@code summaries}, {@code rejects}, {@code attention}) of every
 * date or of one, and the dates present. The format is recognized from what is on disk: the Delta table
 * {@code root/nightly}, else the exports {@code root/<kind>/date=D}.
 */
public final class NightlyTables {

    private NightlyTables() {
    }

    /** The rows of {@code table} for {@code date} under the job's output {@code root}, without the date. */
    public static Dataset<Row> read(SparkSession spark, String root, String table, String date) {
        String format = format(spark, root, table, date);
        if (format == null) {
            throw new BadInputException(root + " has no " + table + " for date=" + date
                    + "; give the --output of a jobs/summarize run and one of its dates");
        }
        return readFormat(spark, root, format, table).where(col("date").cast("string").equalTo(date)).drop("date");
    }

    /** The rows of {@code table} of every date under {@code root}, with their {@code date}. */
    public static Dataset<Row> read(SparkSession spark, String root, String table) {
        List<String> dates = dates(spark, root, table);
        if (dates.isEmpty()) {
            throw new BadInputException(root + " has no " + table + "; give the --output of a jobs/summarize run");
        }
        return readFormat(spark, root, format(spark, root, table, dates.get(dates.size() - 1)), table);
    }

    /**
     * The rows of {@code table} of every date under {@code root} with their {@code date} as text, or
     * nothing when no night of it has been written there (a first night, or a root that is not there yet):
     * what an incremental night reads to find each document's most recent summary.
     */
    public static java.util.Optional<Dataset<Row>> history(SparkSession spark, String root, String table) {
        try {
            FileSystem fs = new Path(root).getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (isDelta(fs, root)) {
                return java.util.Optional.of(readFormat(spark, root, "delta", table)
                        .withColumn("date", col("date").cast("string")));
            }
            if (!fs.isDirectory(new Path(root, table))) {
                return java.util.Optional.empty();
            }
        } catch (IOException e) {
            throw new BadInputException(root + " cannot be read: " + e.getMessage(), e);
        }
        List<String> dates = dates(spark, root, table);
        if (dates.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(readFormat(spark, root, format(spark, root, table, dates.get(dates.size() - 1)), table)
                .withColumn("date", col("date").cast("string")));
    }

    /**
     * The layout of each format, in one place. Parquet's schemas are merged across dates: a column added
     * by a later version of the job (a Delta table evolves its schema itself) reads as null on older dates.
     */
    private static Dataset<Row> readFormat(SparkSession spark, String root, String format, String table) {
        if (format.equals("delta")) {
            return spark.read().format("delta").load(new Path(root, DeltaCommit.TABLE).toString())
                    .where(col("kind").equalTo(table)).drop("kind");
        }
        return spark.read().format(format).option("mergeSchema", "true").load(new Path(root, table).toString());
    }

    /** The Delta table of a root whose output is Delta ({@code root/nightly}): for messages that name it. */
    public static String deltaTable(String root) {
        return new Path(root, DeltaCommit.TABLE).toString();
    }

    /** The dates of {@code table} under {@code root}, oldest first. */
    public static List<String> dates(SparkSession spark, String root, String table) {
        List<String> dates = new ArrayList<>();
        try {
            FileSystem fs = new Path(root).getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (isDelta(fs, root)) {
                for (Row r : readFormat(spark, root, "delta", table).select(col("date").cast("string"))
                        .distinct().collectAsList()) {
                    dates.add(r.getString(0));
                }
            } else {
                Path tablePath = new Path(root, table);
                if (!fs.isDirectory(tablePath)) {
                    throw new BadInputException(root + " holds no " + table
                            + "; give the --output of a jobs/summarize run");
                }
                for (FileStatus f : fs.listStatus(tablePath)) {
                    String name = f.getPath().getName();
                    if (f.isDirectory() && name.startsWith("date=")) {
                        dates.add(name.substring("date=".length()));
                    }
                }
            }
        } catch (IOException e) {
            throw new BadInputException(root + " cannot be read: " + e.getMessage(), e);
        }
        dates.sort(null);
        return dates;
    }

    /** The format of one night of {@code table} under {@code root}, or null when it is not there. */
    private static String format(SparkSession spark, String root, String table, String date) {
        try {
            FileSystem fs = new Path(root).getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (isDelta(fs, root)) {
                return "delta";
            }
            Path night = new Path(new Path(root, table), "date=" + date);
            for (String format : List.of("parquet", "json")) {
                if (hasPart(fs, night, "." + format)) {
                    return format;
                }
            }
            return null;
        } catch (IOException e) {
            throw new BadInputException(root + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static boolean isDelta(FileSystem fs, String root) throws IOException {
        return fs.exists(new Path(new Path(root, DeltaCommit.TABLE), "_delta_log"));
    }

    private static boolean hasPart(FileSystem fs, Path night, String suffix) throws IOException {
        if (!fs.isDirectory(night)) {
            return false;
        }
        for (FileStatus f : fs.listStatus(night)) {
            String name = f.getPath().getName().toLowerCase(Locale.ROOT);
            if (name.startsWith("part-") && name.contains(suffix)) {
                return true;
            }
        }
        return false;
    }
}
