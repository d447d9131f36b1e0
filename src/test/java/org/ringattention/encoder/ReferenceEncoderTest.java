package org.ringattention.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ringattention.model.BertConfig;
import org.ringattention.model.BertWeights;
import org.ringattention.model.TinyBert;

/**
 * Both dense-math variants of the encoder against a float64 BERT written straight from the equations,
 * on a small random model whose widths (16, 32) are narrower than a vector panel, so the panel-tail
 * paths that all-MiniLM-L6-v2 never takes are covered.
 */
class ReferenceEncoderTest {

    @Test
    void scalarAndVectorEncodersMatchFloat64Reference() {
        BertWeights w = TinyBert.weights(21);
        BertConfig c = w.config();
        SplittableRandom rnd = new SplittableRandom(4);
        int[][] ids = new int[3][];
        int[] lengths = {5, 17, c.maxPositions()};
        for (int s = 0; s < ids.length; s++) {
            ids[s] = rnd.ints(lengths[s], 0, c.vocabSize()).toArray();
        }
        int checked = 0;
        for (BertEncoder encoder : List.of(BertEncoder.create(w, 7, 2), BertEncoder.scalar(w, 64, 1))) {
            try (encoder) {
                float[][] ours = new SentenceEmbedder(encoder, 1000).lastHiddenStates(ids);
                for (int s = 0; s < ids.length; s++) {
                    double[] ref = reference(w, ids[s]);
                    double max = 0;
                    for (int k = 0; k < ref.length; k++) {
                        max = Math.max(max, Math.abs(ref[k] - ours[s][k]));
                    }
                    assertTrue(max <= 1e-4, encoder.mathName() + " sentence " + s + " differs by " + max);
                    checked++;
                }
            }
        }
        assertEquals(6, checked);
    }

    /** Last hidden states of one sentence in float64 (BERT as in Devlin et al. and Hugging Face's BertModel). */
    static double[] reference(BertWeights w, int[] ids) {
        BertConfig c = w.config();
        int s = ids.length;
        int h = c.hiddenSize();
        double[] x = new double[s * h];
        for (int t = 0; t < s; t++) {
            for (int j = 0; j < h; j++) {
                x[t * h + j] = w.get("embeddings.word_embeddings.weight").data()[ids[t] * h + j]
                        + w.get("embeddings.position_embeddings.weight").data()[t * h + j]
                        + w.get("embeddings.token_type_embeddings.weight").data()[j];
            }
        }
        layerNorm(x, s, h, w, "embeddings.LayerNorm", c.layerNormEps());
        int heads = c.heads();
        int d = c.headDim();
        for (int l = 0; l < c.layers(); l++) {
            String p = "encoder.layer." + l + ".";
            double[] q = linear(x, s, w, p + "attention.self.query");
            double[] k = linear(x, s, w, p + "attention.self.key");
            double[] v = linear(x, s, w, p + "attention.self.value");
            double[] o = new double[s * h];
            for (int a = 0; a < heads; a++) {
                for (int i = 0; i < s; i++) {
                    double[] logits = new double[s];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < s; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += q[i * h + a * d + e] * k[j * h + a * d + e];
                        }
                        logits[j] = dot / Math.sqrt(d);
                        max = Math.max(max, logits[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < s; j++) {
                        logits[j] = Math.exp(logits[j] - max);
                        sum += logits[j];
                    }
                    for (int j = 0; j < s; j++) {
                        for (int e = 0; e < d; e++) {
                            o[i * h + a * d + e] += logits[j] / sum * v[j * h + a * d + e];
                        }
                    }
                }
            }
            double[] attn = linear(o, s, w, p + "attention.output.dense");
            for (int i = 0; i < x.length; i++) {
                x[i] += attn[i];
            }
            layerNorm(x, s, h, w, p + "attention.output.LayerNorm", c.layerNormEps());
            double[] f = linear(x, s, w, p + "intermediate.dense");
            for (int i = 0; i < f.length; i++) {
                f[i] = 0.5 * f[i] * (1 + DenseMathTest.erf(f[i] / Math.sqrt(2)));
            }
            double[] out = linear(f, s, w, p + "output.dense");
            for (int i = 0; i < x.length; i++) {
                x[i] += out[i];
            }
            layerNorm(x, s, h, w, p + "output.LayerNorm", c.layerNormEps());
        }
        return x;
    }

    /** {@code y = x W^T + b} with PyTorch's {@code (out, in)} weight. */
    private static double[] linear(double[] x, int rows, BertWeights w, String name) {
        float[] weight = w.get(name + ".weight").data();
        float[] bias = w.get(name + ".bias").data();
        int out = bias.length;
        int in = weight.length / out;
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = bias[o];
                for (int k = 0; k < in; k++) {
                    acc += x[r * in + k] * weight[o * in + k];
                }
                y[r * out + o] = acc;
            }
        }
        return y;
    }

    private static void layerNorm(double[] x, int rows, int h, BertWeights w, String name, double eps) {
        float[] g = w.get(name + ".weight").data();
        float[] b = w.get(name + ".bias").data();
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int j = 0; j < h; j++) {
                mean += x[r * h + j];
            }
            mean /= h;
            double var = 0;
            for (int j = 0; j < h; j++) {
                var += (x[r * h + j] - mean) * (x[r * h + j] - mean);
            }
            var /= h;
            for (int j = 0; j < h; j++) {
                x[r * h + j] = (x[r * h + j] - mean) / Math.sqrt(var + eps) * g[j] + b[j];
            }
        }
    }
}
