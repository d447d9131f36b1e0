package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The host side of bench/gpu_check.py (argument packing, launch shapes mirroring {@link LaunchShape}, the
 * float64 references) tests itself; the kernels' own code is {@link KernelEmulationTest}'s, their arithmetic
 * on hardware bench/gpu-check.sh's.
 */
class DeviceCheckSelfTest {

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
