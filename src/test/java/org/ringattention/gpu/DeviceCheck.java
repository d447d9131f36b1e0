package org.ringattention.gpu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.ReferenceAttention;
import org.ringattention.attention.TokenIndex;
import org.ringattention.encoder.BertEncoder;
import org.ringattention.encoder.SentenceEmbedder;
import org.ringattention.io.Npy;
import org.ringattention.model.BertCheckpoint;
import org.ringattention.model.BertWeights;

/**
 * The Java half of bench/gpu-check.sh, on a machine with an NVIDIA GPU: the JCuda backend against the CPU
 * and float64 in one JVM, and the GPU encoder against the CPU encoder. Prints one line per check,
 * {@code CHECK name | measured | limit | ok|FAIL}, and timings as {@code TIME name | value}; writes the
 * check's sentences and the GPU's fp32 vectors as .npy for the PyTorch comparison (bench/gpu_encoder.py).
 * Exit status 1 when a check fails.
 *
 * <pre>java ... org.ringattention.gpu.DeviceCheck MODEL_DIR OUT_DIR</pre>
 */
public final class DeviceCheck {

    private int failed;

    public static void main(String[] args) throws Exception {
        DeviceCheck c = new DeviceCheck();
        c.step("ring folds", c::ringFolds);
        c.step("attention mass", c::attentionMass);
        c.step("encoder", () -> c.encoder(Path.of(args[0]), Path.of(args[1])));
        System.out.println("device check (Java): " + (c.failed == 0 ? "all passed" : c.failed + " failed"));
        System.exit(c.failed == 0 ? 0 : 1);
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** Runs one part; an exception fails it (with its first line) and the next part still runs. */
    private void step(String name, Step step) {
        try {
            step.run();
        } catch (Exception | LinkageError e) {
            failed++;
            String m = String.valueOf(e.getMessage());
            System.out.println("CHECK " + name + " | " + e.getClass().getSimpleName() + ": "
                    + (m.indexOf('\n') < 0 ? m : m.substring(0, m.indexOf('\n'))) + " | - | FAIL");
        }
    }

    private void check(String name, double measured, double limit, boolean ok) {
        failed += ok ? 0 : 1;
        System.out.printf(Locale.ROOT, "CHECK %s | %.3e | %s %.0e | %s%n", name, measured, ok ? "within" : "over",
                limit, ok ? "ok" : "FAIL");
    }

    /**
     * A sequence of ring folds: the keys of a document arrive in 5 shards (as ring steps bring them), each
     * folded into the running fp32 state, on the GPU and on the CPU in the same order; then both against
     * float64. Head dimensions 32 (MiniLM), 64, 128 and 384 (sentence vectors).
     */
    void ringFolds() {
        for (int d : new int[] {32, 64, 128, 384}) {
            int hq = d == 384 ? 1 : 4;
            int hkv = d == 384 ? 1 : 2;
            AttentionSpec spec = new AttentionSpec(hq, hkv, d, (float) (1 / Math.sqrt(d)), true);
            int s = 2500;
            SplittableRandom random = new SplittableRandom(d);
            int[] segments = new int[s];
            for (int i = 0; i < s; i++) {
                segments[i] = i < 900 ? 0 : i < 901 ? 1 : 2;
            }
            TokenIndex index = TokenIndex.contiguous(0, s, segments);
            Queries q = new Queries(normals(random, s * spec.queryRowWidth()), index);
            float[] k = normals(random, s * spec.kvRowWidth());
            float[] v = normals(random, s * spec.kvRowWidth());
            AttentionState gpuState = AttentionState.empty(spec, s);
            AttentionState cpuState = AttentionState.empty(spec, s);
            try (GpuAttentionKernel gpu = GpuAttentionKernel.open(0, Precision.FP32, 512);
                 CpuAttentionKernel cpu = CpuAttentionKernel.create(64, Runtime.getRuntime().availableProcessors())) {
                int shards = 5;
                for (int r = 0; r < shards; r++) {
                    int from = r * s / shards;
                    int to = (r + 1) * s / shards;
                    int w = spec.kvRowWidth();
                    KeysValues shard = new KeysValues(java.util.Arrays.copyOfRange(k, from * w, to * w),
                            java.util.Arrays.copyOfRange(v, from * w, to * w), index.slice(from, to));
                    gpu.accumulate(spec, q, shard, gpuState);
                    cpu.accumulate(spec, q, shard, cpuState);
                }
            }
            AttentionResult g = gpuState.finish();
            AttentionResult c = cpuState.finish();
            ReferenceAttention.Result ref = ReferenceAttention.compute(spec, q, new KeysValues(k, v, index));
            check("ring folds D=" + d + " GPU vs CPU (O)", maxAbs(g.out(), c.out()), 1e-5, maxAbs(g.out(), c.out()) <= 1e-5);
            double e = Math.max(maxAbs(g.out(), ref.out()), maxAbs(g.lse(), ref.lse()));
            check("ring folds D=" + d + " GPU vs float64 (O, LSE)", e, 1e-5, e <= 1e-5);
        }
    }

    /** Sentence centrality's second pass at D = 384 and 385 (the ring's extra dimension). */
    void attentionMass() {
        for (int d : new int[] {384, 385}) {
            AttentionSpec spec = new AttentionSpec(1, 1, d, 10f, false);
            int s = 1500;
            SplittableRandom random = new SplittableRandom(d);
            float[] e = normals(random, s * d);
            for (int i = 0; i < s; i++) {
                double n = 0;
                for (int j = 0; j < d; j++) {
                    n += e[i * d + j] * e[i * d + j];
                }
                for (int j = 0; j < d; j++) {
                    e[i * d + j] /= (float) Math.sqrt(n);
                }
            }
            TokenIndex index = TokenIndex.contiguous(0, s, null);
            Queries q = new Queries(e, index);
            KeysValues kv = new KeysValues(e, e, index);
            double[] want = ReferenceAttention.attentionMass(spec, q, kv);
            float[] lse;
            float[] got;
            try (GpuAttentionKernel gpu = GpuAttentionKernel.open(0, Precision.FP32)) {
                lse = gpu.attend(spec, q, kv).lse();
                got = gpu.attentionMass(spec, q, lse, kv);
            }
            double worst = 0;
            for (int j = 0; j < s; j++) {
                worst = Math.max(worst, Math.abs(got[j] - want[j]) / Math.max(1, Math.abs(want[j])));
            }
            check("attention mass D=" + d + " GPU vs float64 (relative)", worst, 1e-5, worst <= 1e-5);
        }
    }

    /** GPU encoder (fp32, bf16) against the CPU encoder on the check model; sentences/s of each. */
    void encoder(Path model, Path out) throws Exception {
        BertWeights weights = BertCheckpoint.load(model);
        SplittableRandom random = new SplittableRandom(7);
        int n = 20000;
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) {
            int len = 8 + random.nextInt(57);
            ids[i] = new int[len];
            ids[i][0] = 101;
            ids[i][len - 1] = 102;
            for (int t = 1; t < len - 1; t++) {
                ids[i][t] = 999 + random.nextInt(CheckModel.VOCAB - 999);
            }
        }
        int[] flat = java.util.Arrays.stream(ids).flatMapToInt(java.util.Arrays::stream).toArray();
        int[] lengths = java.util.Arrays.stream(ids).mapToInt(a -> a.length).toArray();
        Npy.writeInt32(out.resolve("ids.npy"), flat);
        Npy.writeInt32(out.resolve("lengths.npy"), lengths);

        int compared = 300;
        int[][] head = java.util.Arrays.copyOf(ids, compared);
        int threads = Runtime.getRuntime().availableProcessors();
        float[] cpuVectors;
        double cpuRate;
        try (BertEncoder encoder = BertEncoder.create(weights, BertEncoder.DEFAULT_BLOCK_SIZE, 1)) {
            SentenceEmbedder cpu = new SentenceEmbedder(encoder, SentenceEmbedder.DEFAULT_PASS_TOKENS);
            cpu.embed(java.util.Arrays.copyOf(ids, 50), threads, x -> { });
            long t0 = System.nanoTime();
            cpuVectors = cpu.embed(head, threads, x -> { });
            cpuRate = compared / ((System.nanoTime() - t0) / 1e9);
        }
        System.out.printf(Locale.ROOT, "TIME encoder CPU (%d threads, fp32) | %.1f sentences/s%n", threads, cpuRate);
        for (Precision p : new Precision[] {Precision.FP32, Precision.BF16}) {
            GpuSentenceEncoder.Weights w = GpuSentenceEncoder.Weights.upload(0, weights, p);
            try (GpuSentenceEncoder gpu = GpuSentenceEncoder.open(w, GpuSentenceEncoder.DEFAULT_PASS_TOKENS)) {
                float[] v = gpu.embed(head);
                double cos = minCosine(v, cpuVectors, weights.config().hiddenSize());
                double need = p == Precision.FP32 ? 0.99999 : 0.999;
                check("encoder GPU " + p + " vs CPU (1 - min cosine)", 1 - cos, 1 - need, cos >= need);
                gpu.embed(java.util.Arrays.copyOf(ids, 2000));
                List<Double> rates = new ArrayList<>();
                float[] all = null;
                for (int r = 0; r < 3; r++) {
                    long t0 = System.nanoTime();
                    all = gpu.embed(ids);
                    rates.add(n / ((System.nanoTime() - t0) / 1e9));
                }
                rates.sort(null);
                System.out.printf(Locale.ROOT, "TIME encoder GPU %s (%d sentences, median of 3) | %.1f sentences/s%n",
                        p, n, rates.get(1));
                if (p == Precision.FP32) {
                    Npy.writeFloat32(out.resolve("gpu_fp32.npy"), all, n, weights.config().hiddenSize());
                }
            }
        }
    }

    private static double minCosine(float[] a, float[] b, int d) {
        double worst = 1;
        for (int s = 0; s < a.length / d; s++) {
            double dot = 0;
            double aa = 0;
            double bb = 0;
            for (int j = s * d; j < (s + 1) * d; j++) {
                dot += (double) a[j] * b[j];
                aa += (double) a[j] * a[j];
                bb += (double) b[j] * b[j];
            }
            double c = dot / Math.sqrt(aa * bb);
            worst = Double.isNaN(c) ? -1 : Math.min(worst, c);
        }
        return worst;
    }

    private static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                double e = Math.abs((double) a[i] - b[i]);
                m = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(m, e);
            }
        }
        return m;
    }

    private static double maxAbs(float[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                double e = Math.abs(a[i] - b[i]);
                m = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(m, e);
            }
        }
        return m;
    }

    private static float[] normals(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }
}
