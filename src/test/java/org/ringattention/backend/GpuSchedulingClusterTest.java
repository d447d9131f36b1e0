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
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
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
import org.ringattention.executor.GpuStages;
import org.ringattention.ring.DocumentBlock;
import org.ringattention.ring.OutputBlock;
import org.ringattention.ring.RingAttention;
import org.ringattention.ring.RingConfig;
import org.ringattention.ring.RingResult;
import org.ringattention.summarize.SentenceCentrality;
import org.ringattention.summarize.SentenceEmbeddings;
import org.ringattention.testing.LocalCluster;

/**
 * Spark's GPU scheduling as users configure it, on {@code local-cluster[2,2,1024]}: each worker's
 * discovery script (conf/gpu-discovery.sh, with CUDA_VISIBLE_DEVICES=0,1) announces two GPUs, executors
 * take both (conf/spark-gpu.conf's keys), and tasks ask for none by default: only the stages that embed and
 * attend ask for one, through a stage's ResourceProfile ({@code GpuStages}, here one task per GPU).
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
                .set(GpuStages.TASKS_PER_GPU, "1"));
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
            } else if (!f[0].equals("embed")) {
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

    /**
     * Stage-level scheduling: a plain stage's tasks hold no GPU; a stage marked by {@link GpuStages} gets a
     * profile of its own and every task in it a GPU; the nightly job's embedding and attention stages are such
     * stages, and every encoder and attention call of theirs ran on the GPU Spark assigned to its task.
     */
    @Test
    void onlyTheEmbeddingAndAttentionStagesAskForGpus() throws IOException {
        assertEquals(GpuStages.Mode.TASK_PROFILE, GpuStages.mode(context.getConf()));
        List<Integer> profiles = new CopyOnWriteArrayList<>();
        SparkListener listener = new SparkListener() {
            @Override
            public void onStageSubmitted(SparkListenerStageSubmitted stage) {
                profiles.add(stage.stageInfo().resourceProfileId());
            }
        };
        context.sc().addSparkListener(listener);
        try {
            List<String> plain = context.parallelize(List.of(1, 2, 3, 4), 4).map(i -> taskGpus()).collect();
            assertEquals(List.of("-", "-", "-", "-"), plain, "tasks of an ordinary stage hold no GPU");
            List<String> onGpus = GpuStages.onGpus(context.parallelize(List.of(1, 2, 3, 4), 4), Device.GPU)
                    .map(i -> taskGpus()).collect();
            assertFalse(onGpus.contains("-"), "every task of a GPU stage has a GPU: " + onGpus);
            assertEquals(2, profiles.size());
            assertEquals(0, profiles.get(0), "the default profile");
            assertTrue(profiles.get(1) > 0, "a profile of its own: " + profiles);

            // The record is shared with the other test (its "open" lines included): read only what this adds.
            int before = Files.exists(record) ? Files.readAllLines(record).size() : 0;
            SparkSession spark = SparkSession.builder().sparkContext(context.sc()).getOrCreate();
            StructType schema = new StructType().add("doc_id", DataTypes.StringType)
                    .add("sentences", DataTypes.createArrayType(DataTypes.StringType, false));
            List<Row> docs = List.of(
                    RowFactory.create("a", List.of("The ring moves keys.", "Queries stay home.")),
                    RowFactory.create("b", List.of("GPUs are held only when used.", "Stages ask.",
                            "The rest runs on the CPU.")));
            Dataset<Row> in = spark.createDataFrame(docs, schema).repartition(2);
            profiles.clear();
            List<Row> out = new SentenceCentrality().setDevice("gpu").setRingThreshold(0)
                    .transform(new SentenceEmbeddings().setDevice("gpu").transform(in))
                    .select("doc_id", "centrality").collectAsList();
            assertEquals(2, out.size());
            assertTrue(profiles.stream().anyMatch(id -> id == 0) && profiles.stream().anyMatch(id -> id > 0),
                    "the repartition's map stage asks for nothing, the embedding and attention stage for GPUs: " + profiles);
            int calls = 0;
            List<String> added = Files.readAllLines(record);
            for (String line : added.subList(before, added.size())) {
                String[] f = line.split(" ");
                if (f[0].equals("embed") || f[0].equals("fold")) {
                    assertFalse(f[3].equals("-"), "an encoder or attention call without a GPU assigned: " + line);
                    assertEquals(f[3].split(",")[0], f[2], "ran on another GPU than Spark assigned: " + line);
                    calls++;
                }
            }
            assertTrue(calls >= 2, "both documents were embedded and attended on GPUs: " + calls);
        } finally {
            context.sc().removeSparkListener(listener);
        }
    }

    /** The GPU addresses Spark gave the running task, or "-". */
    private static String taskGpus() {
        ResourceInformation gpu = TaskContext.get().resourcesJMap().get("gpu");
        return gpu == null ? "-" : String.join(",", gpu.addresses());
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return x;
    }
}
