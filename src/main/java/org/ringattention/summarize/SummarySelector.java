package org.ringattention.summarize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Picks the most central sentences under a budget ({@code sentences} N, or {@code ratio} R of the
 * document), skipping a candidate whose cosine similarity to one already picked exceeds
 * {@code redundancy} (so a summary does not say the same thing twice), and returns them in document
 * order. Ties in centrality go to the earlier sentence, so the choice is deterministic.
 */
public final class SummarySelector extends DocumentStage {

    private static final long serialVersionUID = 1L;

    private final Param<String> sentencesCol = new Param<>(this, "sentencesCol", "sentences column, array<string>");
    private final Param<String> centralityCol = new Param<>(this, "centralityCol", "centrality column, array<double>");
    private final Param<String> embeddingsCol = new Param<>(this, "embeddingsCol", "sentence vectors, binary float32 (N, D)");
    private final Param<String> outputCol = new Param<>(this, "outputCol",
            "struct<summary: string, selected_indices: array<int>, selected_scores: array<double>>");
    private final IntParam sentences = new IntParam(this, "sentences", "sentences per summary when ratio is 0",
            ParamValidators.gtEq(1));
    private final DoubleParam ratio = new DoubleParam(this, "ratio",
            "fraction of a document's sentences per summary (at least one); 0 to use 'sentences'",
            ParamValidators.inRange(0, 1));
    private final DoubleParam redundancy = new DoubleParam(this, "redundancy",
            "largest cosine similarity allowed between two summary sentences", ParamValidators.inRange(-1, 1));

    public SummarySelector(String uid) {
        super(uid);
        setDefault(sentencesCol, "sentences");
        setDefault(centralityCol, "centrality");
        setDefault(embeddingsCol, "embeddings");
        setDefault(outputCol, "selection");
        setDefault(sentences, (Object) 5);
        setDefault(ratio, (Object) 0.0);
        setDefault(redundancy, (Object) 0.9);
    }

    public SummarySelector() {
        this(newUid("summarySelector"));
    }

    public static MLReader<SummarySelector> read() {
        return new DefaultParamsReader<>();
    }

    public Param<String> sentencesCol() {
        return sentencesCol;
    }

    public Param<String> centralityCol() {
        return centralityCol;
    }

    public Param<String> embeddingsCol() {
        return embeddingsCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public IntParam sentences() {
        return sentences;
    }

    public DoubleParam ratio() {
        return ratio;
    }

    public DoubleParam redundancy() {
        return redundancy;
    }

    /** Budget of N sentences per document (clears any ratio). */
    public SummarySelector setSentences(int n) {
        set(sentences, n);
        set(ratio, 0.0);
        return this;
    }

    /** Budget of a fraction of each document's sentences, at least one. */
    public SummarySelector setRatio(double r) {
        if (!(r > 0 && r <= 1)) {
            throw new IllegalArgumentException("ratio must be in (0, 1], got " + r);
        }
        set(ratio, r);
        return this;
    }

    public SummarySelector setRedundancy(double r) {
        set(redundancy, r);
        return this;
    }

    static StructType selectionType() {
        return new StructType()
                .add("summary", DataTypes.StringType, false)
                .add("selected_indices", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                .add("selected_scores", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
    }

    /** Indices of the chosen sentences in document order. */
    static int[] select(double[] centrality, float[] e, int d, int budget, double redundancy) {
        int n = centrality.length;
        Integer[] order = new Integer[n];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -centrality[i]).thenComparingInt(i -> i));
        List<Integer> chosen = new ArrayList<>();
        for (int j : order) {
            if (chosen.size() == budget) {
                break;
            }
            boolean redundant = false;
            for (int s : chosen) {
                double cos = 0;
                for (int k = 0; k < d; k++) {
                    cos += (double) e[j * d + k] * e[s * d + k];
                }
                if (cos > redundancy) {
                    redundant = true;
                    break;
                }
            }
            if (!redundant) {
                chosen.add(j);
            }
        }
        return chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** Sentences to pick from a document of {@code n}: {@code ceil(ratio n)} (at least one) when ratio > 0, else {@code count}. */
    static int budget(int n, double ratio, int count) {
        return ratio > 0 ? Math.max(1, (int) Math.ceil(ratio * n)) : Math.min(n, count);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        requireColumn(schema, getOrDefault(sentencesCol), DataTypes.createArrayType(DataTypes.StringType, false),
                "SummarySelector");
        requireColumn(schema, getOrDefault(centralityCol), DataTypes.createArrayType(DataTypes.DoubleType, false),
                "SummarySelector");
        requireColumn(schema, getOrDefault(embeddingsCol), DataTypes.BinaryType, "SummarySelector");
        return append(schema, DataTypes.createStructField(getOrDefault(outputCol), selectionType(), true));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        double maxCosine = (Double) getOrDefault(redundancy);
        double r = (Double) getOrDefault(ratio);
        int count = (Integer) getOrDefault(sentences);
        boolean failFast = failFast(dataset);
        UserDefinedFunction udf = functions.udf((UDF3<Seq<String>, Seq<Double>, byte[], Row>) (texts, scores, vectors) -> {
            if (texts == null || scores == null || vectors == null) {
                return null;
            }
            return perDocument("SummarySelector", null, failFast, () -> selection(texts, scores, vectors, r, count,
                    maxCosine), null);
        }, selectionType());
        Column[] in = {dataset.col(getOrDefault(sentencesCol)), dataset.col(getOrDefault(centralityCol)),
            dataset.col(getOrDefault(embeddingsCol))};
        return dataset.withColumn(getOrDefault(outputCol), udf.apply(in));
    }

    /** One document's summary: the selection row of {@link #selectionType}. */
    private static Row selection(Seq<String> texts, Seq<Double> scores, byte[] vectors, double r, int count,
                                 double maxCosine) {
        List<String> s = CollectionConverters.asJava(texts);
        double[] c = CollectionConverters.asJava(scores).stream().mapToDouble(Double::doubleValue).toArray();
        float[] e = Floats.fromBytes(vectors);
        int[] picked = select(c, e, e.length / s.size(), budget(s.size(), r, count), maxCosine);
        List<String> parts = new ArrayList<>();
        List<Integer> indices = new ArrayList<>();
        List<Double> picks = new ArrayList<>();
        for (int i : picked) {
            parts.add(s.get(i));
            indices.add(i);
            picks.add(c[i]);
        }
        return RowFactory.create(String.join(" ", parts), CollectionConverters.asScala(indices).toSeq(),
                CollectionConverters.asScala(picks).toSeq());
    }
}
