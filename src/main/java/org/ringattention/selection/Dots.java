package org.ringattention.selection;

import org.ringattention.attention.VectorApi;

/**
 * Dot products of float vectors in double, as {@link Coverage#cosines} defines them: four running sums,
 * sum i taking the indices {@code k = i (mod 4)} in increasing order, the last {@code d mod 4} indices
 * added to sum 0, the result {@code (s0 + s1) + (s2 + s3)}. A product of two floats is exact in double,
 * so a fused multiply-add rounds exactly as a multiply and an add do, and every implementation gives the
 * same bits.
 */
class Dots {

    /** The Vector API implementation where this JVM has it, else this scalar one. */
    static final Dots BEST = best();

    /** Row {@code x} with rows {@code y0..y3} into {@code out[at..at+3]}: four dot products interleaved. */
    void four(float[] v, int x, int y0, int y1, int y2, int y3, int d, double[] out, int at) {
        double s00 = 0, s01 = 0, s02 = 0, s03 = 0;
        double s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        double s20 = 0, s21 = 0, s22 = 0, s23 = 0;
        double s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        int k = 0;
        for (; k + 3 < d; k += 4) {
            double x0 = v[x + k];
            double x1 = v[x + k + 1];
            double x2 = v[x + k + 2];
            double x3 = v[x + k + 3];
            s00 += x0 * v[y0 + k];
            s01 += x1 * v[y0 + k + 1];
            s02 += x2 * v[y0 + k + 2];
            s03 += x3 * v[y0 + k + 3];
            s10 += x0 * v[y1 + k];
            s11 += x1 * v[y1 + k + 1];
            s12 += x2 * v[y1 + k + 2];
            s13 += x3 * v[y1 + k + 3];
            s20 += x0 * v[y2 + k];
            s21 += x1 * v[y2 + k + 1];
            s22 += x2 * v[y2 + k + 2];
            s23 += x3 * v[y2 + k + 3];
            s30 += x0 * v[y3 + k];
            s31 += x1 * v[y3 + k + 1];
            s32 += x2 * v[y3 + k + 2];
            s33 += x3 * v[y3 + k + 3];
        }
        for (; k < d; k++) {
            double xk = v[x + k];
            s00 += xk * v[y0 + k];
            s10 += xk * v[y1 + k];
            s20 += xk * v[y2 + k];
            s30 += xk * v[y3 + k];
        }
        out[at] = (s00 + s01) + (s02 + s03);
        out[at + 1] = (s10 + s11) + (s12 + s13);
        out[at + 2] = (s20 + s21) + (s22 + s23);
        out[at + 3] = (s30 + s31) + (s32 + s33);
    }

    /** One dot product of rows {@code x} and {@code y}. */
    static double one(float[] v, int x, int y, int d) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = 0;
        for (; k + 3 < d; k += 4) {
            s0 += (double) v[x + k] * v[y + k];
            s1 += (double) v[x + k + 1] * v[y + k + 1];
            s2 += (double) v[x + k + 2] * v[y + k + 2];
            s3 += (double) v[x + k + 3] * v[y + k + 3];
        }
        for (; k < d; k++) {
            s0 += (double) v[x + k] * v[y + k];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static Dots best() {
        return VectorApi.choose("auto", "the selection's dot products", Dots.class, "org.ringattention.selection.VectorDots",
                Dots::new);
    }
}
