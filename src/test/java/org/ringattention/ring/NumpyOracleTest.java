package org.ringattention.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.io.Npy;

/**
 * An oracle that shares no code with the project: NumPy float64 attention
 * ({@code src/test/python/check_attention.py}, its own masks and scale) checks the single-machine kernel
 * and the ring on seeded random configurations (MHA, GQA, MQA; no mask, causal, segments, both; odd
 * lengths up to 4096), all cases in one Python call. Tolerance: 1e-5 on O (absolute), 1e-5 on LSE
 * (relative to max(1, |LSE|)), the project's float32 bound.
 */
class NumpyOracleTest {

    private static final long SEED = 20261129L;
    private static final int CONFIGURATIONS = 20;

    @Test
    void kernelAndRingAgreeWithNumpyFloat64(@TempDir Path dir) throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        int[][] heads = {{4, 4}, {8, 2}, {6, 3}, {4, 1}, {2, 1}};
        int[] dims = {16, 32, 64, 80};
        List<String> cases = new ArrayList<>();
        int[] masks = new int[4];
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("NumpyOracleTest")
                .set("spark.ui.enabled", "false");
        try (JavaSparkContext jsc = new JavaSparkContext(conf);
             CpuAttentionKernel kernel = CpuAttentionKernel.create(CpuAttentionKernel.DEFAULT_BLOCK_SIZE, 2)) {
            for (int c = 0; c < CONFIGURATIONS; c++) {
                // Two long cases near the cap, the rest odd lengths spread log-uniformly over [1, 4096).
                int s = c < 2 ? 4095 - 94 * c : 1 | (int) Math.exp(random.nextDouble() * Math.log(4096));
                int[] h = heads[c % heads.length];
                int d = dims[random.nextInt(dims.length)];
                int mask = c % 4;
                masks[mask]++;
                boolean causal = mask == 1 || mask == 3;
                int[] segments = mask >= 2 ? segments(random, s) : null;
                AttentionSpec spec = AttentionSpec.of(h[0], h[1], d, causal);
                float[] q = gaussian(random, s * h[0] * d);
                float[] k = gaussian(random, s * h[1] * d);
                float[] v = gaussian(random, s * h[1] * d);
                String name = String.format("c%02d-S%d-Hq%d-Hkv%d-D%d-%s", c, s, h[0], h[1], d,
                        new String[] {"full", "causal", "segments", "causal+segments"}[mask]);
                Path base = dir.resolve(name);
                Files.createDirectories(base);
                Npy.writeFloat32(base.resolve("q.npy"), q, s, h[0], d);
                Npy.writeFloat32(base.resolve("k.npy"), k, s, h[1], d);
                Npy.writeFloat32(base.resolve("v.npy"), v, s, h[1], d);
                if (segments != null) {
                    Npy.writeInt32(base.resolve("seg.npy"), segments);
                }

                TokenIndex index = TokenIndex.contiguous(0, s, segments);
                AttentionResult single = kernel.attend(spec, new Queries(q, index), new KeysValues(k, v, index));
                List<String> line = new ArrayList<>(List.of(name, base.resolve("q.npy").toString(),
                        base.resolve("k.npy").toString(), base.resolve("v.npy").toString(),
                        segments != null ? base.resolve("seg.npy").toString() : "-", causal ? "causal" : "-"));
                line.addAll(write(base, "kernel", single, s, spec));

                int partitions = 2 + random.nextInt(3);
                Layout layout = Layout.values()[random.nextInt(Layout.values().length)];
                RingConfig config = RingConfig.of(partitions).withBlockSize(64).withLayout(layout);
                List<DocumentBlock> blocks = DocumentBlock.split("doc", spec, q, k, v, segments, 97);
                try (RingResult ring = new RingAttention(jsc, spec, config).run(jsc.parallelize(blocks, partitions))) {
                    line.addAll(write(base, "ring-P" + partitions + "-" + layout.name().toLowerCase(),
                            ring.collect().get("doc"), s, spec));
                }
                cases.add(String.join("\t", line));
            }
        }
        for (int m : masks) {
            assertTrue(m >= 5, "every mask kind is checked at least 5 times");
        }
        Path manifest = dir.resolve("cases.tsv");
        Files.write(manifest, cases, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("python3", "src/test/python/check_attention.py", "--batch", manifest.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status = p.waitFor();
        long checked = output.lines().filter(l -> l.contains("\"ok\": true")).count();
        assertEquals(0, status, output);
        assertEquals(2L * CONFIGURATIONS, checked, "kernel and ring, every configuration: " + output);
    }

    /** Writes O and LSE beside the inputs; returns the manifest's (variant, O, LSE) fields. */
    private static List<String> write(Path base, String variant, AttentionResult r, int s, AttentionSpec spec) {
        Path o = base.resolve(variant + "-o.npy");
        Path lse = base.resolve(variant + "-lse.npy");
        Npy.writeFloat32(o, r.out(), s, spec.queryHeads(), spec.headDim());
        Npy.writeFloat32(lse, r.lse(), spec.queryHeads(), s);
        return List.of(variant, o.toString(), lse.toString());
    }

    /** Packed documents of random lengths, ids out of order. */
    private static int[] segments(SplittableRandom random, int s) {
        int[] ids = new int[s];
        int id = random.nextInt(1000);
        for (int i = 0; i < s; i++) {
            if (i > 0 && random.nextInt(Math.max(2, s / 4)) == 0) {
                id = random.nextInt(1000);
            }
            ids[i] = id;
        }
        return ids;
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u = 1 - random.nextDouble();
            double w = random.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u));
            x[i] = (float) (r * Math.cos(2 * Math.PI * w));
            if (i + 1 < n) {
                x[i + 1] = (float) (r * Math.sin(2 * Math.PI * w));
            }
        }
        return x;
    }
}
