package org.ringattention.output;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * A night as Parquet or JSON-lines exports: each kind lands in {@code base/<kind>/date=D/}, written in
 * full under the staging folder and then swapped in with the directories by one {@link FolderSwap}. A
 * failure rolls the swap back at once; a process killed mid-swap is rolled back by the next commit's
 * recovery; the previous output is never deleted before the new one is in place. Readers during the
 * renames (milliseconds on HDFS and local disks; a copy per file on object stores, where rename is not
 * atomic) may see one kind new and another old; Delta readers never do.
 */
final class ExportCommit extends NightlyCommit {

    private final String format;

    ExportCommit(SparkSession spark, Path base, String date, String format) {
        super(spark, base, date);
        this.format = format;
    }

    @Override
    public void commit() {
        FileSystem fs = fileSystem();
        FolderSwap swap = null;
        try {
            recover(spark, base.toString());
            swap = FolderSwap.stage(fs, base, newRun());
            for (Map.Entry<String, Dataset<Row>> t : tables.entrySet()) {
                describe("write " + t.getKey());
                t.getValue().write().mode(SaveMode.ErrorIfExists).format(format).save(swap.staged(t.getKey()).toString());
            }
            stageDirectories(fs, swap);
            Map<String, Path> targets = new LinkedHashMap<>();
            for (String name : tables.keySet()) {
                targets.put(name, target(name));
            }
            for (String name : directories.keySet()) {
                targets.put(name, target(name));
            }
            swap.journal(targets, false);
            swap.forward();
        } catch (Exception e) {
            if (swap != null) {
                swap.abandon(id -> false);
            }
            throw failure(e);
        } finally {
            spark.sparkContext().setJobDescription(null);
        }
        swap.cleanUp();
    }
}
