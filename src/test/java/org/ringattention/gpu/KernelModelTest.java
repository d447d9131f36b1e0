package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The CUDA kernels' design, checked without a GPU: bench/kernel_model.py re-states their tilings in NumPy
 * (fragment layouts of the tensor-core kernels, the tile algorithm at every launch shape including the
 * 16 x 16 tiles beyond D = 256, the attention-mass pass) against float64, and bench/gpu_check.py's host
 * side (argument packing, launch shapes mirroring {@link LaunchShape}, the float64 references) tests
 * itself. The kernels' arithmetic on hardware is bench/gpu-check.sh's.
 */
class KernelModelTest {

    @Test
    void numpyModelOfTheKernelsMatchesFloat64() throws Exception {
        assumeTrue(numpyAvailable(), "python3 with numpy is needed for the kernel model");
        String out = run("bench/kernel_model.py");
        Matcher m = Pattern.compile("kernel model: (\\d+) passed, (\\d+) failed").matcher(out);
        assertTrue(m.find(), out);
        assertEquals("0", m.group(2), out);
        // 4 attention and 1 GEMM fragment checks, 20 forward cases (D from 1 to 385), 5 attention-mass cases.
        assertEquals(30, Integer.parseInt(m.group(1)), out);
    }

    @Test
    void deviceCheckHostSideTestsItself() throws Exception {
        assumeTrue(numpyAvailable(), "python3 with numpy is needed for the device check's self-test");
        assertTrue(run("bench/gpu_check.py", "--self-test").contains("self-test: 2 passed, 0 failed"));
    }

    private static String run(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 1];
        command[0] = "python3";
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "timed out");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static boolean numpyAvailable() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy").start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
