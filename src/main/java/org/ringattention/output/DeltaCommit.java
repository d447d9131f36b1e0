package org.ringattention.output;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * A night as one Delta Lake transaction: the rows of every kind go into the one table {@code base/nightly},
 * partitioned by {@code date} and {@code kind}, written with {@code replaceWhere date = D}, so a reader
 * sees the date's previous rows or its new ones, never summaries without their rejects; history and time
 * travel come with the format. Delta has no transactions across tables, which is why the kinds share one
 * table rather than one table each.
 *
 * <p>The directories (the report) are staged and journaled before the transaction and swapped in only
 * after it has landed, so a report never describes rows that are not yet visible. The transaction carries
 * the run's id ({@code userMetadata}): recovery after a kill rolls the directories forward when the run's
 * transaction landed and back when it did not.
 */
final class DeltaCommit extends NightlyCommit {

    /** The Delta table of every kind, under the output location. */
    static final String TABLE = "nightly";

    DeltaCommit(SparkSession spark, Path base, String date) {
        super(spark, base, date);
    }

    @Override
    public void commit() {
        FileSystem fs = fileSystem();
        String run = newRun();
        FolderSwap swap = null;
        try {
            recover(spark, base.toString());
            swap = FolderSwap.stage(fs, base, run);
            stageDirectories(fs, swap);
            Map<String, Path> targets = new LinkedHashMap<>();
            for (String name : directories.keySet()) {
                targets.put(name, target(name));
            }
            swap.journal(targets, true);
            describe("commit the delta transaction");
            Dataset<Row> rows = null;
            for (Map.Entry<String, Dataset<Row>> t : tables.entrySet()) {
                Dataset<Row> kind = t.getValue().withColumn("kind", lit(t.getKey()));
                rows = rows == null ? kind : rows.unionByName(kind, true);
            }
            rows.withColumn("date", lit(date)).write().format("delta").mode(SaveMode.Overwrite)
                    .option("replaceWhere", "date = '" + date + "'")
                    // A column a later version of the job adds (or a new kind's) joins the table's schema.
                    .option("mergeSchema", "true")
                    .option("userMetadata", run)
                    .partitionBy("date", "kind")
                    .save(new Path(base, TABLE).toString());
            swap.forward();
        } catch (Exception e) {
            if (swap != null) {
                swap.abandon(id -> landed(spark, base, id));
            }
            throw failure(e);
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
        swap.cleanUp();
    }

    /** Whether the Delta table under {@code base} holds a commit of run {@code run}. */
    static boolean landed(SparkSession spark, Path base, String run) {
        // The commit files themselves: DeltaTable.history() does not link against Spark 4.2, and this
        // needs no SQL extension in the session.
        Path log = new Path(new Path(base, TABLE), "_delta_log");
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
}
