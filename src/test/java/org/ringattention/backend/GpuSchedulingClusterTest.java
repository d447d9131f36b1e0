package org.ringattention.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.ring.DocumentBlock;
import org.ringattention.ring.OutputBlock;
import org.ringattention.ring.RingAttention;
import org.ringattention.ring.RingConfig;
import org.ringattention.ring.RingResult;
import org.ringattention.testing.LocalCluster;

/**
 * Spark's GPU scheduling as users configure it, on {@code local-cluster[2,2,1024]}: each worker's
 * discovery script (conf/gpu-discovery.sh, with CUDA_VISIBLE_DEVICES=0,1) announces two GPUs, executors
 * take both, tasks one each (conf/spark-gpu.conf's keys), and a ring job runs with {@code device gpu}.
 * The executors' GPUs are {@link StandInGpuDriver}s (the production host code on a simulated device) that
 * record, per attention call of a task, the ordinal the call ran on next to the addresses Spark assigned.
 * Plumbing only: the real kernels' arithmetic is checked by KernelEmulationTest and on hardware.
 */
class GpuSchedulingClusterTest {

    @TempDir
    static Path dir;

    private static JavaSparkContext context;
    private static Path record;

    @BeforeAll
    static void start() throws IOException {
        Path discovery = dir.resolve("two-gpus.sh");
        Files.writeString(discovery, "#!/usr/bin/env bash\nCUDA_VISIBLE_DEVICES=0,1 exec "
                + Path.of("conf/gpu-discovery.sh").toAbsolutePath() + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(discovery, PosixFilePermissions.fromString("rwxr-xr-x"));
        record = dir.resolve("stand-in.log");
        context = new JavaSparkContext(LocalCluster.conf(dir, "local-cluster[2,2,1024]", "gpu-scheduling-test",
                "-D" + GpuDriver.PROPERTY + "=" + StandInGpuDriver.class.getName()
                        + " -D" + StandInGpuDriver.LOG_PROPERTY + "=" + record)
                .set("spark.worker.resource.gpu.amount", "2")
                .set("spark.worker.resource.gpu.discoveryScript", discovery.toString())
                .set("spark.executor.resource.gpu.amount", "2")
                .set("spark.task.resource.gpu.amount", "1"));
        context.setLogLevel("WARN");
    }

    @AfterAll
    static void stop() {
        if (context != null) {
            context.stop();
        }
        LocalCluster.clear();
    }

    @Test
    void everyRingFoldRunsOnTheGpuSparkAssignedItsTaskAndEachExecutorOpensAGpuOnce() throws IOException {
        AttentionSpec spec = AttentionSpec.of(2, 1, 16, true);
        int length = 300;
        SplittableRandom random = new SplittableRandom(10);
        float[] q = uniform(random, length * spec.queryRowWidth());
        float[] k = uniform(random, length * spec.kvRowWidth());
        float[] v = uniform(random, length * spec.kvRowWidth());
        List<DocumentBlock> blocks = DocumentBlock.split("doc", spec, q, k, v, null, 64);
        RingConfig config = RingConfig.of(4).withBlockSize(16).withDevice(Device.GPU);
        float[] out = new float[length * spec.queryRowWidth()];
        try (RingResult result = new RingAttention(context, spec, config).run(context.parallelize(blocks, blocks.size()))) {
            for (OutputBlock b : result.outputs().collect()) {
                for (int i = 0; i < b.positions().length; i++) {
                    System.arraycopy(b.out(), i * spec.queryRowWidth(), out, b.positions()[i] * spec.queryRowWidth(),
                            spec.queryRowWidth());
                }
            }
        }
        AttentionResult want;
        try (CpuAttentionKernel cpu = CpuAttentionKernel.create(16, 1)) {
            TokenIndex index = TokenIndex.contiguous(0, length, null);
            want = cpu.attend(spec, new Queries(q, index), new KeysValues(k, v, index));
        }
        double worst = 0;
        for (int i = 0; i < out.length; i++) {
            worst = Math.max(worst, Math.abs(out[i] - want.out()[i]));
        }
        assertTrue(worst <= 1e-5, "the stand-in GPUs compute on the CPU: ring output within 1e-5, got " + worst);

        List<String> lines = Files.readAllLines(record);
        Map<String, Set<String>> openedPerProcess = new HashMap<>();
        Set<String> ordinals = new HashSet<>();
        int folds = 0;
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f[0].equals("open")) {
                assertTrue(openedPerProcess.computeIfAbsent(f[1], p -> new HashSet<>()).add(f[2]),
                        "process " + f[1] + " opened GPU " + f[2] + " twice: " + lines);
            } else {
                assertEquals("fold", f[0]);
                assertFalse(f[3].equals("-"), "a ring task ran without a GPU assigned: " + line);
                assertEquals(f[3].split(",")[0], f[2], "the fold ran on another GPU than Spark assigned: " + line);
                assertTrue(openedPerProcess.getOrDefault(f[1], Set.of()).contains(f[2]), "opened before use: " + line);
                ordinals.add(f[2]);
                folds++;
            }
        }
        assertTrue(folds >= 4 * 4, "every one of 4 positions x 4 steps folded a shard on a GPU: " + folds);
        assertEquals(Set.of("0", "1"), ordinals, "concurrent tasks on one executor got both GPUs: " + lines);
        assertEquals(2, openedPerProcess.size(), "two executors: " + openedPerProcess);
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return x;
    }
}
