package org.ringattention.ring;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Logger;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.ringattention.attention.AttentionSpec;
import scala.Tuple2;

/**
 * Ring attention over Spark (Liu et al., arXiv 2310.01889): exact attention of documents whose
 * tokens are sharded over P ring positions (Spark partitions). Each position keeps its query rows
 * and running state cached; KV blocks travel one position per step, one shuffle with a
 * {@link RingPartitioner} per step; after P steps every query has seen every key.
 *
 * <p>Job structure, each visible in the Spark UI by its description:
 * <ol>
 *   <li>"ring plan": collects block lengths; the driver decides layout and placement ({@link RingPlan}).</li>
 *   <li>"ring scatter": one shuffle puts each document's rows on its ring positions ({@link HomeShard}).</li>
 *   <li>"ring step t/P": the KV blocks move {@code r -> r+1} (a shuffle; step 1 uses the position's own
 *       block) and are folded into the states with {@code zipPartitions}.</li>
 *   <li>"ring finish": states become O and LSE, one {@link OutputBlock} per (position, document).</li>
 * </ol>
 * Lineage stays bounded: every step's states and KV blocks are persisted (memory, spilling to disk),
 * so a lost partition is recomputed from the previous step; with a checkpoint directory set on the
 * context they are also checkpointed, which survives the loss of executors, and older steps are
 * released.
 */
public final class RingAttention {

    private static final Logger LOG = Logger.getLogger(RingAttention.class.getName());

    private final JavaSparkContext context;
    private final AttentionSpec spec;
    private final RingConfig config;

    public RingAttention(JavaSparkContext context, AttentionSpec spec, RingConfig config) {
        this.context = context;
        this.spec = spec;
        this.config = config;
    }

    /** What the driver needs to know of one block. */
    private record BlockInfo(String document, int offset, int rows, int minSegment, int maxSegment)
            implements Serializable {
    }

    /**
     * Attention of the documents in a table of blocks with columns {@code document} (string),
     * {@code offset} (int), {@code q}, {@code k}, {@code v} (array of float) and optionally
     * {@code segments} (array of int), one row per {@link DocumentBlock}. The schema is checked before
     * any job runs.
     */
    public RingResult run(Dataset<Row> blocks) {
        StructType schema = blocks.schema();
        requireColumn(schema, "document", DataTypes.StringType);
        requireColumn(schema, "offset", DataTypes.IntegerType);
        for (String name : List.of("q", "k", "v")) {
            requireColumn(schema, name, DataTypes.createArrayType(DataTypes.FloatType));
        }
        boolean segmented = Arrays.asList(schema.fieldNames()).contains("segments");
        if (segmented) {
            requireColumn(schema, "segments", DataTypes.createArrayType(DataTypes.IntegerType));
        }
        return run(blocks.toJavaRDD().map(row -> new DocumentBlock(row.getAs("document"), row.<Integer>getAs("offset"),
                floats(row.getList(row.fieldIndex("q"))), floats(row.getList(row.fieldIndex("k"))),
                floats(row.getList(row.fieldIndex("v"))),
                segmented && !row.isNullAt(row.fieldIndex("segments"))
                        ? row.<Integer>getList(row.fieldIndex("segments")).stream().mapToInt(Integer::intValue).toArray()
                        : null)));
    }

    private static void requireColumn(StructType schema, String name, DataType type) {
        Optional<StructField> field = Arrays.stream(schema.fields()).filter(f -> f.name().equals(name)).findFirst();
        if (field.isEmpty()) {
            throw new IllegalArgumentException("document blocks need a column " + name + " of type "
                    + type.simpleString() + "; the table has " + schema.simpleString());
        }
        if (!field.get().dataType().sameType(type)) {
            throw new IllegalArgumentException("column " + name + " is " + field.get().dataType().simpleString()
                    + "; cast it to " + type.simpleString());
        }
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    /** Attention of every document in {@code blocks}; the returned outputs are cached until closed. */
    public RingResult run(JavaRDD<DocumentBlock> blocks) {
        long start = System.nanoTime();
        int partitions = config.partitions();
        context.setJobDescription("ring plan: read block lengths");
        int qw = spec.queryRowWidth();
        int kw = spec.kvRowWidth();
        List<BlockInfo> infos = blocks.map(b -> describe(b, qw, kw)).collect();
        List<RingPlan.DocumentInfo> documents = documents(infos);
        long tokens = documents.stream().mapToLong(RingPlan.DocumentInfo::length).sum();
        int localLimit = config.localLimit() >= 0 ? config.localLimit() : (int) ((tokens + partitions - 1) / partitions);
        RingPlan plan = RingPlan.of(documents, partitions, config.layoutFor(spec.causal()), spec.causal(), localLimit);
        RingTasks tasks = new RingTasks(spec, plan, config);
        RingPartitioner ring = new RingPartitioner(partitions);
        boolean checkpoint = context.getCheckpointDir().isPresent();
        if (checkpoint) {
            // A step's job acts on its states; without this Spark checkpoints only the nearest marked
            // RDD and the KV blocks it zips with would keep their lineage back to the scatter.
            context.setLocalProperty("spark.checkpoint.checkpointAllMarkedAncestors", "true");
        }
        String shape = plan.tokens() + " tokens, " + plan.documentCount() + " documents (" + plan.ringDocuments()
                + " on the ring), P=" + partitions + ", " + plan.layout();

        JavaRDD<HomeShard> home = blocks.flatMapToPair(tasks::scatter).partitionBy(ring)
                .mapPartitionsWithIndex(tasks::assemble, true);
        keep(home, checkpoint);
        context.setJobDescription("ring scatter: " + shape);
        long scatterBytes = home.map(HomeShard::receivedBytes).collect().stream().mapToLong(Long::longValue).sum();

        List<JavaRDD<?>> cached = new ArrayList<>();
        JavaPairRDD<Integer, ArrowBlock> kv = home.mapToPair(h -> new Tuple2<>(h.position(), h.ringKv()));
        JavaRDD<StepState> state = null;
        long[] stepBytes = new long[partitions];
        for (int t = 0; t < partitions; t++) {
            int step = t;
            if (t > 0) {
                kv = kv.mapToPair(e -> new Tuple2<>((e._1() + 1) % partitions, e._2())).partitionBy(ring);
                keep(kv, checkpoint);
            }
            JavaRDD<StepState> next = t == 0
                    ? home.zipPartitions(kv.values(), (h, b) -> {
                        HomeShard shard = h.next();
                        return List.of(tasks.fold(step, shard.position(), shard, null, b.next())).iterator();
                    })
                    : home.zipPartitions(state, (h, s) -> List.of(new Tuple2<>(h.next(), s.next())).iterator())
                            .zipPartitions(kv.values(), (hs, b) -> {
                                Tuple2<HomeShard, StepState> pair = hs.next();
                                return List.of(tasks.fold(step, pair._1().position(), pair._1(), pair._2(), b.next()))
                                        .iterator();
                            });
            keep(next, checkpoint);
            context.setJobDescription("ring step " + (t + 1) + "/" + partitions + ": "
                    + (t == 0 ? "each position folds its own KV block" : "KV blocks move one position and are folded")
                    + " (" + shape + ")");
            stepBytes[t] = next.map(StepState::kvBytes).collect().stream().mapToLong(Long::longValue).sum();
            if (state != null) {
                // Step t is materialized (and checkpointed, when a directory is set): step t-1's states
                // and blocks are needed again only to recompute a lost partition, which lineage does.
                release(cached);
            }
            cached.add(next);
            if (t > 0) {
                cached.add(kv.rdd().toJavaRDD());
            }
            state = next;
        }

        JavaRDD<OutputBlock> outputs = home.zipPartitions(state, (h, s) -> tasks.finish(h.next(), s.next()));
        outputs.persist(StorageLevel.MEMORY_AND_DISK());
        context.setJobDescription("ring finish: O and LSE of " + shape);
        outputs.count();
        release(cached);
        home.unpersist(false);
        context.setJobDescription(null);
        context.setLocalProperty("spark.checkpoint.checkpointAllMarkedAncestors", null);

        double seconds = (System.nanoTime() - start) / 1e9;
        double flops = 0;
        for (int d = 0; d < plan.documentCount(); d++) {
            flops += spec.flops(plan.document(d).length());
        }
        RingStats stats = new RingStats(plan.tokens(), plan.documentCount(), plan.ringDocuments(), partitions,
                plan.layout(), partitions, stepBytes, scatterBytes, plan.imbalance(), seconds, flops);
        LOG.info(stats::summary);
        return new RingResult(spec, plan, outputs, stats);
    }

    private static void keep(JavaRDD<?> rdd, boolean checkpoint) {
        rdd.persist(StorageLevel.MEMORY_AND_DISK());
        if (checkpoint) {
            rdd.checkpoint();
        }
    }

    private static void keep(JavaPairRDD<?, ?> rdd, boolean checkpoint) {
        rdd.persist(StorageLevel.MEMORY_AND_DISK());
        if (checkpoint) {
            rdd.checkpoint();
        }
    }

    private static void release(List<JavaRDD<?>> cached) {
        for (JavaRDD<?> rdd : cached) {
            rdd.unpersist(false);
        }
        cached.clear();
    }

    /** Checks one block against the spec; messages name the document and block, never its values. */
    private static BlockInfo describe(DocumentBlock b, int qw, int kw) {
        String where = "document " + b.document() + " block at token " + b.offset();
        if (b.document() == null) {
            throw new IllegalArgumentException("a document block has no id; give every block its document's id");
        }
        if (b.q() == null || b.k() == null || b.v() == null || b.q().length % qw != 0) {
            throw new IllegalArgumentException(where + ": Q must hold whole rows of " + qw + " floats (Hq x D)");
        }
        int rows = b.q().length / qw;
        if (b.k().length != rows * kw || b.v().length != rows * kw) {
            throw new IllegalArgumentException(where + ": K and V must hold " + rows + " rows of " + kw
                    + " floats (Hkv x D) like Q, got " + b.k().length + " and " + b.v().length + " floats");
        }
        if (b.offset() < 0) {
            throw new IllegalArgumentException(where + ": the offset must not be negative");
        }
        int min = 0;
        int max = 0;
        if (b.segments() != null) {
            if (b.segments().length != rows) {
                throw new IllegalArgumentException(where + ": " + b.segments().length + " segment ids for "
                        + rows + " rows; give one per row");
            }
            min = Integer.MAX_VALUE;
            max = Integer.MIN_VALUE;
            for (int s : b.segments()) {
                min = Math.min(min, s);
                max = Math.max(max, s);
            }
        }
        return new BlockInfo(b.document(), b.offset(), rows, min, max);
    }

    /** Documents from their blocks, checking that each document's blocks tile {@code [0, length)}. */
    private static List<RingPlan.DocumentInfo> documents(List<BlockInfo> infos) {
        Map<String, List<BlockInfo>> byDocument = new TreeMap<>();
        for (BlockInfo info : infos) {
            byDocument.computeIfAbsent(info.document(), k -> new ArrayList<>()).add(info);
        }
        List<RingPlan.DocumentInfo> documents = new ArrayList<>();
        for (Map.Entry<String, List<BlockInfo>> e : byDocument.entrySet()) {
            List<BlockInfo> parts = e.getValue();
            parts.sort(Comparator.comparingInt(BlockInfo::offset));
            long next = 0;
            int min = Integer.MAX_VALUE;
            int max = Integer.MIN_VALUE;
            for (BlockInfo part : parts) {
                if (part.offset() != next) {
                    throw new IllegalArgumentException("document " + e.getKey() + " has a block at token " + part.offset()
                            + " where token " + next + " was expected; its blocks must cover 0..length-1 once");
                }
                next += part.rows();
                if (next > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("document " + e.getKey() + " has more than 2^31-1 tokens");
                }
                if (part.rows() > 0) {
                    min = Math.min(min, part.minSegment());
                    max = Math.max(max, part.maxSegment());
                }
            }
            if (next == 0) {
                throw new IllegalArgumentException("document " + e.getKey() + " has no tokens; drop it or give it rows");
            }
            documents.add(new RingPlan.DocumentInfo(e.getKey(), (int) next, min, max));
        }
        return documents;
    }
}
