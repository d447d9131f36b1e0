package org.ringattention.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ringattention.ring.RingFixture.assertBitIdentical;
import static org.ringattention.ring.RingFixture.assertMatchesKernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.testing.LocalCluster;

/**
 * Ring attention with executors in separate JVMs ({@code local-cluster[2,1,1024]}), so every block
 * and closure crosses real serialization, with a reliable checkpoint directory, and an executor
 * killed mid-job.
 */
class RingAttentionClusterTest {

    @TempDir
    static Path dir;

    private static JavaSparkContext context;

    @BeforeAll
    static void start() throws IOException {
        context = new JavaSparkContext(LocalCluster.conf(dir, "local-cluster[2,1,1024]", "ring-cluster-test", ""));
        context.setLogLevel("WARN");
        context.setCheckpointDir(dir.resolve("checkpoints").toString());
    }

    @AfterAll
    static void stop() {
        if (context != null) {
            context.stop();
        }
        LocalCluster.clear();
    }

    /** RDDs written to the checkpoint directory so far. */
    private static long checkpointed() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(new org.apache.hadoop.fs.Path(context.getCheckpointDir().get()).toUri().getPath()))) {
            return files.filter(f -> f.getFileName().toString().startsWith("rdd-")).count();
        }
    }

    @Test
    void matchesTheKernelAcrossJvms() throws IOException {
        AttentionSpec causal = AttentionSpec.of(4, 2, 8, true);
        List<RingFixture.Doc> docs = RingAttentionLocalTest.corpus(causal);
        long before = checkpointed();
        assertMatchesKernel(causal, docs, RingAttentionLocalTest.run(context, causal, docs,
                RingConfig.of(3).withBlockSize(16).withCheckpointInterval(2)), "cluster P=3 zigzag causal");
        // The home shards and the states of step 2: every second step, as asked.
        assertEquals(2, checkpointed() - before, "RDDs checkpointed by a P=3 job, interval 2");
        AttentionSpec full = AttentionSpec.of(2, 2, 8, false);
        List<RingFixture.Doc> fullDocs = RingAttentionLocalTest.corpus(full);
        assertMatchesKernel(full, fullDocs, RingAttentionLocalTest.run(context, full, fullDocs,
                RingConfig.of(4).withLayout(Layout.STRIPED).withCompression(WireCompression.ZSTD).withBlockSize(16)),
                "cluster P=4 striped zstd");
    }

    @Test
    void anExecutorKilledMidJobGivesTheSameBits() {
        AttentionSpec spec = AttentionSpec.of(4, 2, 8, true);
        List<RingFixture.Doc> docs = RingAttentionLocalTest.corpus(spec);
        RingConfig config = RingConfig.of(4).withBlockSize(16).withLocalLimit(0);
        Map<String, AttentionResult> clean = RingAttentionLocalTest.run(context, spec, docs, config);
        SplittableRandom random = new SplittableRandom(System.nanoTime());
        int step = 1 + random.nextInt(3);
        int position = random.nextInt(4);
        String marker = dir.resolve("killed").toString();
        Map<String, AttentionResult> recovered = RingAttentionLocalTest.run(context, spec, docs, config.withHook((phase, s, p) -> {
            if (phase == StepHook.Phase.STEP && s == step && p == position) {
                try {
                    Files.createFile(Path.of(marker));
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    return;
                }
                // As abrupt as kill -9: no shutdown hooks, the executor's cached blocks and shuffle files are gone.
                Runtime.getRuntime().halt(137);
            }
        }));
        assertTrue(Files.exists(Path.of(marker)), "an executor was killed at step " + step + ", position " + position);
        assertBitIdentical(clean, recovered);
        assertMatchesKernel(spec, docs, recovered, "after an executor loss");
    }
}
