package org.ringattention.backend;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.ringattention.gpu.GpuAttentionKernel;
import org.ringattention.gpu.GpuRuntime;
import org.ringattention.gpu.GpuSentenceEncoder;
import org.ringattention.gpu.Precision;
import org.ringattention.model.BertCheckpoint;

/**
 * The production {@link GpuDriver}: the JCuda backend of {@code org.ringattention.gpu}. A GPU is its primary
 * context with the kernels loaded ({@link GpuRuntime#device}); each backend is a {@link GpuAttentionKernel}
 * with its own streams and buffers; an encoder is a {@link GpuSentenceEncoder} over the model's weights,
 * uploaded once per process, GPU and precision (the per-executor weight cache).
 */
final class CudaDriver implements GpuDriver {

    private final Map<String, GpuSentenceEncoder.Weights> weights = new ConcurrentHashMap<>();

    @Override
    public Gpu open(int ordinal) {
        GpuRuntime.Device device = GpuRuntime.device(ordinal);
        String description = "gpu " + ordinal + " (" + device.name() + ")";
        return new Gpu() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public Backend openBackend(Precision precision) {
                return new CudaBackend(GpuAttentionKernel.open(ordinal, precision), description);
            }

            @Override
            public Backend openBackend(Precision precision, int keysPerChunk) {
                return new CudaBackend(GpuAttentionKernel.open(ordinal, precision, keysPerChunk), description);
            }

            @Override
            public EmbeddingBackend openEncoder(String model, Precision precision) {
                GpuSentenceEncoder.Weights w = weights.computeIfAbsent(ordinal + "/" + precision + "/" + model,
                        key -> GpuSentenceEncoder.Weights.upload(ordinal,
                                model.isEmpty() ? BertCheckpoint.bundledMiniLm() : BertCheckpoint.load(Path.of(model)),
                                precision));
                GpuSentenceEncoder encoder = GpuSentenceEncoder.open(w, GpuSentenceEncoder.DEFAULT_PASS_TOKENS);
                return new EmbeddingBackend() {
                    @Override
                    public int dimension() {
                        return encoder.dimension();
                    }

                    @Override
                    public int maxPositions() {
                        return encoder.maxPositions();
                    }

                    @Override
                    public float[] embed(int[][] ids) {
                        return encoder.embed(ids);
                    }

                    @Override
                    public String description() {
                        return description;
                    }

                    @Override
                    public void close() {
                        encoder.close();
                    }
                };
            }
        };
    }
}
