package org.ringattention.summarize;

import com.ibm.icu.text.BreakIterator;
import com.ibm.icu.util.ULocale;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
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
 * Text to sentences with ICU's sentence {@link BreakIterator} (Unicode UAX #29 rules; the JDK's own
 * breaks "06:00." into "06:00" and "."). A single line break inside a paragraph is read as a space,
 * so hard-wrapped text is not cut at every line end (UAX #29 breaks at every line feed); blank lines
 * still end a paragraph. Pieces without a letter or digit (rules, bullets) are dropped. Sentence
 * {@code i} is the i-th piece in text order, the order summaries are returned in.
 */
public final class SentenceSplitter extends DocumentStage {

    private static final long serialVersionUID = 1L;

    private static final Pattern LINE_BREAK_IN_PARAGRAPH = Pattern.compile("(?<![\\r\\n])\\r?\\n(?![\\r\\n])");
    private static final Pattern WORD_CHARACTER = Pattern.compile("[\\p{L}\\p{N}]");

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
        String paragraphs = LINE_BREAK_IN_PARAGRAPH.matcher(text).replaceAll(" ");
        BreakIterator it = BreakIterator.getSentenceInstance(ULocale.ROOT);
        it.setText(paragraphs);
        List<String> sentences = new ArrayList<>();
        for (int start = it.first(), end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            String s = paragraphs.substring(start, end).strip();
            if (WORD_CHARACTER.matcher(s).find()) {
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
        boolean failFast = failFast(dataset);
        UserDefinedFunction udf = functions.udf(
                (UDF1<String, List<String>>) text -> text == null ? null
                        : perDocument("SentenceSplitter", null, failFast, () -> split(text), null),
                DataTypes.createArrayType(DataTypes.StringType, false));
        return dataset.withColumn(getOrDefault(outputCol), udf.apply(dataset.col(getOrDefault(inputCol))));
    }
}
