package org.ringattention.summarize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.backend.Device;
import org.ringattention.gpu.Precision;
import org.ringattention.ring.DocumentBlock;
import org.ringattention.ring.RingAttention;
import org.ringattention.ring.RingConfig;
import org.ringattention.ring.RingResult;
import org.ringattention.ring.StepHook;
import scala.Tuple2;

/**
 * {@link Centrality} for documents with too many sentences for one task: both passes run as ring
 * attention over Spark, so no task ever holds a document's {@code N x N} work.
 *
 * <p>The second pass needs {@code mass_j = sum_i exp(s_ij - LSE_i)}, a sum over queries, while the ring
 * sums over keys. Swapping the roles turns it into ordinary attention with one extra dimension:
 * queries {@code q'_j = [e_j / T, 1]}, keys {@code k'_i = [e_i, -LSE_i]} and scale 1 give logits
 * {@code e_j . e_i / T - LSE_i}, so the second ring's log-sum-exp is exactly {@code ln mass_j}.
 */
final class RingCentrality {

    /** Where the document id, its sentences and their vectors are in the input rows; whether to add context. */
    record Columns(int idAt, int sentencesAt, int embeddingsAt, boolean withContext) implements Serializable {
    }

    /** The attention's temperature, the ring's positions, its tile edge, device and GPU precision. */
    record Settings(double temperature, int partitions, int blockSize, Device device, Precision precision)
            implements Serializable {
    }

    /** One document after the first pass: its vectors, their attention outputs and log-sum-exps, in token order. */
    private static final class Attended implements Serializable {
        private static final long serialVersionUID = 1L;
        final float[] embeddings;
        final float[] context;
        final float[] lse;

        Attended(float[] embeddings, float[] context, float[] lse) {
            this.embeddings = embeddings;
            this.context = context;
            this.lse = lse;
        }
    }

    /** One document's ring output in token order: {@code O (N, width)} and {@code LSE (N)}. */
    private static final class Output implements Serializable {
        private static final long serialVersionUID = 1L;
        final float[] out;
        final float[] lse;

        Output(float[] out, float[] lse) {
            this.out = out;
            this.lse = lse;
        }
    }

    private RingCentrality() {
    }

    /**
     * Rows of {@code large} with centrality (and context when asked) appended, as in {@code schema}:
     * materialized and persisted (the rings' own state is released before this returns), so the caller
     * unpersists it when done. Each document rides a ring of its own, one after the other: on a shared ring
     * a document's rows would sit in the ring's tiles at offsets set by the other riders, which changes the
     * order of its sums and so the last bits of its centrality. Alone, its centrality depends on its own
     * vectors and the ring's positions only, and a summary carried from an earlier night is the one a
     * recompute would give. {@code meter}, when not null, counts each ring step's share of the work.
     */
    static Dataset<Row> transform(Dataset<Row> large, StructType schema, Columns columns, Settings settings,
                                  WorkMeter meter) {
        int idAt = columns.idAt();
        int sentencesAt = columns.sentencesAt();
        List<Tuple2<String, Integer>> documents = new ArrayList<>(large.toJavaRDD()
                .map(r -> new Tuple2<>(r.getString(idAt), r.getList(sentencesAt).size())).collect());
        documents.sort(Comparator.comparing(Tuple2::_1));
        int d = dimension(large, sentencesAt, columns.embeddingsAt());
        List<Dataset<Row>> parts = new ArrayList<>();
        try {
            for (Tuple2<String, Integer> doc : documents) {
                String id = doc._1();
                large.sparkSession().sparkContext().setJobDescription("sentence centrality: ring for document " + id
                        + " (" + doc._2() + " sentences)");
                long stepWork = WorkMeter.attentionWork(doc._2(), d) / 2 / ((long) settings.partitions() * settings.partitions());
                long start = System.nanoTime();
                parts.add(one(large.filter((FilterFunction<Row>) r -> id.equals(r.getString(idAt))), schema, columns,
                        settings, d, hook(meter, stepWork)));
                if (meter != null) {
                    meter.timed(new WorkMeter.DocumentTime(id, 0, doc._2(), (System.nanoTime() - start) / 1e9));
                }
            }
            Dataset<Row> all = parts.stream().reduce(Dataset::union).orElseThrow().persist(StorageLevel.MEMORY_AND_DISK());
            all.count();
            return all;
        } finally {
            parts.forEach(p -> p.unpersist(false));
        }
    }

    /**
     * The ring's hook: each position's fold of a step adds its share of a pass's work to {@code meter}; a
     * fault drill's points come after. Null when there is nothing to call.
     */
    private static StepHook hook(WorkMeter meter, long stepWork) {
        StepHook faults = FaultPoints.installed() ? FaultPoints.ringHook() : null;
        if (meter == null) {
            return faults;
        }
        return (phase, step, position) -> {
            if (phase == StepHook.Phase.STEP) {
                meter.attended(stepWork);
            }
            if (faults != null) {
                faults.after(phase, step, position);
            }
        };
    }

    /** Both passes for the one document of {@code large} on one ring; its rows with centrality, persisted. */
    private static Dataset<Row> one(Dataset<Row> large, StructType schema, Columns columns, Settings settings, int d,
                                    StepHook hook) {
        SparkSession spark = large.sparkSession();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int idAt = columns.idAt();
        int embeddingsAt = columns.embeddingsAt();
        boolean withContext = columns.withContext();
        int blockSize = settings.blockSize();
        JavaPairRDD<String, Row> rows = large.toJavaRDD().mapToPair(r -> new Tuple2<>(r.getString(idAt), r));
        JavaPairRDD<String, float[]> vectors = rows.mapValues(r -> Floats.fromBytes((byte[]) r.get(embeddingsAt)));
        RingConfig config = RingConfig.of(settings.partitions()).withBlockSize(blockSize).withLocalLimit(0)
                .withDevice(settings.device()).withPrecision(settings.precision());
        if (hook != null) {
            config = config.withHook(hook);
        }

        AttentionSpec first = Centrality.spec(d, settings.temperature());
        JavaRDD<DocumentBlock> firstBlocks = vectors.flatMap(v ->
                DocumentBlock.split(v._1(), first, v._2(), v._2(), v._2(), null, blockSize).iterator());
        try (RingResult pass1 = new RingAttention(jsc, first, config).run(firstBlocks)) {
            JavaPairRDD<String, Attended> attended = vectors.join(gather(pass1))
                    .mapValues(v -> new Attended(v._1(), v._2().out, v._2().lse));
            attended.persist(StorageLevel.MEMORY_AND_DISK());
            try {
                float inv = (float) (1.0 / settings.temperature());
                AttentionSpec second = new AttentionSpec(1, 1, d + 1, 1f, false);
                JavaRDD<DocumentBlock> secondBlocks = attended.flatMap(a -> {
                    float[] e = a._2().embeddings;
                    float[] lse = a._2().lse;
                    int n = lse.length;
                    float[] q = new float[n * (d + 1)];
                    float[] k = new float[n * (d + 1)];
                    for (int i = 0; i < n; i++) {
                        for (int c = 0; c < d; c++) {
                            q[i * (d + 1) + c] = e[i * d + c] * inv;
                            k[i * (d + 1) + c] = e[i * d + c];
                        }
                        q[i * (d + 1) + d] = 1f;
                        k[i * (d + 1) + d] = -lse[i];
                    }
                    return DocumentBlock.split(a._1(), second, q, k, k, null, blockSize).iterator();
                });
                try (RingResult pass2 = new RingAttention(jsc, second, config).run(secondBlocks)) {
                    JavaRDD<Row> out = rows.join(attended.join(gather(pass2))).values().map(v -> {
                        Row row = v._1();
                        Attended a = v._2()._1();
                        float[] logMass = v._2()._2().lse;
                        int n = a.lse.length;
                        float[] mass = new float[n];
                        for (int j = 0; j < n; j++) {
                            mass[j] = (float) Math.exp(logMass[j]);
                        }
                        double[] c = Centrality.withoutSelf(mass, a.embeddings, a.lse, n, d, inv);
                        return withContext ? DocumentStage.appended(row, DocumentStage.doubles(c), Floats.toBytes(a.context))
                                : DocumentStage.appended(row, DocumentStage.doubles(c));
                    });
                    Dataset<Row> result = spark.createDataFrame(out, schema).persist(StorageLevel.MEMORY_AND_DISK());
                    spark.sparkContext().setJobDescription("sentence centrality: collect ring results");
                    result.count();
                    return result;
                }
            } finally {
                attended.unpersist(false);
            }
        }
    }

    /** Each document's ring output in token order. */
    private static JavaPairRDD<String, Output> gather(RingResult result) {
        return result.inTokenOrder(Integer.MAX_VALUE).mapToPair(b -> new Tuple2<>(b.document(), new Output(b.out(), b.lse())));
    }

    private static int dimension(Dataset<Row> large, int sentencesAt, int embeddingsAt) {
        Row first = large.first();
        return ((byte[]) first.get(embeddingsAt)).length / 4 / first.getList(sentencesAt).size();
    }
}
