package org.ringattention.summarize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.backend.Device;
import org.ringattention.gpu.Precision;
import org.ringattention.ring.DocumentBlock;
import org.ringattention.ring.OutputBlock;
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

    /**
     * Sentences per part of a long document (a multiple of the ring's tile edge, so that the ring's blocks
     * are those of the whole document): 4,096 sentence vectors of 384 floats are 6.3 MB, where a whole
     * document of 51,619 sentences is 79 MB, too much for one row of a 1 GiB executor once Spark copies it
     * into its row and cache formats.
     */
    static int partSentences(int blockSize) {
        return blockSize * Math.max(1, 4096 / blockSize);
    }

    /** Sentence vectors {@code (n, d)} of sentences {@code [offset, offset + n)} of one document. */
    record VectorPart(String document, int offset, float[] vectors) implements Serializable {
    }

    /** Centrality of sentences {@code [offset, ...)} of one document, and their context vectors (null unless asked). */
    record CentralityPart(String document, int offset, double[] centrality, float[] context) implements Serializable {
    }

    /** One part after the first pass: its vectors, their attention outputs and log-sum-exps. */
    private record Attended(int offset, float[] embeddings, float[] context, float[] lse) implements Serializable {
    }

    private RingCentrality() {
    }

    /**
     * Rows of {@code large} with centrality (and context when asked) appended, as in {@code schema}:
     * materialized and persisted (the rings' own state is released before this returns), so the caller
     * unpersists it when done. Each row's vectors are cut into parts ({@link #rings}); the parts' scores
     * are put back together in the row.
     */
    static Dataset<Row> transform(Dataset<Row> large, StructType schema, Columns columns, Settings settings,
                                  WorkMeter meter) {
        int idAt = columns.idAt();
        int sentencesAt = columns.sentencesAt();
        int embeddingsAt = columns.embeddingsAt();
        boolean withContext = columns.withContext();
        List<Tuple2<String, Integer>> documents = large.toJavaRDD()
                .map(r -> new Tuple2<>(r.getString(idAt), r.getList(sentencesAt).size())).collect();
        int d = dimension(large, sentencesAt, embeddingsAt);
        int part = partSentences(settings.blockSize());
        JavaRDD<VectorPart> parts = large.toJavaRDD().flatMap(r ->
                cut(r.getString(idAt), Floats.fromBytes((byte[]) r.get(embeddingsAt)), d, part).iterator());
        JavaRDD<CentralityPart> scored = rings(parts, documents, d, settings, withContext, meter);
        try {
            JavaRDD<Row> out = large.toJavaRDD().mapToPair(r -> new Tuple2<>(r.getString(idAt), r))
                    .join(scored.groupBy(CentralityPart::document)).values().map(v -> {
                        List<CentralityPart> sorted = inOrder(v._2());
                        double[] c = centrality(sorted);
                        return withContext ? DocumentStage.appended(v._1(), DocumentStage.doubles(c), Floats.toBytes(context(sorted, d)))
                                : DocumentStage.appended(v._1(), DocumentStage.doubles(c));
                    });
            Dataset<Row> result = large.sparkSession().createDataFrame(out, schema).persist(StorageLevel.MEMORY_AND_DISK());
            large.sparkSession().sparkContext().setJobDescription("sentence centrality: collect ring results");
            result.count();
            return result;
        } finally {
            scored.unpersist(false);
        }
    }

    /** {@code vectors (n, d)} of one document cut into parts of {@code part} sentences (the last shorter). */
    static List<VectorPart> cut(String document, float[] vectors, int d, int part) {
        int n = vectors.length / d;
        List<VectorPart> parts = new ArrayList<>();
        for (int from = 0; from < n; from += part) {
            parts.add(new VectorPart(document, from, Arrays.copyOfRange(vectors, from * d, Math.min(n, from + part) * d)));
        }
        return parts;
    }

    /** Parts of one document in sentence order. */
    static List<CentralityPart> inOrder(Iterable<CentralityPart> parts) {
        List<CentralityPart> sorted = new ArrayList<>();
        parts.forEach(sorted::add);
        sorted.sort(Comparator.comparingInt(CentralityPart::offset));
        return sorted;
    }

    /** A document's centrality from its parts in order. */
    static double[] centrality(List<CentralityPart> sorted) {
        double[] c = new double[sorted.stream().mapToInt(p -> p.centrality().length).sum()];
        for (CentralityPart p : sorted) {
            System.arraycopy(p.centrality(), 0, c, p.offset(), p.centrality().length);
        }
        return c;
    }

    private static float[] context(List<CentralityPart> sorted, int d) {
        float[] o = new float[sorted.stream().mapToInt(p -> p.context().length).sum()];
        for (CentralityPart p : sorted) {
            System.arraycopy(p.context(), 0, o, p.offset() * d, p.context().length);
        }
        return o;
    }

    /**
     * The centrality of each of {@code documents} (id, sentences) from its vectors in {@code parts} (cut at
     * multiples of {@link #partSentences}), persisted and materialized, so the caller unpersists it. Each
     * document rides a ring of its own, one after the other: on a shared ring a document's rows would sit
     * in the ring's tiles at offsets set by the other riders, which changes the order of its sums and so
     * the last bits of its centrality. Alone, its centrality depends on its own vectors and the ring's
     * positions only, and a summary carried from an earlier night is the one a recompute would give.
     * {@code meter}, when not null, counts each ring step's share of the work and each document's time.
     */
    static JavaRDD<CentralityPart> rings(JavaRDD<VectorPart> parts, List<Tuple2<String, Integer>> documents, int d,
                                         Settings settings, boolean withContext, WorkMeter meter) {
        List<Tuple2<String, Integer>> sorted = new ArrayList<>(documents);
        sorted.sort(Comparator.comparing(Tuple2::_1));
        SparkContext sc = parts.context();
        List<JavaRDD<CentralityPart>> done = new ArrayList<>();
        try {
            for (Tuple2<String, Integer> doc : sorted) {
                String id = doc._1();
                sc.setJobDescription("sentence centrality: ring for document " + id + " (" + doc._2() + " sentences)");
                long stepWork = WorkMeter.attentionWork(doc._2(), d) / 2 / ((long) settings.partitions() * settings.partitions());
                long start = System.nanoTime();
                done.add(one(id, parts.filter(p -> id.equals(p.document())), settings, d, withContext, hook(meter, stepWork)));
                if (meter != null) {
                    meter.timed(new WorkMeter.DocumentTime(id, 0, doc._2(), (System.nanoTime() - start) / 1e9));
                }
            }
            JavaRDD<CentralityPart> all = JavaSparkContext.fromSparkContext(sc).union(done.toArray(JavaRDD[]::new))
                    .persist(StorageLevel.MEMORY_AND_DISK());
            all.count();
            return all;
        } finally {
            done.forEach(p -> p.unpersist(false));
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

    /** Both passes for {@code document}, whose parts {@code parts} are, on one ring; its parts' centrality, persisted. */
    private static JavaRDD<CentralityPart> one(String document, JavaRDD<VectorPart> parts, Settings settings, int d, boolean withContext,
                                               StepHook hook) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(parts.context());
        int blockSize = settings.blockSize();
        int part = partSentences(blockSize);
        RingConfig config = RingConfig.of(settings.partitions()).withBlockSize(blockSize).withLocalLimit(0)
                .withDevice(settings.device()).withPrecision(settings.precision());
        if (hook != null) {
            config = config.withHook(hook);
        }
        JavaPairRDD<Integer, VectorPart> byPart = parts.mapToPair(p -> new Tuple2<>(p.offset() / part, p));

        AttentionSpec first = Centrality.spec(d, settings.temperature());
        JavaRDD<DocumentBlock> firstBlocks = parts.flatMap(p ->
                blocks(p.document(), p.offset(), first, p.vectors(), p.vectors(), blockSize).iterator());
        try (RingResult pass1 = new RingAttention(jsc, first, config).run(firstBlocks)) {
            JavaPairRDD<Integer, Attended> attended = byPart.join(byPart(pass1, part))
                    .mapValues(v -> new Attended(v._1().offset(), v._1().vectors(), v._2().out(), v._2().lse()));
            attended.persist(StorageLevel.MEMORY_AND_DISK());
            try {
                float inv = (float) (1.0 / settings.temperature());
                AttentionSpec second = new AttentionSpec(1, 1, d + 1, 1f, false);
                JavaRDD<DocumentBlock> secondBlocks = attended.values().flatMap(a -> {
                    float[] e = a.embeddings();
                    float[] lse = a.lse();
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
                    return blocks(document, a.offset(), second, q, k, blockSize).iterator();
                });
                try (RingResult pass2 = new RingAttention(jsc, second, config).run(secondBlocks)) {
                    JavaRDD<CentralityPart> out = attended.join(byPart(pass2, part)).values().map(v -> {
                        Attended a = v._1();
                        float[] logMass = v._2().lse();
                        int n = a.lse().length;
                        float[] mass = new float[n];
                        for (int j = 0; j < n; j++) {
                            mass[j] = (float) Math.exp(logMass[j]);
                        }
                        return new CentralityPart(document, a.offset(),
                                Centrality.withoutSelf(mass, a.embeddings(), a.lse(), n, d, inv),
                                withContext ? a.context() : null);
                    }).persist(StorageLevel.MEMORY_AND_DISK());
                    parts.context().setJobDescription("sentence centrality: collect ring results");
                    out.count();
                    return out;
                }
            } finally {
                attended.unpersist(false);
            }
        }
    }

    /**
     * The ring's blocks of a part whose first sentence is {@code offset}: tiles of {@code rows} sentences,
     * cut where cutting the whole document would cut ({@code offset} is a multiple of {@code rows}).
     */
    private static List<DocumentBlock> blocks(String document, int offset, AttentionSpec spec, float[] q, float[] kv,
                                              int rows) {
        List<DocumentBlock> blocks = new ArrayList<>();
        for (DocumentBlock b : DocumentBlock.split(document, spec, q, kv, kv, null, rows)) {
            blocks.add(new DocumentBlock(document, offset + b.offset(), b.q(), b.k(), b.v(), null));
        }
        return blocks;
    }

    /** A ring's output in parts of {@code part} sentences, by part number. */
    private static JavaPairRDD<Integer, OutputBlock> byPart(RingResult result, int part) {
        return result.inTokenOrder(part).mapToPair(b -> new Tuple2<>(b.positions()[0] / part, b));
    }

    private static int dimension(Dataset<Row> large, int sentencesAt, int embeddingsAt) {
        Row first = large.first();
        return ((byte[]) first.get(embeddingsAt)).length / 4 / first.getList(sentencesAt).size();
    }
}
