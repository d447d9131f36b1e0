package org.ringattention.summarize;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Text to sentences with the JDK's sentence {@link BreakIterator} (Unicode UAX #29 rules), trimmed,
 * blank pieces dropped. Offsets are kept implicitly: sentence {@code i} is the i-th piece in text order,
 * which is the order summaries are returned in.
 */
public final class SentenceSplitter extends DocumentStage {

    private static final long serialVersionUID = 1L;

    private final Param<String> inputCol = new Param<>(this, "inputCol", "text column");
    private final Param<String> outputCol = new Param<>(this, "outputCol", "sentences column, array<string>");

    public SentenceSplitter(String uid) {
        super(uid);
        setDefault(inputCol, "text");
        setDefault(outputCol, "sentences");
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

    public SentenceSplitter setInputCol(String v) {
        set(inputCol, v);
        return this;
    }

    public SentenceSplitter setOutputCol(String v) {
        set(outputCol, v);
        return this;
    }

    /** The sentences of {@code text}, in order. */
    public static List<String> split(String text) {
        BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
        it.setText(text);
        List<String> sentences = new ArrayList<>();
        for (int start = it.first(), end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            String s = text.substring(start, end).strip();
            if (!s.isEmpty()) {
                sentences.add(s);
            }
        }
        return sentences;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        requireColumn(schema, getOrDefault(inputCol), DataTypes.StringType, "SentenceSplitter");
        return append(schema, DataTypes.createStructField(getOrDefault(outputCol),
                DataTypes.createArrayType(DataTypes.StringType, false), true));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        UserDefinedFunction udf = functions.udf(
                (UDF1<String, List<String>>) text -> text == null ? null : split(text),
                DataTypes.createArrayType(DataTypes.StringType, false));
        return dataset.withColumn(getOrDefault(outputCol), udf.apply(dataset.col(getOrDefault(inputCol))));
    }
}
