package org.ringattention.cli;

import java.io.PrintStream;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.backend.BackendFactory;
import org.ringattention.backend.Device;
import org.ringattention.gpu.Precision;
import org.ringattention.io.BadInputException;
import org.ringattention.io.NpyArray;
import org.ringattention.progress.Progress;
import org.ringattention.ring.DocumentBlock;
import org.ringattention.ring.Layout;
import org.ringattention.ring.RingAttention;
import org.ringattention.ring.RingConfig;
import org.ringattention.ring.RingResult;
import org.ringattention.ring.WireCompression;

/**
 * The ring options of {@code jobs/attention}: with {@code --partitions P} the same {@code .npy} inputs
 * are attended by {@link RingAttention} on Spark instead of the in-process kernel. Spark is embedded
 * ({@link SparkSettings#DEFAULT_MASTER}) unless {@code --master} or {@code spark-submit} names a cluster.
 */
final class RingOptions {

    static final List<String> VALUED = List.of("--partitions", "--layout", "--master", "--compression",
            "--checkpoint-dir", "--checkpoint-interval");
    static final List<String> FLAGS = List.of("--quiet");

    static final List<String> USAGE = List.of(
            "  --partitions P      ring attention on Spark over P ring positions (default: in-process kernel)",
            "  --layout L          contiguous, zigzag or striped (default: zigzag if --causal, else contiguous)",
            "  --master URL        Spark master (default: spark-submit's, else embedded "
                    + SparkSettings.DEFAULT_MASTER + ")",
            "  --compression C     Arrow blocks on the wire: none (default), lz4 or zstd;"
                    + " with --partitions, --threads is per Spark task (default 1)",
            "  --checkpoint-dir D  checkpoint the ring's states in D (a directory every executor can reach)"
                    + " every --checkpoint-interval steps (default 10); without it nothing is checkpointed",
            "  --quiet             with --partitions, no line per ring step, only the summary line");

    /** Rows per input block handed to Spark: the driver never ships the whole sequence in one task. */
    private static final int INPUT_BLOCK_ROWS = 8192;

    private RingOptions() {
    }

    static boolean requested(Args a) {
        return a.get("--partitions") != null;
    }

    /** Runs the ring job on the whole sequence as one document and prints its summary line on {@code err}. */
    static AttentionResult attend(Args a, AttentionSpec spec, NpyArray q, NpyArray k, NpyArray v, int[] segments,
                                  int blockSize, int threads, PrintStream err) {
        RingConfig config = RingConfig.of(a.intValue("--partitions", 1, 1)).withBlockSize(blockSize).withThreads(threads)
                .withDevice(Device.parse(a.get("--device"))).withPrecision(Precision.parse(a.get("--precision")))
                .withCheckpointInterval(a.intValue("--checkpoint-interval", RingConfig.DEFAULT_CHECKPOINT_INTERVAL, 1));
        try {
            if (a.get("--layout") != null) {
                config = config.withLayout(Layout.parse(a.get("--layout")));
            }
            if (a.get("--compression") != null) {
                config = config.withCompression(WireCompression.parse(a.get("--compression")));
            }
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
        SparkConf conf = SparkSettings.conf("ring-attention", a.get("--master"));
        BackendFactory.requireLocalGpu(config.device(), conf.get("spark.master"));
        conf.setIfMissing("spark.log.level", "WARN");
        List<DocumentBlock> blocks = DocumentBlock.split("input", spec, q.data(), k.data(), v.data(), segments,
                INPUT_BLOCK_ROWS);
        try (JavaSparkContext context = new JavaSparkContext(conf)) {
            if (a.get("--checkpoint-dir") != null) {
                context.setCheckpointDir(a.get("--checkpoint-dir"));
            }
            // A line as each of the ring's Spark jobs ends (plan, scatter, every step, finish): a long run shows
            // where it is. The ring names its jobs; this only listens.
            try (Progress progress = Progress.withJobLines(context.sc(), "attention", a.flag("--quiet") ? null : err,
                    0, description -> description.startsWith("ring "));
                 RingResult result = new RingAttention(context, spec, config)
                    .run(context.parallelize(blocks, blocks.size()))) {
                AttentionResult out = result.collect().get("input");
                err.println(result.stats().summary());
                return out;
            }
        }
    }
}
