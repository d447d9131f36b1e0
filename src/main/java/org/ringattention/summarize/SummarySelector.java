package org.ringattention.summarize;

import java.util.ArrayList;
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
import org.apache.spark.sql.api.java.UDF7;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.ringattention.platform.ScalaCollections;
import org.ringattention.selection.Budget;
import org.ringattention.selection.Document;
import org.ringattention.selection.Selection;
import org.ringattention.selection.SelectionMethod;
import scala.collection.Seq;

/**
 * Picks a summary's sentences under a budget (about {@code words} W words, the default; or
 * {@code sentences} N; or {@code ratio} R of the document's sentences) by a selection {@code method} ({@link SelectionMethod}: {@code coverage} by default,
 * {@code centrality}, {@code lead}, {@code lexrank}, {@code textrank}), and returns them in document
 * order. Only non-fragment sentences are chosen (the splitter's fragment flags; a table without that
 * column makes every sentence a candidate, as pipelines saved before it existed expect), and
 * {@code centrality} and {@code coverage} skip a candidate whose cosine similarity to one already
 * picked exceeds {@code redundancy}. Every choice is deterministic (ties go to the earlier sentence).
 */
public final class SummarySelector extends DocumentStage {

    private static final long serialVersionUID = 1L;

    private final Param<String> sentencesCol = new Param<>(this, "sentencesCol", "sentences column, array<string>");
    private final Param<String> sectionsCol = new Param<>(this, "sectionsCol",
            "each sentence's section, array<int>; a missing column means one section");
    private final Param<String> purposeCol = new Param<>(this, "purposeCol",
            "whether each sentence states what the document is about, array<boolean>; a missing column means none does");
    private final Param<String> fragmentsCol = new Param<>(this, "fragmentsCol",
            "whether each sentence is a fragment, array<boolean>; a missing column means none is");
    private final Param<String> centralityCol = new Param<>(this, "centralityCol", "centrality column, array<double>");
    private final Param<String> embeddingsCol = new Param<>(this, "embeddingsCol", "sentence vectors, binary float32 (N, D)");
    private final Param<String> outputCol = new Param<>(this, "outputCol",
            "struct<summary: string, selected_indices: array<int>, selected_scores: array<double>>");
    private final Param<String> method = new Param<>(this, "method",
            "how sentences are chosen: " + SelectionMethod.labels(),
            ParamValidators.inArray(java.util.Arrays.stream(SelectionMethod.values()).map(SelectionMethod::label)
                    .toArray(String[]::new)));
    private final IntParam sentences = new IntParam(this, "sentences",
            "sentences per summary when ratio and words are 0", ParamValidators.gtEq(1));
    private final IntParam words = new IntParam(this, "words",
            "about this many words per summary, whole sentences, never over 1.5 times it; 0 to use 'sentences'",
            ParamValidators.gtEq(0));
    private final DoubleParam ratio = new DoubleParam(this, "ratio",
            "fraction of a document's sentences per summary (at least one); 0 to use 'sentences'",
            ParamValidators.inRange(0, 1));
    private final DoubleParam redundancy = new DoubleParam(this, "redundancy",
            "largest cosine similarity allowed between two summary sentences", ParamValidators.inRange(-1, 1));

    public SummarySelector(String uid) {
        super(uid);
        setDefault(sentencesCol, "sentences");
        setDefault(sectionsCol, "sentence_sections");
        setDefault(fragmentsCol, "sentence_fragments");
        setDefault(purposeCol, "sentence_purpose");
        setDefault(centralityCol, "centrality");
        setDefault(embeddingsCol, "embeddings");
        setDefault(outputCol, "selection");
        setDefault(method, SummarizeOptions.METHOD.label());
        setDefault(sentences, (Object) SummarizeOptions.SENTENCES);
        setDefault(words, (Object) SummarizeOptions.WORDS);
        setDefault(ratio, (Object) 0.0);
        setDefault(redundancy, (Object) SummarizeOptions.REDUNDANCY);
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

    public Param<String> sectionsCol() {
        return sectionsCol;
    }

    public Param<String> fragmentsCol() {
        return fragmentsCol;
    }

    public Param<String> purposeCol() {
        return purposeCol;
    }

    public Param<String> method() {
        return method;
    }

    /** The selection method by its label ({@link SelectionMethod#labels()}). */
    public SummarySelector setMethod(String label) {
        set(method, SelectionMethod.of(label).label());
        return this;
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

    public IntParam words() {
        return words;
    }

    /** Budget of N sentences per document (clears any ratio and word budget). */
    public SummarySelector setSentences(int n) {
        set(sentences, n);
        set(ratio, 0.0);
        set(words, 0);
        return this;
    }

    /** Budget of about W words per document (clears any ratio). */
    public SummarySelector setWords(int w) {
        if (w < 1) {
            throw new IllegalArgumentException("words must be at least 1, got " + w);
        }
        set(words, w);
        set(ratio, 0.0);
        return this;
    }

    /** Budget of a fraction of each document's sentences, at least one (clears any word budget). */
    public SummarySelector setRatio(double r) {
        if (!(r > 0 && r <= 1)) {
            throw new IllegalArgumentException("ratio must be in (0, 1], got " + r);
        }
        set(ratio, r);
        set(words, 0);
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

    /**
     * The budget for a document of {@code n} sentences: {@code ceil(ratio n)} sentences (at least one) when
     * ratio > 0, else {@code words} words when positive, else {@code count} sentences.
     */
    static Budget budget(int n, double ratio, int words, int count) {
        if (ratio > 0) {
            return Budget.sentences(Math.max(1, (int) Math.ceil(ratio * n)));
        }
        return words > 0 ? Budget.words(words) : Budget.sentences(Math.min(n, count));
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

    /** How this stage picks sentences, for selecting outside its own transform (the job's long documents). */
    record Settings(SelectionMethod method, double ratio, int words, int sentences, double maxCosine, boolean failFast)
            implements java.io.Serializable {
    }

    /** This stage's settings. */
    Settings settings() {
        return new Settings(SelectionMethod.of(getOrDefault(method)), (Double) getOrDefault(ratio),
                (Integer) getOrDefault(words), (Integer) getOrDefault(sentences), (Double) getOrDefault(redundancy),
                isFailFast());
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        Settings settings = settings();
        UserDefinedFunction udf = functions.udf(
                (UDF7<String, Seq<String>, Seq<Object>, Seq<Object>, Seq<Object>, Seq<Double>, byte[], Row>)
                (docId, texts, sectionIds, fragmentFlags, purposeFlags, scores, vectors) -> {
            if (texts == null || scores == null || vectors == null) {
                return null;
            }
            return perDocument("SummarySelector", docId, settings.failFast(), () -> {
                List<String> s = ScalaCollections.asJava(texts);
                int n = s.size();
                return choose(settings, s, sections(sectionIds == null ? null : ScalaCollections.asJava(sectionIds), n),
                        flags(fragmentFlags == null ? null : ScalaCollections.asJava(fragmentFlags), n),
                        flags(purposeFlags == null ? null : ScalaCollections.asJava(purposeFlags), n),
                        ScalaCollections.asJava(scores).stream().mapToDouble(Double::doubleValue).toArray(),
                        Floats.fromBytes(vectors));
            }, null);
        }, selectionType());
        Column[] in = {docIdColumn(dataset), dataset.col(getOrDefault(sentencesCol)),
            optional(dataset, getOrDefault(sectionsCol), DataTypes.IntegerType),
            optional(dataset, getOrDefault(fragmentsCol), DataTypes.BooleanType),
            optional(dataset, getOrDefault(purposeCol), DataTypes.BooleanType),
            dataset.col(getOrDefault(centralityCol)), dataset.col(getOrDefault(embeddingsCol))};
        return dataset.withColumn(getOrDefault(outputCol), udf.apply(in));
    }

    /**
     * One document's summary: the selection row of {@link #selectionType}, or null when nothing is
     * selectable. {@code e} holds its sentence vectors {@code (n, D)}, {@code c} their centrality; the
     * caller runs it inside {@link DocumentStage#perDocument}.
     */
    static Row choose(Settings settings, List<String> s, int[] sections, boolean[] fragments, boolean[] purpose,
                      double[] c, float[] e) {
        int n = s.size();
        Document doc = new Document(s, sections, fragments, purpose, e, e.length / n, c);
        int[] picked = Selection.select(settings.method(), doc,
                budget(n, settings.ratio(), settings.words(), settings.sentences()), settings.maxCosine());
        if (picked.length == 0) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        List<Integer> indices = new ArrayList<>();
        List<Double> picks = new ArrayList<>();
        for (int i : picked) {
            parts.add(s.get(i));
            indices.add(i);
            picks.add(c[i]);
        }
        return RowFactory.create(String.join(" ", parts), ScalaCollections.asScala(indices),
                ScalaCollections.asScala(picks));
    }

    /** Each sentence's section from a Spark {@code array<int>} value, all 0 (one section) when it is null. */
    static int[] sections(List<?> ids, int n) {
        int[] sections = new int[n];
        if (ids != null) {
            for (int i = 0; i < n; i++) {
                sections[i] = (Integer) ids.get(i);
            }
        }
        return sections;
    }

    /** n flags from a Spark {@code array<boolean>} value, all false when it is null (the column was missing). */
    static boolean[] flags(List<?> values, int n) {
        boolean[] f = new boolean[n];
        if (values != null) {
            for (int i = 0; i < n; i++) {
                f[i] = (Boolean) values.get(i);
            }
        }
        return f;
    }

    /** The array column {@code name}, or a null array when the input lacks it. */
    private static Column optional(Dataset<?> dataset, String name, org.apache.spark.sql.types.DataType element) {
        return java.util.Arrays.asList(dataset.schema().fieldNames()).contains(name) ? dataset.col(name)
                : functions.lit(null).cast(DataTypes.createArrayType(element, false));
    }
}
