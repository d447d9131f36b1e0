package org.ringattention.encoder;

import org.ringattention.model.Tensor;

/**
 * A Linear layer's weight repacked for {@link DenseMath#matmul}: PyTorch's {@code (out, in)} matrix cut
 * into panels of {@code nr} output columns, each panel stored k-major ({@code panel[k][j] = W[j0 + j][k]}),
 * zero-padded past {@code out}. The inner loop of the product then reads one contiguous row of
 * {@code nr} weights per input feature (the GotoBLAS "packed B" layout).
 */
final class PackedLinear {

    final int in;
    final int out;
    final int nr;
    final int panels;
    /** {@code [panels][in][nr]}. */
    final float[] w;
    /** Bias padded to {@code panels * nr}. */
    final float[] bias;

    PackedLinear(Tensor weight, Tensor bias, int nr) {
        this.out = weight.shape()[0];
        this.in = weight.shape()[1];
        this.nr = nr;
        this.panels = (out + nr - 1) / nr;
        this.w = new float[panels * in * nr];
        this.bias = new float[panels * nr];
        float[] src = weight.data();
        for (int j = 0; j < out; j++) {
            int p = j / nr;
            int c = j % nr;
            for (int k = 0; k < in; k++) {
                w[(p * in + k) * nr + c] = src[j * in + k];
            }
        }
        System.arraycopy(bias.data(), 0, this.bias, 0, out);
    }
}
