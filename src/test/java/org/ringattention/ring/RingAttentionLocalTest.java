package org.ringattention.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.ringattention.ring.RingFixture.assertBitIdentical;
import static org.ringattention.ring.RingFixture.assertMatchesKernel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
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

/** Ring attention in one JVM ({@code local[2]}, tasks retried up to 3 times) against the single-machine kernel. */
class RingAttentionLocalTest {

    private static JavaSparkContext context;
    private static final ConcurrentLinkedQueue<String> JOB_DESCRIPTIONS = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() {
        context = new JavaSparkContext(new SparkConf().setMaster("local[2,3]").setAppName("ring-local-test")
                .set("spark.ui.enabled", "false").set("spark.sql.shuffle.partitions", "4"));
        context.setLogLevel("WARN");
        context.sc().addSparkListener(new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                String description = start.properties() == null ? null
                        : start.properties().getProperty("spark.job.description");
                if (description != null) {
                    JOB_DESCRIPTIONS.add(description);
                }
            }
        });
    }

    @AfterAll
    static void stop() {
        context.stop();
    }

    /** Three documents: long and packed (negative, unordered ids), medium, short; none a multiple of P or 16. */
    static List<RingFixture.Doc> corpus(AttentionSpec spec) {
        return List.of(RingFixture.doc(spec, "long", 203, RingFixture.packedSegments(203), 11),
                RingFixture.doc(spec, "medium", 97, null, 12),
                RingFixture.doc(spec, "short", 11, null, 13));
    }

    static Map<String, AttentionResult> run(JavaSparkContext context, AttentionSpec spec, List<RingFixture.Doc> docs,
                                            RingConfig config) {
        List<DocumentBlock> blocks = new ArrayList<>();
        for (RingFixture.Doc doc : docs) {
            blocks.addAll(RingFixture.blocks(spec, doc, 64));
        }
        try (RingResult result = new RingAttention(context, spec, config).run(context.parallelize(blocks, 3))) {
            return result.collect();
        }
    }

    @Test
    void matchesTheKernelForEveryRingSizeLayoutAndMask() {
        int runs = 0;
        for (boolean causal : new boolean[] {false, true}) {
            AttentionSpec spec = AttentionSpec.of(4, 2, 8, causal);
            List<RingFixture.Doc> docs = corpus(spec);
            for (int parts : new int[] {1, 2, 3, 4, 7}) {
                for (Layout layout : Layout.values()) {
                    RingConfig config = RingConfig.of(parts).withLayout(layout).withBlockSize(16);
                    assertMatchesKernel(spec, docs, run(context, spec, docs, config),
                            "P=" + parts + " " + layout + (causal ? " causal" : ""));
                    runs++;
                }
            }
        }
        assertEquals(2 * 5 * 3, runs);
    }

    @Test
    void everyDocumentOnTheRingWithMultiHeadAttentionAndCompression() {
        AttentionSpec spec = AttentionSpec.of(3, 3, 16, true);
        List<RingFixture.Doc> docs = corpus(spec);
        int runs = 0;
        for (WireCompression compression : WireCompression.values()) {
            RingConfig config = RingConfig.of(4).withLocalLimit(0).withCompression(compression).withBlockSize(16);
            assertMatchesKernel(spec, docs, run(context, spec, docs, config), "all on the ring, " + compression);
            runs++;
        }
        assertEquals(3, runs);
    }

    @Test
    void mixedBatchIsBalancedAndExact() {
        AttentionSpec spec = AttentionSpec.of(2, 1, 8, true);
        SplittableRandom random = new SplittableRandom(5);
        List<RingFixture.Doc> docs = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int length = i % 8 == 0 ? 300 + random.nextInt(200) : 5 + random.nextInt(60);
            docs.add(RingFixture.doc(spec, String.format("d%02d", i), length, null, 100 + i));
        }
        List<DocumentBlock> blocks = new ArrayList<>();
        for (RingFixture.Doc doc : docs) {
            blocks.addAll(RingFixture.blocks(spec, doc, 64));
        }
        try (RingResult result = new RingAttention(context, spec, RingConfig.of(4).withBlockSize(16))
                .run(context.parallelize(blocks, 4))) {
            assertTrue(result.stats().imbalance() <= RingPlan.TARGET_IMBALANCE, "imbalance " + result.stats().imbalance());
            assertTrue(result.stats().ringDocuments() > 0 && result.stats().ringDocuments() < docs.size(),
                    "some documents ride the ring, the rest stay local: " + result.stats().ringDocuments());
            assertMatchesKernel(spec, docs, result.collect(), "mixed batch");
        }
    }

    @Test
    void stepsAreDescribedAndSummarized() {
        AttentionSpec spec = AttentionSpec.of(2, 2, 8, false);
        JOB_DESCRIPTIONS.clear();
        RingStats stats;
        try (RingResult result = new RingAttention(context, spec, RingConfig.of(4).withLocalLimit(0))
                .run(context.parallelize(RingFixture.blocks(spec, RingFixture.doc(spec, "x", 100, null, 3), 30), 2))) {
            stats = result.stats();
        }
        assertEquals(4, stats.steps());
        assertEquals(0, stats.stepBytes()[0] == 0 ? 1 : 0, "step 1 folds the own block, which has bytes");
        // 100 tokens x 2 heads x 8 floats x (K + V) = 12800 payload bytes go round each step, as the
        // 7 pieces the 30-token input blocks were cut into (about 1.2 kB of Arrow framing each).
        for (int t = 1; t < 4; t++) {
            assertTrue(stats.stepBytes()[t] > 12_800 && stats.stepBytes()[t] < 23_000, "step bytes " + stats.stepBytes()[t]);
        }
        assertTrue(stats.summary().matches("ring attention: 100 tokens in 1 documents \\(1 on the ring, 0 local\\), P=4,"
                + " layout contiguous, 4 steps, .* MB shuffled .* GFLOP/s"), stats.summary());
        long deadline = System.currentTimeMillis() + 10_000;
        while (JOB_DESCRIPTIONS.stream().noneMatch(d -> d.startsWith("ring finish")) && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }
        for (int t = 1; t <= 4; t++) {
            String prefix = "ring step " + t + "/4: ";
            assertTrue(JOB_DESCRIPTIONS.stream().anyMatch(d -> d.startsWith(prefix)), prefix + " in " + JOB_DESCRIPTIONS);
        }
    }

    @Test
    void datasetOfBlocksGivesTheSameBitsAsTheRdd() {
        AttentionSpec spec = AttentionSpec.of(4, 2, 8, true);
        List<RingFixture.Doc> docs = corpus(spec);
        RingConfig config = RingConfig.of(3).withBlockSize(16);
        List<Row> rows = new ArrayList<>();
        for (RingFixture.Doc doc : docs) {
            for (DocumentBlock b : RingFixture.blocks(spec, doc, 64)) {
                rows.add(RowFactory.create(b.document(), b.offset(), b.q(), b.k(), b.v(), b.segments()));
            }
        }
        StructType schema = new StructType()
                .add("document", DataTypes.StringType).add("offset", DataTypes.IntegerType)
                .add("q", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("k", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("v", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("segments", DataTypes.createArrayType(DataTypes.IntegerType, false));
        SparkSession spark = SparkSession.builder().getOrCreate();
        Dataset<Row> table = spark.createDataFrame(rows, schema);
        Map<String, AttentionResult> fromTable;
        try (RingResult result = new RingAttention(context, spec, config).run(table)) {
            fromTable = result.collect();
        }
        assertBitIdentical(run(context, spec, docs, config), fromTable);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RingAttention(context, spec, config).run(table.drop("k")));
        assertTrue(e.getMessage().startsWith("document blocks need a column k of type array<float>"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RingAttention(context, spec, config)
                .run(table.withColumn("offset", table.col("offset").cast("long"))));
        assertEquals("column offset is bigint; cast it to int", e.getMessage());
    }

    @Test
    void aTaskFailingOnceAtARandomPhaseGivesTheSameBits(@TempDir Path dir) throws Exception {
        AttentionSpec spec = AttentionSpec.of(4, 2, 8, true);
        List<RingFixture.Doc> docs = corpus(spec);
        RingConfig config = RingConfig.of(4).withBlockSize(16);
        Map<String, AttentionResult> clean = run(context, spec, docs, config);
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        // -1 is the scatter, 0..3 the ring steps, 4 the finish.
        int step = random.nextInt(6) - 1;
        int position = random.nextInt(4);
        String where = "step " + step + ", position " + position + " (seed " + seed + ")";
        String marker = dir.resolve("failed").toString();
        Map<String, AttentionResult> retried = run(context, spec, docs, config.withHook((phase, s, p) -> {
            if (s == step && p == position && Files.notExists(Path.of(marker))) {
                Files.createFile(Path.of(marker));
                throw new IllegalStateException("injected failure in the " + phase + " at " + where);
            }
        }));
        assertTrue(Files.exists(Path.of(marker)), "the fault was injected at " + where);
        assertBitIdentical(clean, retried);
        assertMatchesKernel(spec, docs, retried, "after a retried task at " + where);
    }

    @Test
    void sameInputsGiveTheSameBitsWhateverTheInputPartitioning() {
        AttentionSpec spec = AttentionSpec.of(4, 2, 8, true);
        List<RingFixture.Doc> docs = corpus(spec);
        RingConfig config = RingConfig.of(3).withLayout(Layout.STRIPED).withBlockSize(16);
        List<DocumentBlock> blocks = new ArrayList<>();
        for (RingFixture.Doc doc : docs) {
            blocks.addAll(RingFixture.blocks(spec, doc, 64));
        }
        List<DocumentBlock> reversed = new ArrayList<>(blocks);
        java.util.Collections.reverse(reversed);
        Map<String, AttentionResult> a;
        Map<String, AttentionResult> b;
        try (RingResult r = new RingAttention(context, spec, config).run(context.parallelize(blocks, 1))) {
            a = r.collect();
        }
        try (RingResult r = new RingAttention(context, spec, config).run(context.parallelize(reversed, 5))) {
            b = r.collect();
        }
        assertBitIdentical(a, b);
    }
}
