package org.ringattention.drill;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.ringattention.summarize.SummarizeJob;

/**
 * The drill's {@code file:} file system: the local one, with the {@link FaultPlan#COMMIT} point reached each
 * time a task creates a data file ({@code part-*}) of the night's output, whatever the format (Delta's data
 * files, Parquet, JSON). So the commit is drilled with the write plan a production run has. Files the
 * driver writes (the Delta log, the journal) and the ring's checkpoints are left alone.
 */
public final class DrillFileSystem extends LocalFileSystem {

    private static final DrillFaults FAULTS = new DrillFaults();

    /** Set by {@link #configure}: the settings name this class for {@code file:} and turn the cache off. */
    static SparkConf configure(SparkConf conf) {
        // Without disable.cache a JVM that had opened file: before (a test JVM) would hand out its cached
        // LocalFileSystem and the commit's point would never be reached.
        return conf.set("spark.hadoop.fs.file.impl", DrillFileSystem.class.getName())
                .set("spark.hadoop.fs.file.impl.disable.cache", "true");
    }

    static boolean active(Configuration conf) {
        return DrillFileSystem.class.getName().equals(conf.get("fs.file.impl"));
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
                                     short replication, long blockSize, Progressable progress) throws IOException {
        if (TaskContext.get() != null && f.getName().startsWith("part-") && !f.toString().contains("/" + SummarizeJob.CHECKPOINTS + "/")) {
            FAULTS.reached(FaultPlan.COMMIT, 0, null);
        }
        return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    }
}
