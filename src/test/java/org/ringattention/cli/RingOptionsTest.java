package org.ringattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.io.Npy;

/** {@code jobs/attention --partitions P}: the ring on embedded Spark gives the kernel's answer for the same files. */
class RingOptionsTest {

    @TempDir
    Path dir;

    private int run(PrintStream err, String... args) {
        return new AttentionCommand().execute(args, new PrintStream(new ByteArrayOutputStream()), err);
    }

    @Test
    void ringOnSparkMatchesTheInProcessKernel() throws Exception {
        int s = 157;
        SplittableRandom random = new SplittableRandom(9);
        Npy.writeFloat32(dir.resolve("q.npy"), Workload.gaussian(random, s * 4 * 16), s, 4, 16);
        Npy.writeFloat32(dir.resolve("k.npy"), Workload.gaussian(random, s * 2 * 16), s, 2, 16);
        Npy.writeFloat32(dir.resolve("v.npy"), Workload.gaussian(random, s * 2 * 16), s, 2, 16);
        int[] segments = new int[s];
        for (int i = 0; i < s; i++) {
            segments[i] = i < 60 ? 3 : 1;
        }
        Npy.writeInt32(dir.resolve("seg.npy"), segments);
        String[] common = {"--q", dir.resolve("q.npy").toString(), "--k", dir.resolve("k.npy").toString(),
            "--v", dir.resolve("v.npy").toString(), "--segments", dir.resolve("seg.npy").toString(), "--causal",
            "--block-size", "16"};
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(log, true, StandardCharsets.UTF_8);
        assertEquals(0, run(err, concat(common, "--out", dir.resolve("o1.npy").toString(),
                "--lse", dir.resolve("l1.npy").toString())));
        assertEquals(0, run(err, concat(common, "--out", dir.resolve("o2.npy").toString(),
                "--lse", dir.resolve("l2.npy").toString(), "--partitions", "3", "--layout", "striped",
                "--compression", "zstd", "--master", "local[2]")), log.toString(StandardCharsets.UTF_8));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("ring attention: 157 tokens in 1 documents"
                + " (1 on the ring, 0 local), P=3, layout striped, 3 steps"), log.toString(StandardCharsets.UTF_8));
        float[] o1 = Npy.readFloat32(dir.resolve("o1.npy"), "O").data();
        float[] o2 = Npy.readFloat32(dir.resolve("o2.npy"), "O").data();
        float[] l1 = Npy.readFloat32(dir.resolve("l1.npy"), "LSE").data();
        float[] l2 = Npy.readFloat32(dir.resolve("l2.npy"), "LSE").data();
        for (int i = 0; i < o1.length; i++) {
            assertEquals(o1[i], o2[i], 1e-5, "O[" + i + "]");
        }
        for (int i = 0; i < l1.length; i++) {
            assertEquals(l1[i], l2[i], 1e-5, "LSE[" + i + "]");
        }
    }

    @Test
    void badRingOptionsAreOneLineAndExitTwo() throws Exception {
        Npy.writeFloat32(dir.resolve("x.npy"), new float[8], 2, 1, 4);
        String x = dir.resolve("x.npy").toString();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(log, true, StandardCharsets.UTF_8);
        assertEquals(2, run(err, "--q", x, "--k", x, "--v", x, "--out", dir.resolve("o.npy").toString(),
                "--partitions", "2", "--layout", "diagonal"));
        assertEquals("error: layout must be contiguous, zigzag or striped, got 'diagonal'\n",
                log.toString(StandardCharsets.UTF_8));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
