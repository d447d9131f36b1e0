package org.ringattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.io.Npy;

/** {@code jobs/attention} end to end: results against float64 references, and every refusal. */
class AttentionCommandTest {

    @TempDir
    Path dir;
    private final SplittableRandom random = new SplittableRandom(21);

    private record Run(int status, String out, String err) {
    }

    @BeforeEach
    void inputs() {
        writeInputs(dir, 97, 6, 2, 32);
    }

    private void writeInputs(Path at, int s, int hq, int hkv, int d) {
        Npy.writeFloat32(at.resolve("q.npy"), Workload.gaussian(random, s * hq * d), s, hq, d);
        Npy.writeFloat32(at.resolve("k.npy"), Workload.gaussian(random, s * hkv * d), s, hkv, d);
        Npy.writeFloat32(at.resolve("v.npy"), Workload.gaussian(random, s * hkv * d), s, hkv, d);
        int[] seg = new int[s];
        Arrays.setAll(seg, i -> i < s / 3 ? 4 : 9);
        Npy.writeInt32(at.resolve("seg.npy"), seg);
    }

    private Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new AttentionCommand().execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String[] args(String... extra) {
        List<String> a = new ArrayList<>(List.of("--q", p("q.npy"), "--k", p("k.npy"), "--v", p("v.npy"),
                "--out", p("o.npy"), "--lse", p("lse.npy")));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void matchesNumpyFloat64Reference() throws Exception {
        String[][] variants = {{}, {"--causal"}, {"--segments", p("seg.npy")},
            {"--causal", "--segments", p("seg.npy"), "--block-size", "16", "--scale", "0.3"}};
        for (String[] variant : variants) {
            Run r = run(args(variant));
            assertEquals(0, r.status, r.err);
            List<String> check = new ArrayList<>(List.of("python3", "src/test/python/check_attention.py",
                    "--q", p("q.npy"), "--k", p("k.npy"), "--v", p("v.npy"), "--o", p("o.npy"), "--lse", p("lse.npy")));
            check.addAll(Arrays.asList(variant).subList(0, variant.length).stream()
                    .filter(x -> !x.equals("--block-size") && !x.equals("16")).toList());
            Process proc = new ProcessBuilder(check).redirectErrorStream(true).start();
            String report = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(proc.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, proc.exitValue(), Arrays.toString(variant) + ": " + report);
            assertTrue(report.contains("\"ok\": true"), report);
        }
    }

    @Test
    void demoWritesAndChecksItsSample() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Run r = run("--demo", "--threads", "2");
        assertEquals(0, r.status, r.err);
        assertTrue(r.err.contains("4096 tokens, Hq=8 Hkv=2 D=64, causal, segments"), r.err);
        assertTrue(Files.size(cwd.resolve("target/demo/o.npy")) > 4096 * 8 * 64 * 4);
    }

    @Test
    void everyBadInputIsRefusedWithOneLineAndNoOutput() throws IOException {
        Path bad = Files.createDirectory(dir.resolve("bad"));
        Files.writeString(bad.resolve("text.npy"), "hello");
        Npy.writeFloat32(bad.resolve("k4.npy"), new float[97 * 4 * 32], 97, 4, 32);
        Npy.writeFloat32(bad.resolve("k2d.npy"), new float[97 * 32], 97, 32);
        Npy.writeFloat32(bad.resolve("short.npy"), new float[96 * 2 * 32], 96, 2, 32);
        Npy.writeFloat32(bad.resolve("d16.npy"), new float[97 * 2 * 16], 97, 2, 16);
        Npy.writeFloat32(bad.resolve("empty.npy"), new float[0], 0, 6, 32);
        Npy.writeFloat32(bad.resolve("emptykv.npy"), new float[0], 0, 2, 32);
        float[] nan = new float[97 * 2 * 32];
        nan[5 * 64 + 3] = Float.NaN;
        Npy.writeFloat32(bad.resolve("nan.npy"), nan, 97, 2, 32);
        float[] inf = new float[97 * 6 * 32];
        inf[90 * 192] = Float.POSITIVE_INFINITY;
        Npy.writeFloat32(bad.resolve("inf.npy"), inf, 97, 6, 32);
        Npy.writeInt32(bad.resolve("seg5.npy"), new int[5]);
        writeRaw(bad.resolve("f64.npy"), "<f8", false, "(97, 2, 32)", 8 * 97 * 2 * 32);
        writeRaw(bad.resolve("fortran.npy"), "<f4", true, "(97, 2, 32)", 4 * 97 * 2 * 32);

        String b = bad.toString();
        Object[][] cases = {
            {new String[] {"--k", b + "/missing.npy"}, "K (" + b + "/missing.npy) does not exist"},
            {new String[] {"--v", b + "/text.npy"}, "is not a .npy file"},
            {new String[] {"--k", b + "/f64.npy"}, "has dtype '<f8'"},
            {new String[] {"--v", b + "/fortran.npy"}, "is in Fortran order"},
            {new String[] {"--k", b + "/k4.npy", "--v", b + "/k4.npy"}, "K and V have 4 heads; Q's 6 heads must be a multiple of it"},
            {new String[] {"--k", b + "/k2d.npy"}, "K has shape (97, 32); it must be (S, Hkv, D)"},
            {new String[] {"--k", b + "/short.npy", "--v", b + "/short.npy"}, "K and V have 96 tokens but Q has 97"},
            {new String[] {"--v", b + "/short.npy"}, "K has shape (97, 2, 32) but V has (96, 2, 32)"},
            {new String[] {"--k", b + "/d16.npy", "--v", b + "/d16.npy"}, "K and V have head dimension 16 but Q has 32"},
            {new String[] {"--q", b + "/empty.npy", "--k", b + "/emptykv.npy", "--v", b + "/emptykv.npy"}, "empty sequence"},
            {new String[] {"--v", b + "/nan.npy"}, "V holds NaN at token 5"},
            {new String[] {"--q", b + "/inf.npy"}, "Q holds Infinity at token 90"},
            {new String[] {"--segments", b + "/seg5.npy"}, "segments has 5 ids but Q has 97 tokens"},
            {new String[] {"--out", b + "/nowhere/o.npy"}, "does not exist; create it first"},
            {new String[] {"--block-size", "0"}, "--block-size must be at least 1"},
            {new String[] {"--scale", "-1"}, "--scale must be a positive finite number"},
            {new String[] {"--bogus"}, "unknown option '--bogus'"},
        };
        int refused = 0;
        for (Object[] c : cases) {
            String[] override = (String[]) c[0];
            List<String> a = new ArrayList<>(List.of(args()));
            for (int i = 0; i < override.length; i++) {
                int at = a.indexOf(override[i]);
                if (at >= 0 && i + 1 < override.length && override[i + 1].startsWith("/")) {
                    a.set(at + 1, override[++i]);
                } else {
                    a.add(override[i]);
                }
            }
            Run r = run(a.toArray(String[]::new));
            assertEquals(2, r.status, Arrays.toString(override) + ": " + r.err);
            assertTrue(r.err.startsWith("error: ") && r.err.strip().lines().count() == 1, r.err);
            assertTrue(r.err.contains((String) c[1]), "'" + r.err.strip() + "' should contain '" + c[1] + "'");
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.noneMatch(f -> f.getFileName().toString().matches("\\.?(o|lse)\\.npy.*")),
                        "no output for " + Arrays.toString(override));
            }
            refused++;
        }
        assertEquals(cases.length, refused);
    }

    @Test
    void fallsBackToScalarKernelWithoutTheVectorModule() throws Exception {
        // A JVM started without --add-modules jdk.incubator.vector must still run, on the scalar kernel; its
        // logging set up as the jobs/ scripts set it up.
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dlog4j2.configurationFile=conf/log4j2.properties", "-cp", System.getProperty("java.class.path"),
                AttentionCommand.class.getName()));
        cmd.addAll(List.of(args("--causal")));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, proc.exitValue(), output);
        assertTrue(output.contains("cpu-scalar"), output);
        assertEquals(1, output.split("lacks jdk.incubator.vector", -1).length - 1, "warned once: " + output);
        assertTrue(Files.exists(dir.resolve("o.npy")));
    }

    private static void writeRaw(Path path, String descr, boolean fortran, String shape, int bytes) throws IOException {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
        String header = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
        byte[] head = header.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[10 + head.length + bytes];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) head.length, (byte) (head.length >> 8)};
        System.arraycopy(magic, 0, all, 0, 10);
        System.arraycopy(head, 0, all, 10, head.length);
        Files.write(path, all);
    }
}
