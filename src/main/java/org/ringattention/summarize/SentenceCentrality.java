package org.ringattention.summarize;

import java.util.Iterator;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.backend.Backend;
import org.ringattention.executor.GpuStages;
import org.ringattention.executor.TaskBackends;
import org.ringattention.backend.Device;
import org.ringattention.backend.Placement;
import org.ringattention.gpu.Precision;

/**
 * Exact document-level attention across all sentences of each document, and from it each sentence's
 * centrality ({@link Centrality}). Reads the sentence vectors that {@code SentenceEmbeddings} wrote
 * (binary, float32 {@code (N, D)}); writes {@code centrality} (array of N doubles) and, when
 * {@code contextCol} is set, the attention outputs (binary float32 {@code (N, D)}).
 *
 * <p>A document of at most {@code ringThreshold} sentences is attended inside one task. Longer ones go
 * on the ring ({@link RingCentrality}) over {@code ringPartitions} Spark partitions; that needs to know
 * which documents are long, so with a threshold set transform runs at once: it returns its output
 * materialized and persisted, having released everything else it cached, and the caller unpersists the
 * output when done with it (as {@code SummarizeJob} does). A threshold of 0 keeps the stage lazy and
 * every document in one task.
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
    private final Param<String> idCol = new Param<>(this, "idCol", "document id column, string (names ring documents)");
    private final IntParam ringThreshold = new IntParam(this, "ringThreshold",
            "documents with more sentences than this run on the ring; 0 for never", ParamValidators.gtEq(0));
    private final IntParam ringPartitions = new IntParam(this, "ringPartitions",
            "ring positions for long documents; 0 for Spark's default parallelism", ParamValidators.gtEq(0));
    private final Param<String> device = new Param<>(this, "device",
            "where the attention runs: cpu, gpu (fails the task without a working GPU) or auto",
            ParamValidators.inArray(Device.labels()));
    private final Param<String> precision = new Param<>(this, "precision",
            "the GPU attention kernels' inputs: fp32, or bf16 on tensor cores where the head dimension has them"
                    + " (a GPU device only)",
            ParamValidators.inArray(Precision.labels()));

    /** Counts attention work as documents (and ring steps) end; not a Param, so a saved pipeline loads without one. */
    private WorkMeter workMeter;

    public SentenceCentrality(String uid) {
        super(uid);
        setDefault(sentencesCol, "sentences");
        setDefault(embeddingsCol, "embeddings");
        setDefault(outputCol, "centrality");
        setDefault(contextCol, "");
        setDefault(temperature, (Object) SummarizeOptions.TEMPERATURE);
        setDefault(blockSize, (Object) CpuAttentionKernel.DEFAULT_BLOCK_SIZE);
        setDefault(idCol, "doc_id");
        setDefault(ringThreshold, (Object) SummarizeOptions.RING_THRESHOLD);
        setDefault(ringPartitions, (Object) 0);
        setDefault(device, SummarizeOptions.DEVICE.label());
        setDefault(precision, SummarizeOptions.PRECISION.label());
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

    public Param<String> idCol() {
        return idCol;
    }

    public IntParam ringThreshold() {
        return ringThreshold;
    }

    public IntParam ringPartitions() {
        return ringPartitions;
    }

    public Param<String> device() {
        return device;
    }

    /** Where the tasks count the attention work they do, for progress lines; null for nowhere. */
    public SentenceCentrality setWorkMeter(WorkMeter meter) {
        workMeter = meter;
        return this;
    }

    public SentenceCentrality setDevice(String value) {
        set(device, value);
        return this;
    }

    public Param<String> precision() {
        return precision;
    }

    public SentenceCentrality setPrecision(String value) {
        set(precision, value);
        return this;
    }

    public SentenceCentrality setRingThreshold(int sentences) {
        set(ringThreshold, sentences);
        return this;
    }

    public SentenceCentrality setRingPartitions(int partitions) {
        set(ringPartitions, partitions);
        return this;
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
        Placement.checkPrecision(Device.parse(getOrDefault(device)), Precision.parse(getOrDefault(precision)));
        StructType out = append(schema, DataTypes.createStructField(getOrDefault(outputCol),
                DataTypes.createArrayType(DataTypes.DoubleType, false), true));
        return getOrDefault(contextCol).isEmpty() ? out
                : append(out, DataTypes.createStructField(getOrDefault(contextCol), DataTypes.BinaryType, true));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = transformSchema(dataset.schema());
        int threshold = (Integer) getOrDefault(ringThreshold);
        if (threshold == 0) {
            return inTask(dataset.toDF(), schema);
        }
        requireColumn(dataset.schema(), getOrDefault(idCol), DataTypes.StringType, "SentenceCentrality");
        // Finding the long documents runs the stages before this one; the input is kept so that the
        // documents' own attention does not run them again, and released once the output is materialized.
        Dataset<Row> input = dataset.toDF().persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> ring = null;
        try {
            Column isLong = functions.size(input.col(getOrDefault(sentencesCol))).gt(threshold);
            Dataset<Row> large = input.filter(isLong);
            SparkContext sc = input.sparkSession().sparkContext();
            sc.setJobDescription("sentence centrality: find documents over " + threshold + " sentences");
            Dataset<Row> out;
            if (large.isEmpty()) {
                out = inTask(input, schema);
            } else {
                ring = RingCentrality.transform(large, schema, new RingCentrality.Columns(
                        input.schema().fieldIndex(getOrDefault(idCol)), input.schema().fieldIndex(getOrDefault(sentencesCol)),
                        input.schema().fieldIndex(getOrDefault(embeddingsCol)), withContext()),
                        ringSettings(sc.defaultParallelism()), workMeter);
                out = inTask(input.filter(functions.not(isLong).or(isLong.isNull())), schema).unionByName(ring);
            }
            out = out.persist(StorageLevel.MEMORY_AND_DISK());
            sc.setJobDescription("sentence centrality: documents of up to " + threshold + " sentences");
            out.count();
            sc.setJobDescription(null);
            return out;
        } finally {
            input.unpersist();
            if (ring != null) {
                ring.unpersist();
            }
        }
    }

    /** The rings' settings: this stage's, with {@code defaultPartitions} positions where it sets none. */
    RingCentrality.Settings ringSettings(int defaultPartitions) {
        int partitions = (Integer) getOrDefault(ringPartitions);
        return new RingCentrality.Settings((Double) getOrDefault(temperature),
                partitions > 0 ? partitions : defaultPartitions, (Integer) getOrDefault(blockSize),
                Device.parse(getOrDefault(device)), Precision.parse(getOrDefault(precision)));
    }

    /** Sentences over which a document goes on the ring; 0 for never. */
    int threshold() {
        return (Integer) getOrDefault(ringThreshold);
    }

    /** Whether the stage writes the attention outputs. */
    boolean withContext() {
        return !getOrDefault(contextCol).isEmpty();
    }

    /** Every document attended inside one task, lazily. */
    private Dataset<Row> inTask(Dataset<Row> dataset, StructType schema) {
        int sentencesAt = dataset.schema().fieldIndex(getOrDefault(sentencesCol));
        int embeddingsAt = dataset.schema().fieldIndex(getOrDefault(embeddingsCol));
        boolean withContext = !getOrDefault(contextCol).isEmpty();
        double t = (Double) getOrDefault(temperature);
        int block = (Integer) getOrDefault(blockSize);
        boolean failFast = isFailFast();
        int idAt = docIdIndex(dataset.schema());
        Device where = Device.parse(getOrDefault(device));
        Precision inputs = Precision.parse(getOrDefault(precision));
        WorkMeter meter = workMeter;
        FlatMapFunction<Iterator<Row>, Row> f = rows -> new Iterator<>() {
            // One single-threaded backend per task: Spark already runs a task per core.
            private final Backend backend = openForTask(where, inputs, block);

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row row = rows.next();
                if (row.isNullAt(embeddingsAt) || row.isNullAt(sentencesAt)) {
                    return withContext ? appended(row, null, null) : appended(row, (Object) null);
                }
                return perDocument("SentenceCentrality", idAt < 0 ? null : row.getString(idAt), failFast, () -> {
                    int n = row.getList(sentencesAt).size();
                    float[] e = Floats.fromBytes((byte[]) row.get(embeddingsAt));
                    if (n == 0 || e.length % n != 0) {
                        throw new IllegalStateException("document has " + n + " sentences but " + e.length
                                + " embedding values; the embeddings column does not belong to these sentences");
                    }
                    Centrality.Scores scores = Centrality.of(e, n, e.length / n, t, backend);
                    if (meter != null) {
                        meter.attended(WorkMeter.attentionWork(n, e.length / n));
                    }
                    return withContext ? appended(row, doubles(scores.centrality()), Floats.toBytes(scores.context()))
                            : appended(row, doubles(scores.centrality()));
                }, withContext ? appended(row, null, null) : appended(row, (Object) null));
            }
        };
        // An RDD step, so that the stage computing it can ask for GPUs (GpuStages).
        return dataset.sparkSession().createDataFrame(GpuStages.onGpus(dataset.javaRDD().mapPartitions(f), where), schema);
    }

    /** The task's backend, closed when the task completes. */
    private static Backend openForTask(Device where, Precision precision, int block) {
        return TaskBackends.closedWithTask(TaskBackends.open(where, precision, block, 1));
    }
}
