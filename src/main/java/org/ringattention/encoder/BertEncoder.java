package org.ringattention.encoder;

import java.util.function.Function;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.attention.VectorApi;
import org.ringattention.attention.WorkerPool;
import org.ringattention.model.BertConfig;
import org.ringattention.model.BertWeights;

/**
 * A BERT encoder stack (Devlin et al.; Hugging Face's {@code BertModel}) computed blockwise as in BPT
 * (arXiv 2305.19370, section 3): per layer,
 * <pre>
 *   Q, K, V = X W_q + b_q, X W_k + b_k, X W_v + b_v          per sequence block
 *   O       = Attention(Q, K, V)                              whole sequence, through {@link SequenceAttention}
 *   H       = LayerNorm(O W_o + b_o + X)                      per sequence block
 *   X'      = LayerNorm(GELU(H W_1 + b_1) W_2 + b_2 + H)      per sequence block
 * </pre>
 * so the feed-forward activations ({@code rows x intermediate}) exist for one block at a time.
 *
 * <p>Immutable after construction and safe to share between threads; {@link #forward} runs blocks on
 * {@code threads} threads. The dense arithmetic comes from a {@link DenseMath}: the Vector API version
 * when {@code jdk.incubator.vector} is present, the scalar one otherwise or when the system property
 * {@value #MATH_PROPERTY} is {@code scalar}.
 */
public final class BertEncoder implements AutoCloseable {

    /** System property that forces the dense arithmetic: {@code auto} (default), {@code vector} or {@code scalar}. */
    public static final String MATH_PROPERTY = "ringattention.dense.math";

    /** Rows per block: the feed-forward scratch (64 x 1536 floats for MiniLM) stays in L2. */
    public static final int DEFAULT_BLOCK_SIZE = 64;

    private record Layer(PackedLinear query, PackedLinear key, PackedLinear value, PackedLinear attentionOut,
                         float[] ln1Gamma, float[] ln1Beta, PackedLinear intermediate, PackedLinear output,
                         float[] ln2Gamma, float[] ln2Beta) {
    }

    private final BertConfig config;
    private final DenseMath math;
    private final AttentionSpec spec;
    private final float[] wordEmbeddings;
    private final float[] positionEmbeddings;
    private final float[] typeEmbeddings;
    private final float[] embGamma;
    private final float[] embBeta;
    private final Layer[] layers;
    private final int blockSize;
    private final WorkerPool workers;

    private BertEncoder(BertWeights w, DenseMath math, int blockSize, int threads) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("block size must be at least 1, got " + blockSize);
        }
        this.config = w.config();
        this.math = math;
        this.blockSize = blockSize;
        this.spec = AttentionSpec.of(config.heads(), config.heads(), config.headDim(), false);
        wordEmbeddings = w.get("embeddings.word_embeddings.weight").data();
        positionEmbeddings = w.get("embeddings.position_embeddings.weight").data();
        typeEmbeddings = w.get("embeddings.token_type_embeddings.weight").data();
        embGamma = w.get("embeddings.LayerNorm.weight").data();
        embBeta = w.get("embeddings.LayerNorm.bias").data();
        layers = new Layer[config.layers()];
        int nr = math.panelWidth();
        for (int l = 0; l < layers.length; l++) {
            final int layer = l;
            Function<String, PackedLinear> linear = name -> new PackedLinear(
                    w.get(BertWeights.layer(layer, name + ".weight")), w.get(BertWeights.layer(layer, name + ".bias")), nr);
            Function<String, float[]> vec = name -> w.get(BertWeights.layer(layer, name)).data();
            layers[l] = new Layer(linear.apply("attention.self.query"), linear.apply("attention.self.key"),
                    linear.apply("attention.self.value"), linear.apply("attention.output.dense"),
                    vec.apply("attention.output.LayerNorm.weight"), vec.apply("attention.output.LayerNorm.bias"),
                    linear.apply("intermediate.dense"), linear.apply("output.dense"),
                    vec.apply("output.LayerNorm.weight"), vec.apply("output.LayerNorm.bias"));
        }
        this.workers = new WorkerPool(threads);
    }

    /** An encoder with the dense arithmetic chosen as described above. */
    public static BertEncoder create(BertWeights weights, int blockSize, int threads) {
        return of(weights, denseMath(System.getProperty(MATH_PROPERTY, "auto")), blockSize, threads);
    }

    /** An encoder with plain scalar arithmetic, whatever the JVM offers. */
    public static BertEncoder scalar(BertWeights weights, int blockSize, int threads) {
        return of(weights, new ScalarDenseMath(), blockSize, threads);
    }

    /** An encoder over {@code math} (a model of another device's arithmetic, in tests). */
    static BertEncoder of(BertWeights weights, DenseMath math, int blockSize, int threads) {
        return new BertEncoder(weights, math, blockSize, threads);
    }

    static DenseMath denseMath(String choice) {
        return VectorApi.choose(choice, MATH_PROPERTY, DenseMath.class, "org.ringattention.encoder.VectorDenseMath",
                ScalarDenseMath::new);
    }

    public BertConfig config() {
        return config;
    }

    /** The attention every layer computes: all heads, scale 1/sqrt(head dim), not causal. */
    AttentionSpec attentionSpec() {
        return spec;
    }

    /** The dense arithmetic in use, e.g. {@code vector-512}. */
    String mathName() {
        return math.name();
    }

    /** Last hidden states {@code (rows, hidden)} of {@code seq}. */
    public float[] forward(TokenSequence seq, SequenceAttention attention) {
        int s = seq.rows();
        int h = config.hiddenSize();
        float[] x = new float[s * h];
        forEachBlock(s, (from, to) -> embed(seq, from, to, x));
        float[] q = new float[s * h];
        float[] k = new float[s * h];
        float[] v = new float[s * h];
        TokenIndex index = seq.index();
        for (int l = 0; l < layers.length; l++) {
            final int layer = l;
            forEachBlock(s, (from, to) -> projectQkv(layer, x, from, to, q, k, v));
            float[] o = attention.attend(layer, spec, new Queries(q, index), new KeysValues(k, v, index));
            int inter = config.intermediateSize();
            workers.run(blocks(s), () -> new float[blockSize * inter],
                    (b, f) -> finishLayer(layer, x, o, b * blockSize, Math.min(s, (b + 1) * blockSize), f));
        }
        return x;
    }

    /**
     * Whole-sequence attention for packed inputs whose segments are contiguous runs of rows (as
     * {@link SentenceEmbedder} packs sentences): each segment attends over itself only, through this
     * encoder's dense arithmetic, segments spread over its threads. Unlike a tiled kernel it computes no
     * logit between two segments, which for sentences of a few dozen tokens is most of a tile's work.
     * Segment ids must increase from run to run, so that no segment is split in two.
     */
    public SequenceAttention segmentAttention() {
        return (layer, attentionSpec, queries, keysValues) -> attendSegments(attentionSpec, queries, keysValues);
    }

    private float[] attendSegments(AttentionSpec attentionSpec, Queries queries, KeysValues keysValues) {
        TokenIndex index = queries.index();
        if (keysValues.index() != index || attentionSpec.causal() || attentionSpec.groupSize() != 1) {
            throw new IllegalArgumentException("segment attention is self-attention of one packed sequence,"
                    + " not causal, one key head per query head; use a kernel for other attention");
        }
        int rows = index.rows();
        int[] segments = index.segments();
        int[] starts = new int[rows + 1];
        int runs = 0;
        for (int r = 0; r < rows; r++) {
            if (r == 0 || segments != null && segments[r] != segments[r - 1]) {
                if (r > 0 && segments[r] < segments[r - 1]) {
                    throw new IllegalArgumentException("segment " + segments[r] + " at row " + r + " follows segment "
                            + segments[r - 1] + "; segment attention needs each segment as one run, in increasing ids");
                }
                starts[runs++] = r;
            }
        }
        starts[runs] = rows;
        int longest = 0;
        for (int run = 0; run < runs; run++) {
            longest = Math.max(longest, starts[run + 1] - starts[run]);
        }
        float[] o = new float[rows * attentionSpec.queryRowWidth()];
        int scratchSize = math.segmentScratch(longest, attentionSpec.headDim());
        workers.run(runs, () -> new float[scratchSize], (run, scratch) -> math.segmentAttention(queries.q(),
                keysValues.k(), keysValues.v(), o, starts[run], starts[run + 1] - starts[run],
                attentionSpec.queryHeads(), attentionSpec.headDim(), attentionSpec.scale(), scratch));
        return o;
    }

    /** Rows {@code [from, to)} of x: word + position + type embeddings, then LayerNorm. */
    private void embed(TokenSequence seq, int from, int to, float[] x) {
        int h = config.hiddenSize();
        for (int r = from; r < to; r++) {
            int id = seq.tokenIds()[r];
            int type = seq.typeIds()[r];
            int pos = seq.index().positions()[r];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token " + r + " has id " + id + "; the vocabulary has "
                        + config.vocabSize() + " tokens: use this model's tokenizer");
            }
            if (type < 0 || type >= config.typeVocabSize()) {
                throw new IllegalArgumentException("token " + r + " has type id " + type + "; the model has "
                        + config.typeVocabSize() + " token types");
            }
            if (pos < 0 || pos >= config.maxPositions()) {
                throw new IllegalArgumentException("token " + r + " is at position " + pos + "; the model has "
                        + config.maxPositions() + " positions: truncate longer inputs");
            }
            int xo = r * h;
            for (int c = 0; c < h; c++) {
                x[xo + c] = wordEmbeddings[id * h + c] + positionEmbeddings[pos * h + c] + typeEmbeddings[type * h + c];
            }
            math.layerNorm(x, xo, h, embGamma, embBeta, config.layerNormEps());
        }
    }

    /** Rows {@code [from, to)} of Q, K and V, each {@code (rows, heads, head dim)}, from rows of x. */
    private void projectQkv(int layer, float[] x, int from, int to, float[] q, float[] k, float[] v) {
        Layer w = layers[layer];
        int h = config.hiddenSize();
        int o = from * h;
        math.matmul(x, o, h, to - from, w.query, q, o, h, false);
        math.matmul(x, o, h, to - from, w.key, k, o, h, false);
        math.matmul(x, o, h, to - from, w.value, v, o, h, false);
    }

    /**
     * Rows {@code [from, to)} of x, in place, from the layer's input x and attention output o: output
     * projection, residual, LayerNorm, feed-forward with GELU (activations in {@code f}), residual, LayerNorm.
     */
    private void finishLayer(int layer, float[] x, float[] o, int from, int to, float[] f) {
        Layer w = layers[layer];
        int h = config.hiddenSize();
        int inter = config.intermediateSize();
        int rows = to - from;
        int xo = from * h;
        float eps = config.layerNormEps();
        math.matmul(o, xo, h, rows, w.attentionOut, x, xo, h, true);
        for (int r = 0; r < rows; r++) {
            math.layerNorm(x, xo + r * h, h, w.ln1Gamma, w.ln1Beta, eps);
        }
        math.matmul(x, xo, h, rows, w.intermediate, f, 0, inter, false);
        math.gelu(f, 0, rows * inter);
        math.matmul(f, 0, inter, rows, w.output, x, xo, h, true);
        for (int r = 0; r < rows; r++) {
            math.layerNorm(x, xo + r * h, h, w.ln2Gamma, w.ln2Beta, eps);
        }
    }

    /** A block step over rows {@code [from, to)}. */
    @FunctionalInterface
    private interface BlockStep {
        void run(int from, int to);
    }

    /** Runs {@code step} on every block of {@code rows} rows, blocks spread over the worker threads. */
    private void forEachBlock(int rows, BlockStep step) {
        workers.run(blocks(rows), () -> null, (b, unused) -> step.run(b * blockSize, Math.min(rows, (b + 1) * blockSize)));
    }

    private int blocks(int rows) {
        return (rows + blockSize - 1) / blockSize;
    }

    @Override
    public void close() {
        workers.close();
    }
}
