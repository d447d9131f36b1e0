package org.ringattention.summarize;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.ringattention.attention.CpuAttentionKernel;

/**
 * Exact document-level attention across all sentences of each document, and from it each sentence's
 * centrality ({@link Centrality}). Reads the sentence vectors that {@code SentenceEmbedder} wrote
 * (binary, float32 {@code (N, D)}); writes {@code centrality} (array of N doubles) and, when
 * {@code contextCol} is set, the attention outputs (binary float32 {@code (N, D)}).
 */
public final class SentenceCentrality extends DocumentStage {

    private static final long serialVersionUID = 1L;

    private final Param<String> sentencesCol = new Param<>(this, "sentencesCol", "sentences column, array<string>");
    private final Param<String> embeddingsCol = new Param<>(this, "embeddingsCol", "sentence vectors, binary float32 (N, D)");
    private final Param<String> outputCol = new Param<>(this, "outputCol", "centrality column, array<double>");
    private final Param<String> contextCol = new Param<>(this, "contextCol",
            "attention outputs column, binary float32 (N, D); empty for none");
    private final DoubleParam temperature = new DoubleParam(this, "temperature",
            "softmax temperature: logits are cosine / temperature; smaller is sharper", ParamValidators.gt(0));
    private final IntParam blockSize = new IntParam(this, "blockSize", "attention tile edge in sentences",
            ParamValidators.gtEq(1));

    public SentenceCentrality(String uid) {
        super(uid);
        setDefault(sentencesCol, "sentences");
        setDefault(embeddingsCol, "embeddings");
        setDefault(outputCol, "centrality");
        setDefault(contextCol, "");
        setDefault(temperature, (Object) 0.1);
        setDefault(blockSize, (Object) CpuAttentionKernel.DEFAULT_BLOCK_SIZE);
    }

    public SentenceCentrality() {
        this(newUid("sentenceCentrality"));
    }

    public static MLReader<SentenceCentrality> read() {
        return new DefaultParamsReader<>();
    }

    public Param<String> sentencesCol() {
        return sentencesCol;
    }

    public Param<String> embeddingsCol() {
        return embeddingsCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public Param<String> contextCol() {
        return contextCol;
    }

    public DoubleParam temperature() {
        return temperature;
    }

    public IntParam blockSize() {
        return blockSize;
    }

    public SentenceCentrality setTemperature(double v) {
        set(temperature, v);
        return this;
    }

    public SentenceCentrality setContextCol(String v) {
        set(contextCol, v);
        return this;
    }

    public SentenceCentrality setOutputCol(String v) {
        set(outputCol, v);
        return this;
    }

    public SentenceCentrality setBlockSize(int v) {
        set(blockSize, v);
        return this;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        requireColumn(schema, getOrDefault(sentencesCol), DataTypes.createArrayType(DataTypes.StringType, false),
                "SentenceCentrality");
        requireColumn(schema, getOrDefault(embeddingsCol), DataTypes.BinaryType, "SentenceCentrality");
        StructType out = append(schema, DataTypes.createStructField(getOrDefault(outputCol),
                DataTypes.createArrayType(DataTypes.DoubleType, false), true));
        return getOrDefault(contextCol).isEmpty() ? out
                : append(out, DataTypes.createStructField(getOrDefault(contextCol), DataTypes.BinaryType, true));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = transformSchema(dataset.schema());
        int sentencesAt = dataset.schema().fieldIndex(getOrDefault(sentencesCol));
        int embeddingsAt = dataset.schema().fieldIndex(getOrDefault(embeddingsCol));
        boolean withContext = !getOrDefault(contextCol).isEmpty();
        double t = (Double) getOrDefault(temperature);
        int block = (Integer) getOrDefault(blockSize);
        MapPartitionsFunction<Row, Row> f = rows -> new Iterator<>() {
            // One single-threaded kernel per task: Spark already runs a task per core.
            private final CpuAttentionKernel kernel = CpuAttentionKernel.create(block, 1);

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row row = rows.next();
                List<Object> values = new ArrayList<>(schema.size());
                for (int i = 0; i < row.size(); i++) {
                    values.add(row.get(i));
                }
                if (row.isNullAt(embeddingsAt) || row.isNullAt(sentencesAt)) {
                    values.add(null);
                    if (withContext) {
                        values.add(null);
                    }
                    return RowFactory.create(values.toArray());
                }
                int n = row.getList(sentencesAt).size();
                float[] e = Floats.fromBytes((byte[]) row.get(embeddingsAt));
                if (n == 0 || e.length % n != 0) {
                    throw new IllegalStateException("document has " + n + " sentences but " + e.length
                            + " embedding values; the embeddings column does not belong to these sentences");
                }
                Centrality.Scores scores = Centrality.of(e, n, e.length / n, t, kernel);
                values.add(scala.jdk.javaapi.CollectionConverters.asScala(toList(scores.centrality())).toSeq());
                if (withContext) {
                    values.add(Floats.toBytes(scores.context()));
                }
                return RowFactory.create(values.toArray());
            }
        };
        return dataset.toDF().mapPartitions(f, Encoders.row(schema));
    }

    private static List<Double> toList(double[] x) {
        List<Double> list = new ArrayList<>(x.length);
        for (double v : x) {
            list.add(v);
        }
        return list;
    }
}
