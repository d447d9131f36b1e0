package org.ringattention.summarize;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.ringattention.platform.ScalaCollections;
import org.ringattention.text.Sentence;
import org.ringattention.text.TextStructure;

/**
 * Text to sentences, reading the document's structure first ({@link TextStructure}: paragraphs,
 * hard-wrapped lines joined back, headings, list items, code and example blocks, tables, separators,
 * page furniture). Writes three aligned arrays: the sentences in text order (sentence {@code i} is the
 * i-th, the order summaries are returned in), each sentence's section number, and whether it is a
 * fragment (a heading, code, a table row, fewer than four words or mostly non-letters). Fragments stay
 * in the document so attention sees them as context; the selector never picks them.
 */
public final class SentenceSplitter extends DocumentStage {

    private static final long serialVersionUID = 1L;

    private final Param<String> inputCol = new Param<>(this, "inputCol", "text column");
    private final Param<String> outputCol = new Param<>(this, "outputCol", "sentences column, array<string>");
    private final Param<String> sectionsCol = new Param<>(this, "sectionsCol",
            "each sentence's section number (0 before the first heading), array<int>");
    private final Param<String> purposeCol = new Param<>(this, "purposeCol",
            "whether each sentence states what the document is about, array<boolean>");
    private final Param<String> fragmentsCol = new Param<>(this, "fragmentsCol",
            "whether each sentence is a fragment (context only, never selected), array<boolean>");

    public SentenceSplitter(String uid) {
        super(uid);
        setDefault(inputCol, "text");
        setDefault(outputCol, "sentences");
        setDefault(sectionsCol, "sentence_sections");
        setDefault(fragmentsCol, "sentence_fragments");
        setDefault(purposeCol, "sentence_purpose");
    }

    public SentenceSplitter() {
        this(newUid("sentenceSplitter"));
    }

    public static MLReader<SentenceSplitter> read() {
        return new DefaultParamsReader<>();
    }

    public Param<String> inputCol() {
        return inputCol;
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

    public SentenceSplitter setInputCol(String v) {
        set(inputCol, v);
        return this;
    }

    public SentenceSplitter setOutputCol(String v) {
        set(outputCol, v);
        return this;
    }

    /** The sentences of {@code text}, in order, fragments included. */
    public static List<String> split(String text) {
        return TextStructure.parse(text).stream().map(Sentence::text).toList();
    }

    private static StructType structureType() {
        return new StructType()
                .add("sentences", DataTypes.createArrayType(DataTypes.StringType, false), false)
                .add("sections", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                .add("fragments", DataTypes.createArrayType(DataTypes.BooleanType, false), false)
                .add("purpose", DataTypes.createArrayType(DataTypes.BooleanType, false), false);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        requireColumn(schema, getOrDefault(inputCol), DataTypes.StringType, "SentenceSplitter");
        return append(schema,
                DataTypes.createStructField(getOrDefault(outputCol), DataTypes.createArrayType(DataTypes.StringType, false), true),
                DataTypes.createStructField(getOrDefault(sectionsCol), DataTypes.createArrayType(DataTypes.IntegerType, false), true),
                DataTypes.createStructField(getOrDefault(fragmentsCol), DataTypes.createArrayType(DataTypes.BooleanType, false), true),
                DataTypes.createStructField(getOrDefault(purposeCol), DataTypes.createArrayType(DataTypes.BooleanType, false), true));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        boolean failFast = isFailFast();
        UserDefinedFunction udf = functions.udf((UDF2<String, String, Row>) (docId, text) -> text == null ? null
                : perDocument("SentenceSplitter", docId, failFast, () -> structure(text), null), structureType());
        String parsed = uid() + "_structure";
        return dataset.withColumn(parsed, udf.apply(docIdColumn(dataset), dataset.col(getOrDefault(inputCol))))
                .withColumn(getOrDefault(outputCol), functions.col(parsed + ".sentences"))
                .withColumn(getOrDefault(sectionsCol), functions.col(parsed + ".sections"))
                .withColumn(getOrDefault(fragmentsCol), functions.col(parsed + ".fragments"))
                .withColumn(getOrDefault(purposeCol), functions.col(parsed + ".purpose"))
                .drop(parsed);
    }

    /** One document's sentences with their section ids, fragment and purpose flags: a row of {@link #structureType}. */
    private static Row structure(String text) {
        List<Sentence> parsed = TextStructure.parse(text);
        List<String> texts = new ArrayList<>(parsed.size());
        List<Integer> sections = new ArrayList<>(parsed.size());
        List<Boolean> fragments = new ArrayList<>(parsed.size());
        List<Boolean> purpose = new ArrayList<>(parsed.size());
        for (Sentence s : parsed) {
            texts.add(s.text());
            sections.add(s.section());
            fragments.add(s.fragment());
            purpose.add(s.purpose());
        }
        return RowFactory.create(ScalaCollections.asScala(texts), ScalaCollections.asScala(sections),
                ScalaCollections.asScala(fragments), ScalaCollections.asScala(purpose));
    }
}
