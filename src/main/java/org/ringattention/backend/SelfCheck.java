package org.ringattention.backend;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.gpu.LaunchShape;
import org.ringattention.gpu.Precision;

/**
 * The comparison a GPU kernel passes before its first use in a process: small problems (a few
 * milliseconds) on the GPU and on the CPU kernel, compared value by value. They cross every tile edge the
 * kernels use (150 rows: not a multiple of 16, 32 or 64), group two query heads on one key head, and are
 * masked both causally and by segments, so tile skipping and partial tiles are taken. The attention check
 * also runs what a ring step after the first runs: striped positions (every third token, as a striped
 * layout gives a position), and a state continued over two calls; the GPU backend it is given streams
 * keys in chunks of {@link #KEYS_PER_CHUNK}, so a call crosses chunk boundaries. With fp32 kernels both
 * sides agree to about 1e-6 and the tolerance leaves a hundredfold margin; with bf16 tensor cores the
 * inputs' and P's rounding moves O by a few 1e-3 (BENCHMARKS.md, measured through the CUDA emulation),
 * and {@link #TENSOR_CORE_TOLERANCE} leaves about a fourfold margin. A wrong tile, mask or stride gives
 * errors of order 0.1 to 1 either way.
 */
final class SelfCheck {

    /** Largest accepted |GPU - CPU| on O and LSE, and on attention mass relative to max(1, |mass|): fp32 kernels. */
    static final double TOLERANCE = 1e-4;

    /** The same for a tensor-core kernel (bf16 or fp16 inputs). */
    static final double TENSOR_CORE_TOLERANCE = 2e-2;

    private static final int ROWS = 150;

    /** Keys per chunk of the GPU backend the check runs on: 150 keys make three chunks. */
    static final int KEYS_PER_CHUNK = 64;

    /** Runs one comparison: null when it passed, else what went wrong. */
    @FunctionalInterface
    interface Run {
        String run();
    }

    private SelfCheck() {
    }

    /**
     * Null when attention (O and LSE) agrees on contiguous positions in one call, and on striped positions
     * with the keys given in two calls to one state; else the error, e.g. "gave O off by 3.1e-02 (tolerance
     * 1e-04) on striped positions, state continued".
     */
    static String attention(Backend gpu, Backend cpu, int headDim, Precision precision) {
        AttentionSpec spec = new AttentionSpec(2, 1, headDim, (float) (1 / Math.sqrt(headDim)), true);
        double tolerance = LaunchShape.serving(precision, headDim).precision() == Precision.FP32 ? TOLERANCE
                : TENSOR_CORE_TOLERANCE;
        Problem contiguous = new Problem(spec, 1);
        String one = compare(contiguous.attend(gpu.attention(), 1), contiguous.attend(cpu.attention(), 1), tolerance);
        if (one != null) {
            return one;
        }
        Problem striped = new Problem(spec, 3);
        String two = compare(striped.attend(gpu.attention(), 2), striped.attend(cpu.attention(), 2), tolerance);
        return two == null ? null : two + " on striped positions, state continued";
    }

    private static String compare(AttentionResult gpu, AttentionResult cpu, double tolerance) {
        String o = compare("O", gpu.out(), cpu.out(), false, tolerance);
        return o != null ? o : compare("LSE", gpu.lse(), cpu.lse(), false, tolerance);
    }

    /** Null when the attention mass agrees, else the error. */
    static String attentionMass(Backend gpu, Backend cpu, int headDim) {
        Problem p = new Problem(new AttentionSpec(2, 1, headDim, (float) (1 / Math.sqrt(headDim)), true), 1);
        float[] lse = cpu.attention().attend(p.spec, p.queries, p.keys).lse();
        return compare("mass", gpu.attentionMass(p.spec, p.queries, lse, p.keys),
                cpu.attentionMass(p.spec, p.queries, lse, p.keys), true, TOLERANCE);
    }

    /** Smallest accepted cosine between GPU and CPU sentence vectors: fp32 on both sides, bf16 GEMM inputs. */
    static double minCosine(Precision precision) {
        return precision == Precision.FP32 ? 0.99999 : 0.999;
    }

    /**
     * Null when the GPU encoder's vectors agree with the CPU encoder's on three fixed sentences (one a
     * single token between [CLS] and [SEP], one of 100 tokens), else the smallest cosine.
     */
    static String encoder(org.ringattention.encoder.SentenceEncoder gpu, org.ringattention.encoder.SentenceEncoder cpu,
                          double minCosine) {
        int[][] ids = new int[3][];
        ids[0] = new int[] {101, 42, 102};
        ids[1] = new int[] {101, 17, 29, 3, 88, 61, 102};
        ids[2] = new int[100];
        for (int i = 0; i < ids[2].length; i++) {
            ids[2][i] = i == 0 ? 101 : i == ids[2].length - 1 ? 102 : 1 + i * 7 % 98;
        }
        float[] g = gpu.embed(ids);
        float[] c = cpu.embed(ids);
        int d = cpu.dimension();
        if (g.length != c.length) {
            return "gave " + g.length + " values where the CPU gives " + c.length;
        }
        double worst = 1;
        for (int s = 0; s < ids.length; s++) {
            double dot = 0;
            double gg = 0;
            double cc = 0;
            for (int j = s * d; j < (s + 1) * d; j++) {
                dot += (double) g[j] * c[j];
                gg += (double) g[j] * g[j];
                cc += (double) c[j] * c[j];
            }
            double cosine = dot / Math.sqrt(gg * cc);
            worst = Double.isNaN(cosine) ? -1 : Math.min(worst, cosine);
        }
        return worst >= minCosine ? null : String.format(Locale.ROOT,
                "gave sentence vectors at cosine %.6f to the CPU's (needs %.5f)", worst, minCosine);
    }

    private static String compare(String what, float[] gpu, float[] cpu, boolean relative, double tolerance) {
        if (gpu.length != cpu.length) {
            return "gave " + gpu.length + " values of " + what + " where the CPU gives " + cpu.length;
        }
        double worst = 0;
        for (int i = 0; i < gpu.length; i++) {
            double scale = relative ? Math.max(1, Math.abs(cpu[i])) : 1;
            // Rows that see no key have LSE = -inf on both sides; anything else non-finite is an error.
            double e = gpu[i] == cpu[i] ? 0 : Math.abs((double) gpu[i] - cpu[i]) / scale;
            if (!(e <= worst)) {
                worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
            }
        }
        if (worst <= tolerance) {
            return null;
        }
        return String.format(Locale.ROOT, "gave %s off by %.1e from the CPU (tolerance %.0e)", what, worst, tolerance);
    }

    /** Deterministic inputs: the same problem in every process, so a failure can be reproduced. */
    private static final class Problem {
        final AttentionSpec spec;
        final Queries queries;
        final KeysValues keys;

        /** Rows at positions {@code stride * i} (queries) and {@code stride * j + stride - 1} (keys). */
        Problem(AttentionSpec spec, int stride) {
            this.spec = spec;
            SplittableRandom random = new SplittableRandom(150);
            int[] segments = new int[ROWS];
            int[] queryPositions = new int[ROWS];
            int[] keyPositions = new int[ROWS];
            for (int i = 0; i < ROWS; i++) {
                segments[i] = i < 70 ? 0 : 1;
                queryPositions[i] = stride * i;
                keyPositions[i] = stride * i + stride - 1;
            }
            queries = new Queries(normals(random, ROWS * spec.queryRowWidth()), new TokenIndex(queryPositions, segments));
            keys = new KeysValues(normals(random, ROWS * spec.kvRowWidth()), normals(random, ROWS * spec.kvRowWidth()),
                    new TokenIndex(keyPositions, segments));
        }

        /** The queries over every key, the keys given in {@code calls} consecutive parts to one state. */
        AttentionResult attend(AttentionKernel kernel, int calls) {
            AttentionState state = AttentionState.empty(spec, ROWS);
            int width = spec.kvRowWidth();
            for (int c = 0; c < calls; c++) {
                int from = c * ROWS / calls;
                int to = (c + 1) * ROWS / calls;
                kernel.accumulate(spec, queries, new KeysValues(Arrays.copyOfRange(keys.k(), from * width, to * width),
                        Arrays.copyOfRange(keys.v(), from * width, to * width), keys.index().slice(from, to)), state);
            }
            return state.finish();
        }

        private static float[] normals(SplittableRandom random, int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                // Sum of 4 uniforms: mean 0, variance 1/3, close enough to normal for logits of order one.
                x[i] = (float) (random.nextDouble() + random.nextDouble() + random.nextDouble() + random.nextDouble() - 2);
            }
            return x;
        }
    }
}
