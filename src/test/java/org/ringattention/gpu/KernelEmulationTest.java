package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The real CUDA source, run on the CPU: src/test/cuda/kernel_check.cpp includes src/main/cuda/kernels.cu
 * through an emulation of CUDA (cuda_emulation.h: threads as fibers, barriers, warp shuffles, mma.sync,
 * ldmatrix, cp.async) and checks every kernel against float64 at small sizes, with the launch shapes of
 * {@link LaunchShape}. The binary is cached under target/kernel-emulation, keyed by the compiler, its flags
 * and every source, so a rerun without changes does not recompile. Fails (does not skip) without g++:
 * CI installs it.
 */
class KernelEmulationTest {

    /** 28 attention, 7 attention-mass, 2 tile-bounds, 2 conversion, 11 encoder and 5 emulator cases. */
    private static final int CASES = 55;

    private static final Path CUDA = Path.of("src/main/cuda");
    private static final Path EMULATION = Path.of("src/test/cuda");
    private static final Path OUT = Path.of("target/kernel-emulation");
    private static final List<String> FLAGS = List.of("-std=c++20", "-O1", "-fno-strict-aliasing", "-fno-extern-tls-init",
            "-Wall", "-Wno-unknown-pragmas");
    private static final long COMPILE_TIMEOUT_S = 600;
    private static final long RUN_TIMEOUT_S = 600;
    /** Per case, inside the driver: a hung case fails alone. */
    private static final String CASE_TIMEOUT_S = "120";

    @Test
    void kernelsMatchFloat64OnTheCpu() throws Exception {
        String compiler = System.getenv().getOrDefault("CXX", "g++");
        Path binary = build(compiler);
        Path shapes = OUT.resolve("launch-shapes.txt");
        Files.writeString(shapes, launchShapes());
        String jobs = Integer.toString(Runtime.getRuntime().availableProcessors());
        Result r = run(List.of(binary.toString(), "--shapes", shapes.toString(), "--jobs", jobs, "--timeout", CASE_TIMEOUT_S),
                RUN_TIMEOUT_S);
        System.out.print(r.output);
        Matcher m = Pattern.compile("(?m)^(\\d+) passed, (\\d+) failed$").matcher(r.output);
        assertTrue(m.find(), "no closing \"N passed, M failed\" line:\n" + r.output);
        assertEquals(0, Integer.parseInt(m.group(2)), r.output);
        assertEquals(CASES, Integer.parseInt(m.group(1)), r.output);
        assertEquals(0, r.exitCode, r.output);
    }

    /** One line per kernel, "function blockM blockN threads sharedBytes", as the Java host launches it. */
    private static String launchShapes() {
        List<LaunchShape> all = new ArrayList<>();
        for (int d : LaunchShape.FP32_DIMS) {
            all.add(LaunchShape.of(Precision.FP32, d));
            all.add(LaunchShape.mass(d));
        }
        for (int d : LaunchShape.MMA_DIMS) {
            all.add(LaunchShape.of(Precision.BF16, d));
            all.add(LaunchShape.of(Precision.FP16, d));
        }
        StringBuilder s = new StringBuilder();
        for (LaunchShape l : all) {
            s.append(l.function()).append(' ').append(l.blockM()).append(' ').append(l.blockN()).append(' ')
                    .append(l.threads()).append(' ').append(l.sharedBytes()).append('\n');
        }
        return s.toString();
    }

    /** The driver for these sources and flags, compiled once. */
    private static Path build(String compiler) throws Exception {
        Result version;
        try {
            version = run(List.of(compiler, "--version"), 60);
        } catch (IOException e) {
            version = null;
        }
        if (version == null || version.exitCode != 0) {
            fail(compiler + " was not found: KernelEmulationTest compiles src/main/cuda for the CPU with it. Install g++ "
                    + "(apt-get install g++) or set CXX to a C++20 compiler.");
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(version.output.getBytes(StandardCharsets.UTF_8));
        sha.update(String.join(" ", FLAGS).getBytes(StandardCharsets.UTF_8));
        for (Path source : sources()) {
            sha.update(source.toString().getBytes(StandardCharsets.UTF_8));
            sha.update(Files.readAllBytes(source));
        }
        Path binary = OUT.resolve("kernel_check-" + HexFormat.of().formatHex(sha.digest()).substring(0, 16));
        if (Files.isExecutable(binary)) {
            return binary;
        }
        Files.createDirectories(OUT);
        Path partial = Files.createTempFile(OUT, "kernel_check", ".partial");
        List<String> command = new ArrayList<>();
        command.add(compiler);
        command.addAll(FLAGS);
        command.addAll(List.of("-I", EMULATION.toString(), "-I", CUDA.toString(), EMULATION.resolve("kernel_check.cpp").toString(),
                "-o", partial.toString(), "-ldl"));
        try {
            Result r = run(command, COMPILE_TIMEOUT_S);
            assertEquals(0, r.exitCode, "compiling the kernel emulation failed:\n" + String.join(" ", command) + "\n" + r.output);
            Files.move(partial, binary, StandardCopyOption.ATOMIC_MOVE);
            return binary;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private static List<Path> sources() throws IOException {
        List<Path> all = new ArrayList<>();
        for (Path dir : List.of(CUDA, EMULATION)) {
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(p -> p.toString().matches(".*\\.(cu|h|cpp)$")).sorted().forEach(all::add);
            }
        }
        return all;
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile("kernel-emulation", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail(String.join(" ", command) + " ran past " + timeoutSeconds + " s:\n" + Files.readString(log));
            }
            return new Result(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
