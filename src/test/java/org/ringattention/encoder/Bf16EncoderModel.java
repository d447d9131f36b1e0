package org.ringattention.encoder;

import java.util.HashMap;
import java.util.Map;
import org.ringattention.model.BertCheckpoint;
import org.ringattention.model.BertWeights;
import org.ringattention.model.Tensor;

/**
 * The GPU encoder's bf16 arithmetic on the CPU, to measure what bf16 does to the nightly job's summaries
 * without a GPU: the projection weights rounded to bf16 once (as GpuSentenceEncoder.Weights converts them),
 * every GEMM input rounded to bf16 (as the bf16 path's LayerNorm, GELU epilogue and O conversion write
 * them), products summed in fp32, and bias, GELU, residuals, LayerNorm, attention and pooling in fp32 as on
 * the GPU. Rounding is to nearest even, as cvt.rn.bf16.f32. KernelEmulationTest checks the real bf16 GEMM
 * against float64 on inputs rounded the same way, to fp32 rounding, so this model and the GPU agree up to
 * the order of fp32 additions.
 */
public final class Bf16EncoderModel {

    /** The Linear layers GpuSentenceEncoder runs as bf16 GEMMs. */
    private static final String[] PROJECTIONS = {"attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "intermediate.dense", "output.dense"};

    private Bf16EncoderModel() {
    }

    /** The bf16 model of {@code model} (empty for the bundled all-MiniLM-L6-v2), one thread per pass. */
    public static BertEncoder of(String model) {
        BertWeights w = model.isEmpty() ? BertCheckpoint.bundledMiniLm() : BertCheckpoint.load(java.nio.file.Path.of(model));
        Map<String, Tensor> rounded = new HashMap<>(w.tensors());
        for (int l = 0; l < w.config().layers(); l++) {
            for (String projection : PROJECTIONS) {
                String name = BertWeights.layer(l, projection + ".weight");
                rounded.put(name, new Tensor(w.get(name).shape(), round(w.get(name).data())));
            }
        }
        BertWeights bf16 = BertWeights.of(w.config(), rounded::get, "bf16 model of " + (model.isEmpty() ? "the bundled model" : model));
        return BertEncoder.of(bf16, new Bf16Inputs(BertEncoder.denseMath("auto")), BertEncoder.DEFAULT_BLOCK_SIZE, 1);
    }

    /** x rounded to bf16, to nearest even. */
    static float bf16(float x) {
        int u = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) {
            return x;
        }
        return Float.intBitsToFloat(((u + 0x7FFF + ((u >>> 16) & 1)) >>> 16) << 16);
    }

    private static float[] round(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = bf16(x[i]);
        }
        return y;
    }

    /** {@link DenseMath} whose products take their inputs rounded to bf16; everything else as {@code fp32}. */
    private record Bf16Inputs(DenseMath fp32) implements DenseMath {

        @Override
        public int panelWidth() {
            return fp32.panelWidth();
        }

        @Override
        public void matmul(float[] x, int xo, int ldx, int rows, PackedLinear w, float[] y, int yo, int ldy, boolean addTo) {
            float[] x16 = new float[rows * w.in];
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < w.in; k++) {
                    x16[r * w.in + k] = bf16(x[xo + r * ldx + k]);
                }
            }
            fp32.matmul(x16, 0, w.in, rows, w, y, yo, ldy, addTo);
        }

        @Override
        public void gelu(float[] x, int from, int n) {
            fp32.gelu(x, from, n);
        }

        @Override
        public void layerNorm(float[] x, int off, int n, float[] gamma, float[] beta, float eps) {
            fp32.layerNorm(x, off, n, gamma, beta, eps);
        }

        @Override
        public void segmentAttention(float[] q, float[] k, float[] v, float[] o, int from, int n, int heads, int headDim,
                                     float scale, float[] scratch) {
            fp32.segmentAttention(q, k, v, o, from, n, heads, headDim, scale, scratch);
        }

        @Override
        public int segmentScratch(int n, int headDim) {
            return fp32.segmentScratch(n, headDim);
        }

        @Override
        public String name() {
            return "bf16-inputs(" + fp32.name() + ")";
        }
    }
}
