package org.ringattention.ring;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
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
import org.ringattention.executor.GpuStages;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
 *   <li>"ring scatter": one shuffle puts each document's rows on its ring positions ({@link Scatter}).</li>
 *   <li>"ring step t/P": each position folds the KV shard it holds into its state while the next
 *       step's shard moves {@code r -> r+1} ({@link RingStep}).</li>
 *   <li>"ring finish": states become O and LSE, one {@link OutputBlock} per (position, document).</li>
 * </ol>
 * Memory: only the current step's states and shards stay cached (see {@link Job}).
 */
public final class RingAttention {

    private static final Logger LOG = LoggerFactory.getLogger(RingAttention.class);

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
        Job job = new Job(plan(blocks));
        JavaRDD<OutputBlock> outputs;
        try {
            JavaRDD<HomeShard> home = job.scatter(blocks);
            outputs = job.finish(home, job.steps(home));
        } catch (Throwable e) {
            // Spark's job failures reach Java as undeclared SparkExceptions: release on any of them.
            job.release();
            throw e;
        } finally {
            context.setJobDescription(null);
        }
        RingPlan plan = job.plan;
        double flops = 0;
        for (int d = 0; d < plan.documentCount(); d++) {
            flops += spec.flops(plan.document(d).length());
        }
        int partitions = config.partitions();
        RingStats stats = new RingStats(plan.tokens(), plan.documentCount(), plan.ringDocuments(), partitions,
                plan.layout(), partitions, job.stepBytes, job.scatterBytes, plan.imbalance(),
                (System.nanoTime() - start) / 1e9, flops);
        if (LOG.isInfoEnabled()) {
            LOG.info(stats.summary());
        }
        return new RingResult(spec, plan, outputs, stats);
    }

    /** Job "ring plan": collects every block's length and segment range; the driver decides placement. */
    private RingPlan plan(JavaRDD<DocumentBlock> blocks) {
        context.setJobDescription("ring plan: read block lengths");
        int qw = spec.queryRowWidth();
        int kw = spec.kvRowWidth();
        List<RingPlan.DocumentInfo> documents = documents(blocks.map(b -> describe(b, qw, kw)).collect());
        long tokens = documents.stream().mapToLong(RingPlan.DocumentInfo::length).sum();
        int partitions = config.partitions();
        int localLimit = config.localLimit() >= 0 ? config.localLimit() : (int) ((tokens + partitions - 1) / partitions);
        return RingPlan.of(documents, partitions, config.layoutFor(spec.causal()), spec.causal(), localLimit);
    }

    /**
     * One run of the ring over a plan: the scatter, the P steps and the finish, each one Spark job,
     * and the RDDs it keeps. Each step's states stay cached until the next step is materialized, then
     * go: a position holds one step's states and KV shards, never the whole history. With a
     * checkpoint directory on the context the home shards, and the states every
     * {@link RingConfig#checkpointInterval} steps, are checkpointed as well, which bounds the lineage a
     * lost executor replays.
     */
    private final class Job {

        private final RingPlan plan;
        private final ShippedSpec shipped = ShippedSpec.of(spec);
        private final RingPartitioner ring = new RingPartitioner(config.partitions());
        private final boolean checkpoint = context.getCheckpointDir().isPresent();
        private final String shape;
        /** Names this run's states among those an executor holds on its GPUs ({@link HeldStates}). */
        private final String run = UUID.randomUUID().toString();
        private final List<JavaRDD<?>> cached = new ArrayList<>();
        private final long[] stepBytes = new long[config.partitions()];
        private long scatterBytes;

        Job(RingPlan plan) {
            this.plan = plan;
            this.shape = plan.tokens() + " tokens, " + plan.documentCount() + " documents (" + plan.ringDocuments()
                    + " on the ring), P=" + config.partitions() + ", " + plan.layout();
        }

        /** Job "ring scatter": one shuffle puts each document's rows on its ring positions. */
        JavaRDD<HomeShard> scatter(JavaRDD<DocumentBlock> blocks) {
            Scatter scatter = new Scatter(shipped, plan, config);
            JavaRDD<HomeShard> home = blocks.flatMapToPair(scatter::pieces).partitionBy(ring)
                    .mapPartitionsWithIndex(scatter::assemble, true);
            keep(home, checkpoint);
            context.setJobDescription("ring scatter: " + shape);
            scatterBytes = home.map(HomeShard::receivedBytes).collect().stream().mapToLong(Long::longValue).sum();
            return home;
        }

        /**
         * Jobs "ring step t/P": at step t every position folds the KV shard it holds (its own at step 1)
         * while the shard for step t+1 moves {@code r -> r+1} (a shuffle whose fetch the fold hides,
         * see {@link RingStep}). Returns the last step's states.
         */
        JavaRDD<StepState> steps(JavaRDD<HomeShard> home) {
            RingStep ringStep = new RingStep(shipped, plan, config, run);
            int partitions = config.partitions();
            JavaRDD<StepState> state = null;
            for (int t = 0; t < partitions; t++) {
                int step = t;
                JavaRDD<Tuple2<HomeShard, StepState>> held = t == 0
                        ? home.map(h -> new Tuple2<>(h, (StepState) null))
                        : home.zipPartitions(state, (h, s) -> List.of(new Tuple2<>(h.next(), s.next())).iterator());
                JavaRDD<StepState> next;
                if (t + 1 < partitions) {
                    JavaRDD<KvShard> arriving = rotate(t == 0 ? home.map(HomeShard::ringKv) : state.map(StepState::next));
                    next = held.zipPartitions(arriving, (hs, a) -> {
                        Tuple2<HomeShard, StepState> x = hs.next();
                        return List.of(ringStep.fold(step, x._1(), x._2(), heldShard(x), a)).iterator();
                    });
                } else {
                    next = held.map(x -> ringStep.fold(step, x._1(), x._2(), heldShard(x), null));
                }
                // A fold runs on the task's GPU: only these stages (and the finish) ask the cluster for GPUs.
                next = GpuStages.onGpus(next, config.device());
                keep(next, checkpoint && (t + 1) % config.checkpointInterval() == 0);
                context.setJobDescription("ring step " + (t + 1) + "/" + partitions + ": "
                        + (t == 0 ? "each position folds its own KV block" : "each position folds the KV block it received")
                        + (t + 1 < partitions ? " while the next one moves one position" : "") + " (" + shape + ")");
                stepBytes[t] = next.map(StepState::kvBytes).collect().stream().mapToLong(Long::longValue).sum();
                if (state != null) {
                    // Step t is materialized: step t-1's states and shards are needed again only to
                    // recompute a lost partition, which lineage (or the last checkpoint) does.
                    state.unpersist(false);
                    cached.remove(state);
                }
                state = next;
            }
            return state;
        }

        /** The KV shards of {@code held}, each moved to the next ring position: {@code r -> r+1 mod P}. */
        private JavaRDD<KvShard> rotate(JavaRDD<KvShard> held) {
            int partitions = config.partitions();
            JavaRDD<Tuple2<Integer, KvShard>> moved = held.mapPartitionsWithIndex((r, shards) -> {
                List<Tuple2<Integer, KvShard>> out = new ArrayList<>();
                shards.forEachRemaining(shard -> out.add(new Tuple2<>((r + 1) % partitions, shard)));
                return out.iterator();
            }, false);
            return JavaPairRDD.fromJavaRDD(moved).partitionBy(ring).values();
        }

        /** Job "ring finish": states become O and LSE, one {@link OutputBlock} per (position, document). */
        JavaRDD<OutputBlock> finish(JavaRDD<HomeShard> home, JavaRDD<StepState> last) {
            RingStep ringStep = new RingStep(shipped, plan, config, run);
            JavaRDD<OutputBlock> outputs = GpuStages.onGpus(home.zipPartitions(last, (h, s) -> ringStep.finish(h.next(),
                    s.next())), config.device());
            keep(outputs, false);
            context.setJobDescription("ring finish: O and LSE of " + shape);
            outputs.count();
            cached.remove(outputs);
            release();
            return outputs;
        }

        private void keep(JavaRDD<?> rdd, boolean checkpointIt) {
            rdd.persist(StorageLevel.MEMORY_AND_DISK());
            if (checkpointIt) {
                rdd.checkpoint();
            }
            cached.add(rdd);
        }

        /** Unpersists what this run still caches (all of it, when a job failed). */
        void release() {
            for (JavaRDD<?> rdd : cached) {
                rdd.unpersist(false);
            }
            cached.clear();
        }
    }

    /** The shard a position folds at a step: its own at step 0, else the one that arrived during the last. */
    private static KvShard heldShard(Tuple2<HomeShard, StepState> homeAndState) {
        return homeAndState._2() == null ? homeAndState._1().ringKv() : homeAndState._2().next();
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
