package org.ringattention.backend;

import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.encoder.Bf16EncoderModel;
import org.ringattention.encoder.EncoderCache;
import org.ringattention.encoder.SentenceEmbedder;
import org.ringattention.gpu.Precision;

/**
 * A {@link GpuDriver} whose "GPU" computes what the real GPU path computes in each precision, on the CPU,
 * for measuring precision's effect on whole nightly runs (BENCHMARKS.md, issue 19 part 2): the encoder in
 * bf16 is {@link Bf16EncoderModel}, in fp32 the CPU encoder; attention is the CPU's fp32 kernel, as the
 * nightly job's attention runs the fp32 GPU kernels in either precision (head dimensions 32 and 384 have no
 * tensor-core kernel). Named by {@code -Dringattention.gpu.driver=} with {@code --device gpu}.
 */
public final class Bf16ModelGpuDriver implements GpuDriver {

    @Override
    public Gpu open(int ordinal) {
        String description = "gpu " + ordinal + " (a model on the CPU)";
        return new Gpu() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public Backend openBackend(Precision precision) {
                return new CpuBackend(CpuAttentionKernel.DEFAULT_BLOCK_SIZE, 1);
            }

            @Override
            public Backend openBackend(Precision precision, int keysPerChunk) {
                return new CpuBackend(CpuAttentionKernel.DEFAULT_BLOCK_SIZE, 1);
            }

            @Override
            public EmbeddingBackend openEncoder(String model, Precision precision) {
                SentenceEmbedder embedder = new SentenceEmbedder(precision == Precision.BF16 ? BF16.computeIfAbsent(model,
                        Bf16EncoderModel::of) : EncoderCache.get(model), SentenceEmbedder.DEFAULT_PASS_TOKENS);
                return new EmbeddingBackend() {
                    @Override
                    public int dimension() {
                        return embedder.dimension();
                    }

                    @Override
                    public int maxPositions() {
                        return embedder.maxPositions();
                    }

                    @Override
                    public float[] embed(int[][] ids) {
                        return embedder.embed(ids);
                    }

                    @Override
                    public String description() {
                        return description;
                    }

                    @Override
                    public void close() {
                        // The encoder is kept for the process, as the real GPU's weights are.
                    }
                };
            }
        };
    }

    /** bf16 models by model name, built once per process. */
    private static final java.util.Map<String, org.ringattention.encoder.BertEncoder> BF16 =
            new java.util.concurrent.ConcurrentHashMap<>();
}
