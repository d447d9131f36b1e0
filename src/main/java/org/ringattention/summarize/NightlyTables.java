package org.ringattention.summarize;

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
 * Reads back what the job wrote under its output root, whatever the format: one night's rows of a
 * table ({@code summaries}, {@code rejects}, {@code attention}) and the dates present. Each format is
 * one {@link Format}, recognized from what is on disk, so a new output format is one more constant.
 */
public final class NightlyTables {

    /** An output format as found on disk, and how to read one date of a table in it. */
    enum Format {
        /** A Delta table at {@code root/table}, partitioned by {@code date}. */
        DELTA {
            @Override
            boolean holds(FileSystem fs, Path table, Path night) throws IOException {
                return fs.exists(new Path(table, "_delta_log"));
            }

            @Override
            Dataset<Row> read(SparkSession spark, Path table, Path night, String date) {
                return spark.read().format("delta").load(table.toString()).where(col("date").equalTo(date));
            }
        },
        /** {@code root/table/date=D/part-*.parquet}. */
        PARQUET {
            @Override
            boolean holds(FileSystem fs, Path table, Path night) throws IOException {
                return hasPart(fs, night, ".parquet");
            }

            @Override
            Dataset<Row> read(SparkSession spark, Path table, Path night, String date) {
                return spark.read().parquet(night.toString());
            }
        },
        /** {@code root/table/date=D/part-*.json}, JSON lines. */
        JSON {
            @Override
            boolean holds(FileSystem fs, Path table, Path night) throws IOException {
                return hasPart(fs, night, ".json");
            }

            @Override
            Dataset<Row> read(SparkSession spark, Path table, Path night, String date) {
                return spark.read().json(night.toString());
            }
        };

        abstract boolean holds(FileSystem fs, Path table, Path night) throws IOException;

        abstract Dataset<Row> read(SparkSession spark, Path table, Path night, String date);

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

    private NightlyTables() {
    }

    /** The rows of {@code table} for {@code date} under the job's output {@code root}. */
    public static Dataset<Row> read(SparkSession spark, String root, String table, String date) {
        Path tablePath = new Path(root, table);
        Path night = new Path(tablePath, "date=" + date);
        try {
            FileSystem fs = tablePath.getFileSystem(spark.sparkContext().hadoopConfiguration());
            for (Format f : Format.values()) {
                if (f.holds(fs, tablePath, night)) {
                    return f.read(spark, tablePath, night, date);
                }
            }
        } catch (IOException e) {
            throw new BadInputException(root + " cannot be read: " + e.getMessage(), e);
        }
        throw new BadInputException(root + " has no " + table + " for date=" + date
                + "; give the --output of a jobs/summarize run and one of its dates");
    }

    /** The dates of {@code table} under {@code root}, oldest first. */
    public static List<String> dates(SparkSession spark, String root, String table) {
        Path tablePath = new Path(root, table);
        List<String> dates = new ArrayList<>();
        try {
            FileSystem fs = tablePath.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.isDirectory(tablePath)) {
                throw new BadInputException(root + " holds no " + table + "; give the --output of a jobs/summarize run");
            }
            for (FileStatus f : fs.listStatus(tablePath)) {
                String name = f.getPath().getName();
                if (f.isDirectory() && name.startsWith("date=")) {
                    dates.add(name.substring("date=".length()));
                }
            }
        } catch (IOException e) {
            throw new BadInputException(root + " cannot be read: " + e.getMessage(), e);
        }
        dates.sort(null);
        return dates;
    }
}
