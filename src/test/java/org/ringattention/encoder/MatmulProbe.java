package org.ringattention.encoder;

import java.util.SplittableRandom;
import org.ringattention.model.Tensor;

final class MatmulProbe {
    public static void main(String[] a) {
        DenseMath m = BertEncoder.denseMath(System.getProperty("ringattention.dense.math", "auto"));
        int rows = Integer.parseInt(a[0]);
        int in = Integer.parseInt(a[1]);
        int out = Integer.parseInt(a[2]);
        SplittableRandom r = new SplittableRandom(1);
        float[] w = new float[in * out];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        float[] x = new float[rows * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        PackedLinear p = new PackedLinear(new Tensor(new int[] {out, in}, w), new Tensor(new int[] {out}, new float[out]), m.panelWidth());
        float[] y = new float[rows * out];
        for (int rep = 0; rep < 8; rep++) {
            long t0 = System.nanoTime();
            int iters = 0;
            while (System.nanoTime() - t0 < 1_000_000_000L) {
                m.matmul(x, 0, in, rows, p, y, 0, out, false);
                iters++;
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%s %dx%dx%d: %.1f GFLOP/s%n", m.name(), rows, in, out, 2.0 * rows * in * out * iters / s / 1e9);
        }
    }
}
