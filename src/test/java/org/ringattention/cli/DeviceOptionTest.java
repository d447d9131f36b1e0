package org.ringattention.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.gpu.GpuRuntime;
import org.ringattention.io.Npy;

/** {@code --device} on jobs/attention and jobs/bench, on whatever this machine has. */
class DeviceOptionTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void writeInputs() {
        Random random = new Random(6);
        int s = 50;
        Npy.writeFloat32(dir.resolve("q.npy"), normals(random, s * 4 * 16), s, 4, 16);
        Npy.writeFloat32(dir.resolve("k.npy"), normals(random, s * 2 * 16), s, 2, 16);
        Npy.writeFloat32(dir.resolve("v.npy"), normals(random, s * 2 * 16), s, 2, 16);
    }

    private int attention(String device, String output, String... more) {
        out.reset();
        err.reset();
        String[] args = {"--q", dir.resolve("q.npy").toString(),
            "--k", dir.resolve("k.npy").toString(), "--v", dir.resolve("v.npy").toString(),
            "--out", dir.resolve(output).toString(), "--causal", "--threads", "1", "--device", device};
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return new AttentionCommand().execute(all,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String errText() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void gpuWithoutAWorkingGpuFailsAtOnceWithNoOutput() {
        GpuRuntime.Availability a = GpuRuntime.availability();
        int status = attention("gpu", "o.npy");
        if (a.usable()) {
            assertEquals(0, status, errText());
            assertTrue(Files.exists(dir.resolve("o.npy")));
            return;
        }
        assertEquals(2, status);
        assertEquals("error: --device gpu: no usable GPU: " + a.reason() + "; use --device cpu or --device auto\n",
                errText());
        assertFalse(Files.exists(dir.resolve("o.npy")), "no output file after a refused --device gpu");
    }

    @Test
    void autoFallsBackToTheCpuAndGivesTheCpuResult() throws IOException {
        GpuRuntime.Availability a = GpuRuntime.availability();
        assertEquals(0, attention("cpu", "cpu.npy"), errText());
        assertEquals(0, attention("auto", "auto.npy"), errText());
        if (a.usable()) {
            assertTrue(errText().startsWith("device auto: using gpu "), errText());
            return;
        }
        assertTrue(errText().startsWith("device auto: using the CPU (no usable GPU: " + a.reason() + ")\n"), errText());
        assertTrue(errText().contains(" cpu-"), "the summary line names the CPU kernel: " + errText());
        assertArrayEquals(Files.readAllBytes(dir.resolve("cpu.npy")), Files.readAllBytes(dir.resolve("auto.npy")));
    }

    /** The ring's tasks take the device too: under auto without a GPU they fall back and agree with the CPU run. */
    @Test
    void ringTasksTakeTheDevice() throws IOException {
        assertEquals(0, attention("cpu", "ring-cpu.npy", "--partitions", "2", "--master", "local[2]"), errText());
        assertEquals(0, attention("auto", "ring-auto.npy", "--partitions", "2", "--master", "local[2]"), errText());
        if (!GpuRuntime.availability().usable()) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("ring-cpu.npy")), Files.readAllBytes(dir.resolve("ring-auto.npy")));
            assertEquals(2, attention("gpu", "ring-gpu.npy", "--partitions", "2", "--master", "local[2]"));
            assertEquals("error: --device gpu: no usable GPU: " + GpuRuntime.availability().reason()
                    + "; use --device cpu or --device auto\n", errText(), "one line, before Spark starts");
            assertFalse(Files.exists(dir.resolve("ring-gpu.npy")));
        }
    }

    @Test
    void unknownDeviceIsBadInput() {
        assertEquals(2, attention("tpu", "o.npy"));
        assertEquals("error: --device must be cpu, gpu or auto, got 'tpu'\n", errText());
        assertFalse(Files.exists(dir.resolve("o.npy")));
    }

    @Test
    void bf16IsAGpuPrecisionTheCpuRefusesAndAutoFallsBackFromInFp32() throws IOException {
        assertEquals(2, attention("cpu", "o.npy", "--precision", "bf16"));
        assertEquals("error: --precision bf16 runs on a GPU's tensor cores and the CPU computes in fp32; use --device gpu"
                + " or --device auto, or --precision fp32\n", errText());
        assertEquals(2, attention("cpu", "o.npy", "--precision", "fp16"));
        assertEquals("error: --precision must be fp32 or bf16, got 'fp16'\n", errText());
        if (!GpuRuntime.availability().usable()) {
            assertEquals(0, attention("cpu", "cpu.npy"), errText());
            assertEquals(0, attention("auto", "auto-bf16.npy", "--precision", "bf16"), errText());
            assertTrue(errText().startsWith("device auto: using the CPU (no usable GPU: " + GpuRuntime.availability().reason()
                    + "); it computes in fp32, not bf16\n"), errText());
            assertArrayEquals(Files.readAllBytes(dir.resolve("cpu.npy")), Files.readAllBytes(dir.resolve("auto-bf16.npy")));
        }
    }

    @Test
    void benchRefusesGpuWithoutOneAndRunsOnAuto() {
        GpuRuntime.Availability a = GpuRuntime.availability();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int gpu = new BenchCommand().execute(new String[] {"--seq", "64", "--heads", "2", "--dim", "16", "--runs", "1",
            "--threads", "1", "--device", "gpu"}, o, e);
        if (!a.usable()) {
            assertEquals(2, gpu);
            assertEquals("", out.toString(StandardCharsets.UTF_8));
        }
        out.reset();
        assertEquals(0, new BenchCommand().execute(new String[] {"--seq", "64", "--heads", "2", "--dim", "16", "--runs",
            "1", "--threads", "1", "--device", "auto"}, o, e));
        String line = out.toString(StandardCharsets.UTF_8);
        assertTrue(line.contains(a.usable() ? "\"kernel\":\"gpu-fp32\"" : "\"kernel\":\"cpu-"), line);
    }

    private static float[] normals(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }
}
