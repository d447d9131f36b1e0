package org.ringattention.summarize;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.ringattention.executor.GpuStages;
import org.ringattention.executor.TaskBackends;
import org.ringattention.backend.Device;
import org.ringattention.backend.EmbeddingBackend;
import org.ringattention.backend.Placement;
import org.ringattention.gpu.Precision;
import org.ringattention.encoder.SentenceEmbedder;
import org.ringattention.encoder.SentenceTokenizer;

/**
 * Sentence vectors with a BERT-family encoder (sentence-transformers mean pooling, L2-normalized):
 * {@code sentences} to {@code embeddings} (binary float32 {@code (N, hidden)}) and {@code token_count}
 * (WordPiece tokens the model read, special tokens included). Sentences longer than the model's
 * positions are truncated, as sentence-transformers does. The model is named by a Param (empty: the
 * bundled all-MiniLM-L6-v2; else a model directory), so a saved pipeline stores the name, not the weights.
 */
public final class SentenceEmbeddings extends DocumentStage {

    private static final long serialVersionUID = 1L;

    private final Param<String> sentencesCol = new Param<>(this, "sentencesCol", "sentences column, array<string>");
    private final Param<String> outputCol = new Param<>(this, "outputCol", "sentence vectors, binary float32 (N, hidden)");
    private final Param<String> tokenCountCol = new Param<>(this, "tokenCountCol", "tokens per document, long");
    private final Param<String> model = new Param<>(this, "model",
            "model directory (config.json + model.safetensors or .onnx, tokenizer.json); empty for the bundled all-MiniLM-L6-v2");
    private final IntParam passTokens = new IntParam(this, "passTokens", "tokens per encoder pass",
            ParamValidators.gtEq(1));
    private final Param<String> device = new Param<>(this, "device",
            "where the encoder runs: cpu, gpu (fails the task without a working GPU) or auto",
            ParamValidators.inArray(Device.labels()));
    private final Param<String> precision = new Param<>(this, "precision",
            "the GPU encoder's GEMM inputs: fp32, or bf16 on tensor cores (a GPU device only)",
            ParamValidators.inArray(Precision.labels()));

    /** Counts tokens as each encoder pass ends; not a Param, so a saved pipeline loads without one. */
    private WorkMeter workMeter;

    public SentenceEmbeddings(String uid) {
        super(uid);
        setDefault(sentencesCol, "sentences");
        setDefault(outputCol, "embeddings");
        setDefault(tokenCountCol, "token_count");
        setDefault(model, "");
        setDefault(passTokens, (Object) SentenceEmbedder.DEFAULT_PASS_TOKENS);
        setDefault(device, SummarizeOptions.DEVICE.label());
        setDefault(precision, SummarizeOptions.PRECISION.label());
    }

    public SentenceEmbeddings() {
        this(newUid("sentenceEmbeddings"));
    }

    public static MLReader<SentenceEmbeddings> read() {
        return new DefaultParamsReader<>();
    }

    public Param<String> sentencesCol() {
        return sentencesCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public Param<String> tokenCountCol() {
        return tokenCountCol;
    }

    public Param<String> model() {
        return model;
    }

    public IntParam passTokens() {
        return passTokens;
    }

    public Param<String> device() {
        return device;
    }

    public SentenceEmbeddings setDevice(String value) {
        set(device, value);
        return this;
    }

    public Param<String> precision() {
        return precision;
    }

    public SentenceEmbeddings setPrecision(String value) {
        set(precision, value);
        return this;
    }

    /** Where the tasks count the tokens they encode, pass by pass, for progress lines; null for nowhere. */
    public SentenceEmbeddings setWorkMeter(WorkMeter meter) {
        workMeter = meter;
        return this;
    }

    public SentenceEmbeddings setModel(String directory) {
        set(model, directory);
        return this;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        requireColumn(schema, getOrDefault(sentencesCol), DataTypes.createArrayType(DataTypes.StringType, false),
                "SentenceEmbeddings");
        Placement.checkPrecision(Device.parse(getOrDefault(device)), Precision.parse(getOrDefault(precision)));
        String m = getOrDefault(model);
        if (!m.isEmpty() && !Files.isDirectory(Path.of(m))) {
            throw new IllegalArgumentException("model " + m + " is not a directory; give a model directory"
                    + " (config.json, model.safetensors or .onnx, tokenizer.json) or leave it empty for the bundled model");
        }
        return append(schema,
                DataTypes.createStructField(getOrDefault(outputCol), DataTypes.BinaryType, true),
                DataTypes.createStructField(getOrDefault(tokenCountCol), DataTypes.LongType, true));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType schema = transformSchema(dataset.schema());
        int sentencesAt = dataset.schema().fieldIndex(getOrDefault(sentencesCol));
        String modelName = getOrDefault(model);
        int pass = (Integer) getOrDefault(passTokens);
        boolean failFast = isFailFast();
        int idAt = docIdIndex(dataset.schema());
        Device where = Device.parse(getOrDefault(device));
        Precision inputs = Precision.parse(getOrDefault(precision));
        WorkMeter meter = workMeter;
        FlatMapFunction<Iterator<Row>, Row> f = rows -> {
            TaskEncoder encoder = TaskEncoder.open(where, inputs, modelName, pass);
            return new Iterator<Row>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row row = rows.next();
                    List<String> sentences = row.isNullAt(sentencesAt) ? List.of() : row.getList(sentencesAt);
                    if (sentences.isEmpty()) {
                        return appended(row, null, null);
                    }
                    return perDocument("SentenceEmbeddings", idAt < 0 ? null : row.getString(idAt), failFast, () -> {
                        TaskEncoder.Encoded e = encoder.encode(sentences, meter);
                        return appended(row, Floats.toBytes(e.vectors()), e.tokens());
                    }, appended(row, null, null));
                }
            };
        };
        // An RDD step, so that the stage computing it can ask for GPUs (GpuStages); the rest of the night cannot.
        return dataset.sparkSession().createDataFrame(GpuStages.onGpus(dataset.toDF().javaRDD().mapPartitions(f), where),
                schema);
    }

    /** This stage's settings for encoding outside its own transform (the job's long documents, in parts). */
    TaskEncoder.Settings encoderSettings() {
        return new TaskEncoder.Settings(Device.parse(getOrDefault(device)), Precision.parse(getOrDefault(precision)),
                getOrDefault(model), (Integer) getOrDefault(passTokens), isFailFast());
    }

    /**
     * A task's encoder and tokenizer, closed when the task completes: what turns sentences into their
     * vectors, for whole documents (this stage) and for parts of long ones ({@code LongDocuments}) alike.
     */
    static final class TaskEncoder {

        /** Where and how to encode: device, GEMM precision, model directory (empty: bundled), tokens per pass. */
        record Settings(Device device, Precision precision, String model, int passTokens, boolean failFast)
                implements java.io.Serializable {
        }

        /** Vectors {@code (N, hidden)} of N sentences, and the WordPiece tokens the model read. */
        record Encoded(float[] vectors, long tokens) {
        }

        private final EmbeddingBackend embedder;
        private final SentenceTokenizer tokenizer;

        private TaskEncoder(EmbeddingBackend embedder, SentenceTokenizer tokenizer) {
            this.embedder = embedder;
            this.tokenizer = tokenizer;
        }

        static TaskEncoder open(Settings s) {
            return open(s.device(), s.precision(), s.model(), s.passTokens());
        }

        static TaskEncoder open(Device where, Precision inputs, String modelName, int pass) {
            EmbeddingBackend embedder = TaskBackends.closedWithTask(TaskBackends.openEncoder(where, inputs, modelName, pass));
            SentenceTokenizer tokenizer = TaskBackends.closedWithTask(modelName.isEmpty()
                    ? SentenceTokenizer.bundledMiniLm() : SentenceTokenizer.of(Path.of(modelName)));
            return new TaskEncoder(embedder, tokenizer);
        }

        /** Sentences longer than the model's positions are truncated; {@code meter} (may be null) counts tokens as passes end. */
        Encoded encode(List<String> sentences, WorkMeter meter) {
            int[][] ids = tokenizer.encode(sentences);
            SentenceEmbedder.fit(ids, embedder.maxPositions(), SentenceEmbedder.Overlong.TRUNCATE, 1);
            long tokens = 0;
            for (int[] s : ids) {
                tokens += s.length;
            }
            if (meter == null) {
                return new Encoded(embedder.embed(ids), tokens);
            }
            TokensDone done = new TokensDone(meter, tokens, ids.length);
            float[] vectors = embedder.embed(ids, done::sentences);
            done.all();
            return new Encoded(vectors, tokens);
        }
    }

    /**
     * One document's encoded tokens told to the meter as passes end: the encoder says how many sentences
     * are done, so the tokens are that share of the document's (exact once all are done). Passes end on
     * the pool's threads, possibly out of order, so only a count above the largest so far adds anything.
     */
    private static final class TokensDone {
        private final WorkMeter meter;
        private final long tokens;
        private final int sentences;
        private long told;

        TokensDone(WorkMeter meter, long tokens, int sentences) {
            this.meter = meter;
            this.tokens = tokens;
            this.sentences = sentences;
        }

        synchronized void sentences(long done) {
            long share = tokens * done / sentences;
            if (share > told) {
                meter.encoded(share - told);
                told = share;
            }
        }

        void all() {
            sentences(sentences);
        }
    }
}
