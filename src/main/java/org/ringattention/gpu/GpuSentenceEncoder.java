package org.ringattention.gpu;

import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
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
 * most {@code passTokens} tokens, so no padding is computed and no sentence sees another. Weights are
 * uploaded once per process and GPU ({@link Weights}, kept by the caller's cache); an instance owns one
 * stream and is used by one thread. {@link Precision#FP32} computes the projections with fp32 FMA
 * (agrees with the CPU encoder to fp32 rounding); {@link Precision#BF16} rounds their inputs to bf16 for
 * tensor cores (fp32 accumulation; LayerNorm, softmax and pooling stay fp32).
 */
public final class GpuSentenceEncoder implements SentenceEncoder, AutoCloseable {

    /** Tokens per pass by default: large enough to fill an H100-class GPU, 16 MB of hidden states for MiniLM. */
    public static final int DEFAULT_PASS_TOKENS = 16384;

    private final Weights weights;
    private final int passTokens;
    private final CUstream stream = new CUstream();

    private GpuSentenceEncoder(Weights weights, int passTokens) {
        if (passTokens < 1) {
            throw new IllegalArgumentException("tokens per pass must be at least 1, got " + passTokens);
        }
        this.weights = weights;
        this.passTokens = passTokens;
        weights.device.makeCurrent();
        // A blocking stream: its kernels wait for the synchronous copies of a pass's token ids, which run on
        // the legacy default stream and may return before their DMA from pageable memory has landed.
        GpuRuntime.check(JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_DEFAULT), "cuStreamCreate");
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
                    tokens += ids[end++].length;
                } while (end < ids.length && tokens + ids[end].length <= passTokens);
                float[] vectors = pass(ids, first, end, tokens);
                System.arraycopy(vectors, 0, out, first * h, vectors.length);
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

    /** Sentences [from, to) of {@code tokens} tokens in one pass: their vectors, (to - from, hidden). */
    private float[] pass(int[][] ids, int from, int to, int tokens) {
        BertConfig c = weights.config;
        int h = c.hiddenSize();
        int inter = c.intermediateSize();
        int heads = c.heads();
        int sentences = to - from;
        int[] tokenIds = new int[tokens];
        int[] positions = new int[tokens];
        int[] segments = new int[tokens];
        int[] starts = new int[sentences + 1];
        int r = 0;
        for (int s = from; s < to; s++) {
            starts[s - from] = r;
            for (int p = 0; p < ids[s].length; p++, r++) {
                if (ids[s][p] < 0 || ids[s][p] >= c.vocabSize() || p >= c.maxPositions()) {
                    throw new IllegalArgumentException("sentence " + s + " has token id " + ids[s][p] + " at position " + p
                            + "; the model has " + c.vocabSize() + " ids and " + c.maxPositions() + " positions");
                }
                tokenIds[r] = ids[s][p];
                positions[r] = p;
                segments[r] = s - from;
            }
        }
        starts[sentences] = tokens;
        LaunchShape attention = LaunchShape.of(Precision.FP32, c.headDim());
        try (Scratch m = new Scratch()) {
            long ids32 = m.ints(tokenIds);
            long pos = m.ints(positions);
            long seg = m.ints(segments);
            long types = m.ints(new int[tokens]);
            long startsAt = m.ints(starts);
            long x = m.floats((long) tokens * h);
            long q = m.floats((long) tokens * h);
            long k = m.floats((long) tokens * h);
            long v = m.floats((long) tokens * h);
            long o = m.floats((long) tokens * h);
            long f = m.floats((long) tokens * inter);
            long lse = m.floats((long) heads * tokens);
            long qTiles = m.bytes(attention.queryTiles(tokens) * 16L);
            long kTiles = m.bytes(attention.keyTiles(tokens) * 16L);
            // bf16 copies of each GEMM's input: hidden states (rows x h) or feed-forward activations (rows x inter).
            long half = weights.precision == Precision.BF16 ? m.bytes((long) tokens * Math.max(h, inter) * 2) : 0;
            Address outBuffer = m.buffer((long) sentences * h * 4);
            long out = outBuffer.address();

            int warpBlocks = (tokens * 32 + 255) / 256;
            launch("re_embed", warpBlocks, 1, 256, 0, ptr(ids32), ptr(pos), ptr(types), ptr(weights.word),
                    ptr(weights.position), ptr(weights.type), ptr(weights.embGamma), ptr(weights.embBeta),
                    Pointer.to(new float[] {c.layerNormEps()}), Pointer.to(new int[] {tokens}), Pointer.to(new int[] {h}),
                    ptr(x));
            tileBounds(pos, seg, tokens, attention.blockM(), qTiles);
            tileBounds(pos, seg, tokens, attention.blockN(), kTiles);
            float scale = (float) (1 / Math.sqrt(c.headDim()));
            byte[] params = KernelParams.pack(new KernelParams.Addresses(q, k, v, pos, pos, seg, seg, qTiles, kTiles, o,
                    lse, lse), tokens, tokens, heads, heads, c.headDim(), scale, false, true, false, true);
            for (Weights.Layer w : weights.layers) {
                gemm(x, w.query, q, tokens, h, h, false, half);
                gemm(x, w.key, k, tokens, h, h, false, half);
                gemm(x, w.value, v, tokens, h, h, false, half);
                launch(attention.function(), attention.queryTiles(tokens), heads, attention.threads(),
                        attention.sharedBytes(), Pointer.to(params));
                gemm(o, w.attentionOut, x, tokens, h, h, true, half);
                layerNorm(x, w.ln1Gamma, w.ln1Beta, tokens, h, c.layerNormEps(), warpBlocks);
                gemm(x, w.intermediate, f, tokens, inter, h, false, half);
                long n = (long) tokens * inter;
                launch("re_gelu", (int) Math.min(65535, (n + 255) / 256), 1, 256, 0, ptr(f), Pointer.to(new long[] {n}));
                gemm(f, w.output, x, tokens, h, inter, true, half);
                layerNorm(x, w.ln2Gamma, w.ln2Beta, tokens, h, c.layerNormEps(), warpBlocks);
            }
            launch("re_pool", sentences, 1, 128, 0, ptr(x), ptr(startsAt), Pointer.to(new int[] {h}), ptr(out));
            float[] vectors = new float[sentences * h];
            GpuRuntime.check(JCudaDriver.cuStreamSynchronize(stream), "GPU encoder pass");
            GpuRuntime.check(JCudaDriver.cuMemcpyDtoH(Pointer.to(vectors), outBuffer, vectors.length * 4L),
                    "cuMemcpyDtoH");
            return vectors;
        }
    }

    /** y (=|+=) x W^T + b: (rows, n) from (rows, k); in bf16 the input is rounded into {@code half} first. */
    private void gemm(long x, Weights.Linear w, long y, int rows, int n, int k, boolean accumulate, long half) {
        int grid = (n + 63) / 64;
        int gridY = (rows + 63) / 64;
        Pointer acc = Pointer.to(new int[] {accumulate ? 1 : 0});
        Pointer dims = Pointer.to(new int[] {rows});
        if (weights.precision == Precision.BF16) {
            long count = (long) rows * k;
            launch("ra_f32_to_bf16", (int) Math.max(1, Math.min(4096, (count + 255) / 256)), 1, 256, 0, ptr(x), ptr(half),
                    Pointer.to(new long[] {count}));
            launch("re_gemm_bf16", grid, gridY, 128, 0, ptr(half), ptr(w.half), ptr(w.bias), ptr(y), dims,
                    Pointer.to(new int[] {n}), Pointer.to(new int[] {k}), acc);
        } else {
            launch("re_gemm_f32", grid, gridY, 256, 0, ptr(x), ptr(w.weight), ptr(w.bias), ptr(y), dims,
                    Pointer.to(new int[] {n}), Pointer.to(new int[] {k}), acc);
        }
    }

    private void layerNorm(long x, long gamma, long beta, int rows, int h, float eps, int blocks) {
        launch("re_layernorm", blocks, 1, 256, 0, ptr(x), ptr(gamma), ptr(beta), Pointer.to(new float[] {eps}),
                Pointer.to(new int[] {rows}), Pointer.to(new int[] {h}));
    }

    private void tileBounds(long positions, long segments, int rows, int tile, long out) {
        launch("ra_tile_bounds", (rows + tile - 1) / tile, 1, 32, 0, ptr(positions), ptr(segments),
                Pointer.to(new int[] {rows}), Pointer.to(new int[] {tile}), ptr(out));
    }

    private void launch(String kernel, int gridX, int gridY, int threads, int sharedBytes, Pointer... args) {
        GpuRuntime.check(JCudaDriver.cuLaunchKernel(weights.device.function(kernel, sharedBytes), gridX, gridY, 1,
                threads, 1, 1, sharedBytes, stream, Pointer.to(args), null), "cuLaunchKernel(" + kernel + ")");
    }

    private static Pointer ptr(long address) {
        return Pointer.to(new long[] {address});
    }

    @Override
    public void close() {
        weights.device.makeCurrent();
        GpuRuntime.check(JCudaDriver.cuStreamDestroy(stream), "cuStreamDestroy");
    }

    /** A raw device address as a JCuda pointer. */
    private static final class Address extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }

        static Address alloc(long bytes) {
            Address a = new Address();
            GpuRuntime.check(JCudaDriver.cuMemAlloc(a, Math.max(bytes, 1)), "cuMemAlloc(" + bytes + " bytes)");
            return a;
        }
    }

    /** One pass's device buffers, freed together. */
    private static final class Scratch implements AutoCloseable {
        private final List<Address> buffers = new ArrayList<>();

        Address buffer(long n) {
            Address a = Address.alloc(n);
            buffers.add(a);
            return a;
        }

        long bytes(long n) {
            return buffer(n).address();
        }

        long floats(long n) {
            return bytes(n * 4);
        }

        long ints(int[] values) {
            Address a = buffer(values.length * 4L);
            if (values.length > 0) {
                GpuRuntime.check(JCudaDriver.cuMemcpyHtoD(a, Pointer.to(values), values.length * 4L), "cuMemcpyHtoD");
            }
            return a.address();
        }

        @Override
        public void close() {
            for (Address a : buffers) {
                JCudaDriver.cuMemFree(a);
            }
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
            if (precision == Precision.FP16) {
                throw new IllegalArgumentException("the GPU encoder runs fp32 or bf16, not fp16");
            }
            return new Weights(GpuRuntime.device(ordinal), w, precision);
        }

        private Weights(GpuRuntime.Device device, BertWeights w, Precision precision) {
            this.device = device;
            this.config = w.config();
            this.precision = precision;
            if (config.headDim() > 512 || config.hiddenSize() % config.heads() != 0) {
                throw new IllegalArgumentException("the GPU encoder needs head dimensions up to 512, got " + config.headDim());
            }
            device.makeCurrent();
            word = upload(w.get("embeddings.word_embeddings.weight").data());
            position = upload(w.get("embeddings.position_embeddings.weight").data());
            type = upload(w.get("embeddings.token_type_embeddings.weight").data());
            embGamma = upload(w.get("embeddings.LayerNorm.weight").data());
            embBeta = upload(w.get("embeddings.LayerNorm.bias").data());
            for (int l = 0; l < config.layers(); l++) {
                layers.add(new Layer(linear(w, l, "attention.self.query"), linear(w, l, "attention.self.key"),
                        linear(w, l, "attention.self.value"), linear(w, l, "attention.output.dense"),
                        vector(w, l, "attention.output.LayerNorm.weight"), vector(w, l, "attention.output.LayerNorm.bias"),
                        linear(w, l, "intermediate.dense"), linear(w, l, "output.dense"),
                        vector(w, l, "output.LayerNorm.weight"), vector(w, l, "output.LayerNorm.bias")));
            }
            GpuRuntime.check(JCudaDriver.cuCtxSynchronize(), "uploading the encoder's weights");
        }

        public Precision precision() {
            return precision;
        }

        private Linear linear(BertWeights w, int layer, String name) {
            float[] weight = w.get(BertWeights.layer(layer, name + ".weight")).data();
            long fp32 = upload(weight);
            long half = 0;
            if (precision == Precision.BF16) {
                Address h = Address.alloc(weight.length * 2L);
                half = h.address();
                GpuRuntime.check(JCudaDriver.cuLaunchKernel(device.function("ra_f32_to_bf16", 0),
                        (int) Math.max(1, Math.min(4096, (weight.length + 255L) / 256)), 1, 1, 256, 1, 1, 0, null,
                        Pointer.to(ptr(fp32), ptr(half), Pointer.to(new long[] {weight.length})), null),
                        "cuLaunchKernel(ra_f32_to_bf16)");
            }
            return new Linear(fp32, half, upload(w.get(BertWeights.layer(layer, name + ".bias")).data()));
        }

        private long vector(BertWeights w, int layer, String name) {
            return upload(w.get(BertWeights.layer(layer, name)).data());
        }

        private static long upload(float[] values) {
            Address a = Address.alloc(values.length * 4L);
            GpuRuntime.check(JCudaDriver.cuMemcpyHtoD(a, Pointer.to(values), values.length * 4L), "cuMemcpyHtoD");
            return a.address();
        }
    }
}
