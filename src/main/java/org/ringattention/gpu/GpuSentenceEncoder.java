package org.ringattention.gpu;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.ringattention.encoder.SentenceEncoder;
import org.ringattention.model.BertConfig;
import org.ringattention.model.BertWeights;

/**
 * Sentence embeddings with the whole encoder on one GPU: the formulas of {@code BertEncoder} and
 * {@code SentenceEmbedder} (embeddings + LayerNorm; per layer Q, K, V projections, exact attention of
 * every sentence over itself, output projection + residual + LayerNorm, feed-forward with GELU +
 * residual + LayerNorm; mean pooling and L2 normalization) run by src/main/cuda/encoder.cu and the
 * fp32 attention kernel, with the hidden states staying on the device from the token ids to the
 * sentence vectors.
 *
 * <p>Sentences are packed as on the CPU (segment = sentence, positions from 0 in each), in passes of at
 * most {@code passTokens} tokens, so no padding is computed and no sentence sees another. A pass copies
 * its token ids, positions, segments and sentence starts in with one copy and its vectors out with one,
 * and waits once: every buffer of a pass is sized for {@code passTokens} when the encoder opens (from the
 * GPU's {@link DeviceMemory}) and pinned staging is kept, so a pass neither allocates nor frees.
 *
 * <p>Weights are uploaded once per process and GPU ({@link Weights}, kept by the caller's cache); an
 * instance owns one stream and is used by one thread. {@link Precision#FP32} computes the projections
 * with fp32 FMA (agrees with the CPU encoder to fp32 rounding); {@link Precision#BF16} gives them bf16
 * inputs for tensor cores (fp32 accumulation; bias, GELU and the residual in the GEMM's epilogue in fp32;
 * LayerNorm, attention over the 32-wide heads, softmax and pooling stay fp32, and each step writes the
 * bf16 copy the next GEMM reads).
 */
public final class GpuSentenceEncoder implements SentenceEncoder, AutoCloseable {

    /** Tokens per pass by default: large enough to fill an H100-class GPU, 16 MB of hidden states for MiniLM. */
    public static final int DEFAULT_PASS_TOKENS = 16384;

    private final Weights weights;
    private final CudaApi api;
    private final int passTokens;
    private final CudaApi.Stream stream;
    private final Buffers at;
    private final DeviceMemory.Block arena;
    private final CudaApi.Pinned pinned;
    private final LaunchShape attention;

    private GpuSentenceEncoder(Weights weights, int passTokens) {
        if (passTokens < 1) {
            throw new IllegalArgumentException("tokens per pass must be at least 1, got " + passTokens);
        }
        this.weights = weights;
        this.api = weights.device.api();
        this.passTokens = passTokens;
        BertConfig c = weights.config;
        this.attention = LaunchShape.of(Precision.FP32, c.headDim());
        this.at = Buffers.of(c, passTokens, attention, weights.precision);
        weights.device.makeCurrent();
        this.stream = api.createStream();
        this.arena = weights.device.memory().take(at.total);
        this.pinned = api.allocPinned(at.pinnedBytes());
        // Token types are all 0 (one sentence per segment), the same for every pass.
        api.fill32(arena.address() + at.types, 0, passTokens, stream);
        api.synchronize(stream, "preparing the GPU encoder");
    }

    /** An encoder over weights already on the GPU. */
    public static GpuSentenceEncoder open(Weights weights, int passTokens) {
        return new GpuSentenceEncoder(weights, passTokens);
    }

    @Override
    public int dimension() {
        return weights.config.hiddenSize();
    }

    @Override
    public int maxPositions() {
        return weights.config.maxPositions();
    }

    /** After a sticky CUDA error the runtime is marked lost and the {@link CudaFailure} thrown. */
    @Override
    public float[] embed(int[][] ids) {
        int h = dimension();
        float[] out = new float[ids.length * h];
        weights.device.makeCurrent();
        int first = 0;
        try {
            while (first < ids.length) {
                int end = first;
                int tokens = 0;
                do {
                    if (ids[end].length == 0) {
                        throw new IllegalArgumentException("sentence " + end + " has no tokens; tokenize with special tokens");
                    }
                    if (ids[end].length > passTokens) {
                        throw new IllegalArgumentException("sentence " + end + " has " + ids[end].length
                                + " tokens, over the " + passTokens + " of a pass; truncate it to the model's positions");
                    }
                    tokens += ids[end++].length;
                } while (end < ids.length && tokens + ids[end].length <= passTokens);
                pass(ids, first, end, tokens, out);
                first = end;
            }
        } catch (CudaFailure failure) {
            if (failure.sticky()) {
                GpuRuntime.markLost(failure);
            }
            throw failure;
        }
        return out;
    }

    /** Sentences [from, to) of {@code tokens} tokens in one pass: their vectors into {@code out} at row {@code from}. */
    private void pass(int[][] ids, int from, int to, int tokens, float[] out) {
        BertConfig c = weights.config;
        int h = c.hiddenSize();
        int inter = c.intermediateSize();
        int heads = c.heads();
        int sentences = to - from;
        ByteBuffer host = pinned.bytes();
        int r = 0;
        for (int s = from; s < to; s++) {
            host.putInt(Math.toIntExact(at.starts + 4L * (s - from)), r);
            for (int p = 0; p < ids[s].length; p++, r++) {
                if (ids[s][p] < 0 || ids[s][p] >= c.vocabSize() || p >= c.maxPositions()) {
                    throw new IllegalArgumentException("sentence " + s + " has token id " + ids[s][p] + " at position " + p
                            + "; the model has " + c.vocabSize() + " ids and " + c.maxPositions() + " positions");
                }
                host.putInt(Math.toIntExact(at.ids + 4L * r), ids[s][p]);
                host.putInt(Math.toIntExact(at.positions + 4L * r), p);
                host.putInt(Math.toIntExact(at.segments + 4L * r), s - from);
            }
        }
        host.putInt(Math.toIntExact(at.starts + 4L * sentences), tokens);
        long b = arena.address();
        long pos = b + at.positions;
        long seg = b + at.segments;
        long x = b + at.x;
        long q = b + at.q;
        long k = b + at.k;
        long v = b + at.v;
        long o = b + at.o;
        boolean bf16 = weights.precision == Precision.BF16;
        // bf16 copies of the GEMMs' inputs, written by the step before each GEMM (0 at fp32).
        long x16 = bf16 ? b + at.x16 : 0;
        long o16 = bf16 ? b + at.o16 : 0;
        long f = b + at.f;
        long qTiles = b + at.qTiles;
        long kTiles = b + at.kTiles;
        long vectors = b + at.out;
        api.copyToDevice(b, pinned, 0, at.inputBytes, stream);

        int warpBlocks = (tokens * 32 + 255) / 256;
        launch("re_embed", warpBlocks, 1, 256, 0, new KernelArgs().pointer(b + at.ids).pointer(pos).pointer(b + at.types)
                .pointer(weights.word).pointer(weights.position).pointer(weights.type).pointer(weights.embGamma)
                .pointer(weights.embBeta).f32(c.layerNormEps()).i32(tokens).i32(h).pointer(x).pointer(x16));
        tileBounds(pos, seg, tokens, attention.blockM(), qTiles);
        tileBounds(pos, seg, tokens, attention.blockN(), kTiles);
        float scale = (float) (1 / Math.sqrt(c.headDim()));
        byte[] params = KernelParams.pack(new KernelParams.Addresses(q, k, v, pos, pos, seg, seg, qTiles, kTiles, o,
                b + at.lse, b + at.lse), tokens, tokens, heads, heads, c.headDim(), scale, false, true, false, true);
        for (Weights.Layer w : weights.layers) {
            // Q, K, V in fp32 for the attention kernel; the output projection and the feed-forward output add
            // their residual in the GEMM; GELU is the intermediate GEMM's epilogue (BERT, Devlin et al. 2019).
            gemm(bf16 ? x16 : x, w.query, q, 0, tokens, h, h, 0);
            gemm(bf16 ? x16 : x, w.key, k, 0, tokens, h, h, 0);
            gemm(bf16 ? x16 : x, w.value, v, 0, tokens, h, h, 0);
            api.launch(attention.function(), attention.queryTiles(tokens), heads, attention.threads(),
                    attention.sharedBytes(), stream, new KernelArgs().struct(params));
            if (bf16) {
                long n = (long) tokens * h;
                launch("ra_f32_to_bf16", (int) Math.max(1, Math.min(4096, (n + 255) / 256)), 1, 256, 0,
                        new KernelArgs().pointer(o).pointer(o16).i64(n));
            }
            gemm(bf16 ? o16 : o, w.attentionOut, x, 0, tokens, h, h, RESIDUAL);
            layerNorm(x, x16, w.ln1Gamma, w.ln1Beta, tokens, h, c.layerNormEps(), warpBlocks);
            // The activations go on only as the next GEMM's input: bf16 alone when that GEMM is bf16.
            gemm(bf16 ? x16 : x, w.intermediate, bf16 ? 0 : f, bf16 ? f : 0, tokens, inter, h, GELU);
            gemm(f, w.output, x, 0, tokens, h, inter, RESIDUAL);
            layerNorm(x, x16, w.ln2Gamma, w.ln2Beta, tokens, h, c.layerNormEps(), warpBlocks);
        }
        launch("re_pool", sentences, 1, 128, 0, new KernelArgs().pointer(x).pointer(b + at.starts).i32(h).pointer(vectors));
        api.copyToHost(pinned, at.pinnedOut, vectors, (long) sentences * h * 4, stream);
        api.synchronize(stream, "GPU encoder pass");
        GpuAttentionKernel.getFloats(host, at.pinnedOut, out, from * h, sentences * h);
    }

    /** The GEMMs' epilogue flags (encoder.cu, RE_GELU and RE_RESIDUAL). */
    static final int GELU = 1;
    static final int RESIDUAL = 2;

    /**
     * {@code y = epilogue(x W^T + b)}: (rows, n) from (rows, k), into fp32 {@code y} and/or bf16 {@code y16}
     * (0 for none; bf16 output only from the bf16 GEMM, whose input {@code x} is bf16).
     */
    private void gemm(long x, Weights.Linear w, long y, long y16, int rows, int n, int k, int flags) {
        if (weights.precision == Precision.BF16) {
            launch("re_gemm_bf16", (n + BF16_TILE - 1) / BF16_TILE, (rows + BF16_TILE - 1) / BF16_TILE, 256,
                    BF16_GEMM_SHARED, new KernelArgs().pointer(x).pointer(w.half).pointer(w.bias).pointer(y).pointer(y16)
                            .i32(rows).i32(n).i32(k).i32(flags));
        } else {
            launch("re_gemm_f32", (n + 63) / 64, (rows + 63) / 64, 256, 0, new KernelArgs().pointer(x).pointer(w.weight)
                    .pointer(w.bias).pointer(y).i32(rows).i32(n).i32(k).i32(flags));
        }
    }

    /** The bf16 GEMM's output tile edge and its shared memory: three stages of 128 x (32 + 8) bf16 for X and W. */
    static final int BF16_TILE = 128;
    static final int BF16_GEMM_SHARED = 3 * (128 + 128) * (32 + 8) * 2;

    /** LayerNorm of x in place, and its bf16 copy into {@code x16} (0 for none). */
    private void layerNorm(long x, long x16, long gamma, long beta, int rows, int h, float eps, int blocks) {
        launch("re_layernorm", blocks, 1, 256, 0, new KernelArgs().pointer(x).pointer(gamma).pointer(beta).f32(eps)
                .i32(rows).i32(h).pointer(x16));
    }

    private void tileBounds(long positions, long segments, int rows, int tile, long out) {
        launch("ra_tile_bounds", (rows + tile - 1) / tile, 1, 32, 0, new KernelArgs().pointer(positions).pointer(segments)
                .i32(rows).i32(tile).pointer(out));
    }

    private void launch(String kernel, int gridX, int gridY, int threads, int sharedBytes, KernelArgs args) {
        api.launch(kernel, gridX, gridY, threads, sharedBytes, stream, args);
    }

    @Override
    public void close() {
        weights.device.makeCurrent();
        api.synchronize(stream, "GPU encoder");
        weights.device.memory().give(arena);
        api.freePinned(pinned);
        api.destroy(stream);
    }

    /**
     * Where a pass's buffers sit in the encoder's one device block, for {@code passTokens} tokens: first the
     * copied inputs (ids, positions, segments, sentence starts, one run mirrored in pinned memory), then
     * token types, hidden states, Q K V O, LSE, tile bounds, the sentence vectors, the feed-forward
     * activations (fp32, or bf16 at bf16), and at bf16 the bf16 copies of the hidden states and of O that the
     * GEMMs read. Pinned: the inputs, then the vectors.
     */
    record Buffers(long ids, long positions, long segments, long starts, long inputBytes, long types, long x, long q,
                   long k, long v, long o, long lse, long qTiles, long kTiles, long out, long f, long x16, long o16,
                   long total, long pinnedOut, long outBytes) {

        static Buffers of(BertConfig c, int passTokens, LaunchShape attention, Precision precision) {
            long t = passTokens;
            long h = c.hiddenSize();
            long inter = c.intermediateSize();
            boolean bf16 = precision == Precision.BF16;
            long[] end = {0};
            java.util.function.LongUnaryOperator take = bytes -> {
                long a = end[0];
                end[0] = DeviceLayout.aligned(a + bytes);
                return a;
            };
            long ids = take.applyAsLong(t * 4);
            long positions = take.applyAsLong(t * 4);
            long segments = take.applyAsLong(t * 4);
            long starts = take.applyAsLong((t + 1) * 4);
            long inputBytes = end[0];
            long types = take.applyAsLong(t * 4);
            long x = take.applyAsLong(t * h * 4);
            long q = take.applyAsLong(t * h * 4);
            long k = take.applyAsLong(t * h * 4);
            long v = take.applyAsLong(t * h * 4);
            long o = take.applyAsLong(t * h * 4);
            long lse = take.applyAsLong(c.heads() * t * 4);
            long qTiles = take.applyAsLong(attention.queryTiles(passTokens) * 16L);
            long kTiles = take.applyAsLong(attention.keyTiles(passTokens) * 16L);
            long outBytes = t * h * 4;
            long out = take.applyAsLong(outBytes);
            long f = take.applyAsLong(t * inter * (bf16 ? 2 : 4));
            long x16 = bf16 ? take.applyAsLong(t * h * 2) : DeviceLayout.NONE;
            long o16 = bf16 ? take.applyAsLong(t * h * 2) : DeviceLayout.NONE;
            return new Buffers(ids, positions, segments, starts, inputBytes, types, x, q, k, v, o, lse, qTiles, kTiles,
                    out, f, x16, o16, end[0], inputBytes, outBytes);
        }

        long pinnedBytes() {
            return pinnedOut + outBytes;
        }
    }

    /**
     * A model's weights on one GPU, uploaded once (about 90 MB for MiniLM, plus bf16 copies of the
     * projection matrices at {@link Precision#BF16}); read-only afterwards, so every thread's encoder on
     * that GPU shares them. They live as long as the process, like the context.
     */
    public static final class Weights {
        final GpuRuntime.Device device;
        final BertConfig config;
        final Precision precision;
        final long word;
        final long position;
        final long type;
        final long embGamma;
        final long embBeta;
        final List<Layer> layers = new ArrayList<>();

        record Linear(long weight, long half, long bias) {
        }

        record Layer(Linear query, Linear key, Linear value, Linear attentionOut, long ln1Gamma, long ln1Beta,
                     Linear intermediate, Linear output, long ln2Gamma, long ln2Beta) {
        }

        /** Uploads {@code w} to GPU {@code ordinal}; fp32 or bf16 projections. */
        public static Weights upload(int ordinal, BertWeights w, Precision precision) {
            return upload(GpuRuntime.device(ordinal), w, precision);
        }

        /** Uploads {@code w} to {@code device}; fp32 or bf16 projections. */
        public static Weights upload(GpuRuntime.Device device, BertWeights w, Precision precision) {
            if (precision == Precision.FP16) {
                throw new IllegalArgumentException("the GPU encoder runs fp32 or bf16, not fp16");
            }
            return new Weights(device, w, precision);
        }

        private Weights(GpuRuntime.Device device, BertWeights w, Precision precision) {
            this.device = device;
            this.config = w.config();
            this.precision = precision;
            if (config.headDim() > 512 || config.hiddenSize() % config.heads() != 0) {
                throw new IllegalArgumentException("the GPU encoder needs head dimensions up to 512, got " + config.headDim());
            }
            if (precision == Precision.BF16 && (config.hiddenSize() % 8 != 0 || config.intermediateSize() % 8 != 0)) {
                throw new IllegalArgumentException("the bf16 GPU encoder copies rows in 16-byte pieces: hidden size "
                        + config.hiddenSize() + " and intermediate size " + config.intermediateSize()
                        + " must be multiples of 8; use --precision fp32");
            }
            device.makeCurrent();
            CudaApi api = device.api();
            CudaApi.Stream stream = api.createStream();
            word = upload(w.get("embeddings.word_embeddings.weight").data());
            position = upload(w.get("embeddings.position_embeddings.weight").data());
            type = upload(w.get("embeddings.token_type_embeddings.weight").data());
            embGamma = upload(w.get("embeddings.LayerNorm.weight").data());
            embBeta = upload(w.get("embeddings.LayerNorm.bias").data());
            for (int l = 0; l < config.layers(); l++) {
                layers.add(new Layer(linear(w, l, "attention.self.query", stream), linear(w, l, "attention.self.key", stream),
                        linear(w, l, "attention.self.value", stream), linear(w, l, "attention.output.dense", stream),
                        vector(w, l, "attention.output.LayerNorm.weight"), vector(w, l, "attention.output.LayerNorm.bias"),
                        linear(w, l, "intermediate.dense", stream), linear(w, l, "output.dense", stream),
                        vector(w, l, "output.LayerNorm.weight"), vector(w, l, "output.LayerNorm.bias")));
            }
            api.synchronize(stream, "uploading the encoder's weights");
            api.destroy(stream);
        }

        public Precision precision() {
            return precision;
        }

        private Linear linear(BertWeights w, int layer, String name, CudaApi.Stream stream) {
            float[] weight = w.get(BertWeights.layer(layer, name + ".weight")).data();
            long fp32 = upload(weight);
            long half = 0;
            if (precision == Precision.BF16) {
                half = device.api().alloc(weight.length * 2L);
                device.api().launch("ra_f32_to_bf16", (int) Math.max(1, Math.min(4096, (weight.length + 255L) / 256)), 1,
                        256, 0, stream, new KernelArgs().pointer(fp32).pointer(half).i64(weight.length));
            }
            return new Linear(fp32, half, upload(w.get(BertWeights.layer(layer, name + ".bias")).data()));
        }

        private long vector(BertWeights w, int layer, String name) {
            return upload(w.get(BertWeights.layer(layer, name)).data());
        }

        private long upload(float[] values) {
            long a = device.api().alloc(values.length * 4L);
            device.api().upload(a, values);
            return a;
        }
    }
}
