package org.ringattention.summarize;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.backend.Device;
import org.ringattention.ring.DocumentBlock;
import org.ringattention.ring.RingAttention;
import org.ringattention.ring.RingConfig;
import org.ringattention.ring.RingResult;
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

    private RingCentrality() {
    }

    /** Rows of {@code large} with centrality (and context when asked) appended, as in {@code schema}. */
    static Dataset<Row> transform(Dataset<Row> large, StructType schema, int idAt, int sentencesAt, int embeddingsAt,
                                  double temperature, boolean withContext, int partitions, int blockSize,
                                  Device device) {
        SparkSession spark = large.sparkSession();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaPairRDD<String, Row> rows = large.toJavaRDD().mapToPair(r -> new Tuple2<>(r.getString(idAt), r));
        JavaPairRDD<String, float[]> vectors = rows.mapValues(r -> Floats.fromBytes((byte[]) r.get(embeddingsAt)));
        int d = dimension(large, sentencesAt, embeddingsAt);
        RingConfig config = RingConfig.of(partitions).withBlockSize(blockSize).withLocalLimit(0)
                .withHook(InjectedFaults.ringSteps()).withDevice(device);

        AttentionSpec first = Centrality.spec(d, temperature);
        JavaRDD<DocumentBlock> firstBlocks = vectors.flatMap(v ->
                DocumentBlock.split(v._1(), first, v._2(), v._2(), v._2(), null, blockSize).iterator());
        try (RingResult pass1 = new RingAttention(jsc, first, config).run(firstBlocks)) {
            // (e, O, LSE) per document, in token order.
            JavaPairRDD<String, float[][]> attended = vectors.join(gather(pass1))
                    .mapValues(v -> new float[][] {v._1(), v._2()[0], v._2()[1]});
            attended.cache();
            float inv = (float) (1.0 / temperature);
            AttentionSpec second = new AttentionSpec(1, 1, d + 1, 1f, false);
            JavaRDD<DocumentBlock> secondBlocks = attended.flatMap(a -> {
                float[] e = a._2()[0];
                float[] lse = a._2()[2];
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
                    float[] e = v._2()._1()[0];
                    float[] context = v._2()._1()[1];
                    float[] lse = v._2()._1()[2];
                    float[] logMass = v._2()._2()[1];
                    int n = lse.length;
                    float[] mass = new float[n];
                    for (int j = 0; j < n; j++) {
                        mass[j] = (float) Math.exp(logMass[j]);
                    }
                    double[] c = Centrality.withoutSelf(mass, e, lse, n, d, inv);
                    return withContext ? DocumentStage.appended(row, DocumentStage.doubles(c), Floats.toBytes(context))
                            : DocumentStage.appended(row, DocumentStage.doubles(c));
                });
                Dataset<Row> result = spark.createDataFrame(out, schema).cache();
                spark.sparkContext().setJobDescription("sentence centrality: collect ring results");
                result.count();
                attended.unpersist();
                return result;
            }
        }
    }

    /** Each document's {O (N, width), LSE (N)} in token order. */
    private static JavaPairRDD<String, float[][]> gather(RingResult result) {
        return result.inTokenOrder(Integer.MAX_VALUE).mapToPair(b -> new Tuple2<>(b.document(), new float[][] {b.out(), b.lse()}));
    }

    private static int dimension(Dataset<Row> large, int sentencesAt, int embeddingsAt) {
        Row first = large.first();
        return ((byte[]) first.get(embeddingsAt)).length / 4 / first.getList(sentencesAt).size();
    }
}
