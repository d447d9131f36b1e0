package org.ringattention.summarize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.ringattention.platform.ScalaCollections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the summarization stages share: a uid, Params-only persistence ({@link DefaultParamsWritable};
 * each subclass adds the static {@code read()} that {@code PipelineModel.load} looks for), and schema
 * checks that fail early with the column and the fix.
 */
abstract class DocumentStage extends Transformer implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(DocumentStage.class);

    private final String uid;

    /**
     * {@code false} (the default) gives a document that this stage fails on a null output, which the job
     * reports as a reject, so one bad document does not stop the night; {@code true} lets the exception
     * fail the job ({@code --fail-fast}).
     */
    private final BooleanParam failFast;

    DocumentStage(String uid) {
        this.uid = uid;
        failFast = new BooleanParam(this, "failFast",
                "stop the job at the first document this stage fails on, instead of giving it a null output");
        setDefault(failFast, (Object) false);
    }

    static String newUid(String prefix) {
        return Identifiable$.MODULE$.randomUID(prefix);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public Transformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Fails unless {@code schema} has column {@code name} of type {@code type}. */
    static void requireColumn(StructType schema, String name, DataType type, String stage) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException(stage + " needs column '" + name + "' (" + type.simpleString()
                    + "); the input has " + Arrays.toString(schema.fieldNames()));
        }
        DataType actual = schema.apply(name).dataType();
        if (!actual.sameType(type)) {
            throw new IllegalArgumentException(stage + " needs column '" + name + "' to be " + type.simpleString()
                    + ", it is " + actual.simpleString());
        }
    }

    /** The {@code doc_id} column, or a null string where the input has none: for a UDF that names its document. */
    static Column docIdColumn(Dataset<?> dataset) {
        return Arrays.asList(dataset.schema().fieldNames()).contains("doc_id") ? dataset.col("doc_id")
                : functions.lit(null).cast(DataTypes.StringType);
    }

    /** Where {@code doc_id} is in {@code schema}, or -1: stages name the document they fail on when they can. */
    static int docIdIndex(StructType schema) {
        return Arrays.asList(schema.fieldNames()).indexOf("doc_id");
    }

    public BooleanParam failFast() {
        return failFast;
    }

    /** Whether a document this stage fails on stops the job ({@code true}) or gets a null output. */
    public DocumentStage setFailFast(boolean value) {
        set(failFast, value);
        return this;
    }

    /** This stage's {@link #failFast}, read on the driver before the tasks are built. */
    boolean isFailFast() {
        return (Boolean) getOrDefault(failFast);
    }

    /**
     * One document's work inside a task, after its {@link FaultPoints fault point}. An exception of the work
     * gives {@code onFailure} and is logged by stage, document and exception class only (messages may quote
     * text); with {@code failFast} it fails the task instead, as a {@link DocumentFailure} naming the stage
     * and the document. Errors (a drill's injected task fault among them) always fail the task.
     */
    static <T> T perDocument(String stage, String docId, boolean failFast, Supplier<T> work, T onFailure) {
        try {
            FaultPoints.reached(stage, docId);
            return work.get();
        } catch (RuntimeException | StackOverflowError e) {
            if (failFast) {
                throw new DocumentFailure(stage, docId, e);
            }
            LOG.warn("{} failed on document {}: {}; it becomes a reject", stage, docId, e.getClass().getName());
            return onFailure;
        }
    }

    /** {@code row}'s values followed by {@code extra}: the output row of a stage that appends columns. */
    static Row appended(Row row, Object... extra) {
        Object[] values = new Object[row.size() + extra.length];
        for (int i = 0; i < row.size(); i++) {
            values[i] = row.get(i);
        }
        System.arraycopy(extra, 0, values, row.size(), extra.length);
        return RowFactory.create(values);
    }

    /** A Spark {@code array<double>} value. */
    static scala.collection.Seq<Object> doubles(double[] x) {
        List<Object> list = new ArrayList<>(x.length);
        for (double v : x) {
            list.add(v);
        }
        return ScalaCollections.asScala(list);
    }

    /** {@code schema} with {@code fields} appended; refuses a name that exists already. */
    static StructType append(StructType schema, StructField... fields) {
        StructType out = schema;
        for (StructField f : fields) {
            if (Arrays.asList(schema.fieldNames()).contains(f.name())) {
                throw new IllegalArgumentException("output column '" + f.name() + "' exists already; choose another name");
            }
            out = out.add(f);
        }
        return out;
    }
}
