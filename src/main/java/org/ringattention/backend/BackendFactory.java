package org.ringattention.backend;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import org.ringattention.gpu.Precision;
import org.ringattention.io.BadInputException;

/**
 * The one place a {@link Device} becomes kernels and sentence encoders: every command, ring task and
 * Spark stage opens its {@link Backend} or {@link EmbeddingBackend} here, and nothing else constructs one.
 * It knows nothing of Spark: the caller says which GPU it was given ({@link Placement}); the Spark layer
 * ({@code org.ringattention.executor}) reads that from the task.
 *
 * <p>Per process (a Spark executor, or a command) it keeps one opened GPU per CUDA ordinal: the first
 * request for GPU n opens it, every later one reuses it. That map is the documented per-executor cache of
 * the GPU backend; with each GPU it keeps the GPU kernels and encoders that callers have closed, and hands
 * them to the next caller, so streams, pinned staging and device buffers are made once per executor and
 * GPU (one set per task running on it at once), not once per task or ring step. Before a kernel first runs on an opened GPU for a head dimension, it runs a small problem
 * there and on the CPU ({@link SelfCheck}). A disagreement, or any CUDA failure then or later, disables that
 * GPU for the rest of the process, so a GPU that is wrong or broken never writes a result and never costs
 * the process: {@code auto} goes on on the CPU after one line naming the GPU and the error, {@code gpu}
 * fails the call with that one-line reason.
 */
public final class BackendFactory {

    /** The process's factory, with the GPU driver named by {@value GpuDriver#PROPERTY} (CUDA by default). */
    private static final BackendFactory PROCESS = new BackendFactory(driverFromProperty());

    private final GpuDriver driver;
    private final Map<Integer, GpuState> gpus = new HashMap<>();

    /** A factory with its own GPU cache, over {@code driver}: for tests with a stand-in driver. */
    BackendFactory(GpuDriver driver) {
        this.driver = driver;
    }

    /**
     * Kernels for a command on GPU 0 or the CPU ({@code threads} CPU threads): the decision ({@code auto}
     * on the GPU or the CPU and why) and any GPU failure are reported through {@code log} every time.
     *
     * @throws BadInputException for {@code gpu} when no working GPU can be had, naming the reason
     */
    public static Backend open(Device device, Precision precision, int blockSize, int threads, Consumer<String> log) {
        return PROCESS.backend(Placement.command(device, precision, log), blockSize, threads);
    }

    /** Kernels placed as {@code where} says, with {@code threads} CPU threads. */
    public static Backend open(Placement where, int blockSize, int threads) {
        return PROCESS.backend(where, blockSize, threads);
    }

    /**
     * For commands whose Spark executors run in this JVM (a {@code local} master): fails at once, with the
     * one-line reason, when {@code device} is {@code gpu} and this process has no working GPU, instead of
     * failing every task. Other devices and masters are left to the tasks.
     */
    public static void requireLocalGpu(Device device, String master) {
        if (device == Device.GPU && master != null && master.startsWith("local")) {
            PROCESS.backend(Placement.command(device, Precision.FP32, m -> { }), 1, 1).close();
        }
    }

    /**
     * A sentence encoder for a command: the whole encoder on GPU 0 (weights uploaded once per process), or
     * on the CPU with its passes spread over {@code threads} threads. {@code model} is empty for the bundled
     * all-MiniLM-L6-v2, else a model directory or file.
     */
    public static EmbeddingBackend openEncoder(Device device, Precision precision, String model, int passTokens,
                                               int threads, Consumer<String> log) {
        return PROCESS.encoder(Placement.command(device, precision, log), model, passTokens, CpuEncoder.threads(threads));
    }

    /**
     * A sentence encoder placed as {@code where} says; on the CPU its passes run on {@code pool}, shared by
     * every caller of the process (a Spark executor's tasks), so that concurrent callers never run more
     * encoder threads than the pool has.
     */
    public static EmbeddingBackend openEncoder(Placement where, String model, int passTokens, ExecutorService pool) {
        return PROCESS.encoder(where, model, passTokens, CpuEncoder.pool(pool));
    }

    EmbeddingBackend encoder(Placement where, String model, int passTokens, CpuEncoder.Threads threads) {
        if (where.device() == Device.CPU) {
            return CpuEncoder.open(model, passTokens, threads);
        }
        GpuState gpu = gpu(where.gpu());
        Precision precision = where.precision();
        String what = "encoder (model " + (model.isEmpty() ? "bundled all-MiniLM-L6-v2" : model) + ", "
                + precision.label() + ")";
        String problem = gpu.problem();
        if (problem == null) {
            EmbeddingBackend onGpu = null;
            try {
                onGpu = gpu.takeEncoder(model, precision);
            } catch (RuntimeException e) {
                problem = gpu.fail("could not load the " + what + ": " + oneLine(e));
            }
            if (onGpu != null) {
                EmbeddingBackend checked = onGpu;
                problem = gpu.verify(what, () -> {
                    try (EmbeddingBackend reference = CpuEncoder.open(model, passTokens, CpuEncoder.threads(1))) {
                        return SelfCheck.encoder(checked, reference, SelfCheck.minCosine(precision));
                    }
                });
                if (problem == null) {
                    if (where.device() == Device.AUTO && where.logEveryTime()) {
                        where.log().accept("device auto: encoder on " + gpu.gpu.description());
                    }
                    return new CheckedGpuEncoder(gpu, where, model, onGpu, () -> CpuEncoder.open(model, passTokens, threads));
                }
                gpu.giveBack(model, precision, onGpu);
            }
        }
        if (where.device() == Device.GPU) {
            throw unavailable(problem);
        }
        gpu.report(onTheCpu(problem, where), where);
        return CpuEncoder.open(model, passTokens, threads);
    }

    Backend backend(Placement where, int blockSize, int threads) {
        if (where.device() == Device.CPU) {
            return new CpuBackend(blockSize, threads);
        }
        GpuState gpu = gpu(where.gpu());
        String problem = gpu.problem();
        if (problem == null) {
            Backend opened = null;
            try {
                opened = gpu.takeBackend(where.precision());
            } catch (RuntimeException e) {
                problem = gpu.fail("could not open its kernels: " + oneLine(e));
            }
            if (opened != null) {
                if (where.device() == Device.AUTO && where.logEveryTime()) {
                    where.log().accept("device auto: using " + gpu.gpu.description());
                }
                return new CheckedGpuBackend(gpu, where, opened, () -> new CpuBackend(blockSize, threads),
                        () -> gpu.gpu.openBackend(where.precision(), SelfCheck.KEYS_PER_CHUNK));
            }
        }
        if (where.device() == Device.GPU) {
            throw unavailable(problem);
        }
        gpu.report(onTheCpu(problem, where), where);
        return new CpuBackend(blockSize, threads);
    }

    /** The one line of a fallback under {@code auto}: why, and that a GPU precision does not carry over. */
    static String onTheCpu(String problem, Placement where) {
        return "device auto: using the CPU (" + problem + ")"
                + (where.precision() == Precision.FP32 ? "" : "; it computes in fp32, not " + where.precision().label());
    }

    static BadInputException unavailable(String problem) {
        return new BadInputException("--device gpu: " + problem + "; use --device cpu or --device auto");
    }

    /** GPU {@code ordinal}, opened on first use; its problem says why it cannot be used. */
    private synchronized GpuState gpu(int ordinal) {
        return gpus.computeIfAbsent(ordinal, this::open);
    }

    private GpuState open(int ordinal) {
        try {
            return new GpuState(ordinal, driver.open(ordinal), null);
        } catch (RuntimeException | LinkageError e) {
            return GpuState.unusable(ordinal, oneLine(e));
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static GpuDriver driverFromProperty() {
        String name = System.getProperty(GpuDriver.PROPERTY);
        if (name == null || name.isEmpty()) {
            return new CudaDriver();
        }
        try {
            return (GpuDriver) Class.forName(name).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException(GpuDriver.PROPERTY + "=" + name + " does not name a GpuDriver class with a"
                    + " public no-argument constructor", e);
        }
    }

    /**
     * One GPU of this process: opened (or why not), which kernels passed their self-check, what was logged,
     * and the kernels and encoders that callers closed, kept for the next ones.
     */
    static final class GpuState {
        final int ordinal;
        final GpuDriver.Gpu gpu;
        private String problem;
        private final Set<String> checked = new HashSet<>();
        private final Set<String> reported = new HashSet<>();
        private final Map<Precision, Deque<Backend>> idleBackends = new HashMap<>();
        private final Map<String, Deque<EmbeddingBackend>> idleEncoders = new HashMap<>();

        GpuState(int ordinal, GpuDriver.Gpu gpu, String problem) {
            this.ordinal = ordinal;
            this.gpu = gpu;
            this.problem = problem;
        }

        static GpuState unusable(int ordinal, String problem) {
            return new GpuState(ordinal, null, problem);
        }

        synchronized String problem() {
            return problem;
        }

        /** GPU kernels in {@code precision} for one caller: kept ones first, else newly opened. */
        Backend takeBackend(Precision precision) {
            synchronized (this) {
                Deque<Backend> idle = idleBackends.get(precision);
                if (idle != null && !idle.isEmpty()) {
                    return idle.pop();
                }
            }
            return gpu.openBackend(precision);
        }

        /** An encoder of {@code model} in {@code precision} for one caller: a kept one first, else newly opened. */
        EmbeddingBackend takeEncoder(String model, Precision precision) {
            synchronized (this) {
                Deque<EmbeddingBackend> idle = idleEncoders.get(precision + "/" + model);
                if (idle != null && !idle.isEmpty()) {
                    return idle.pop();
                }
            }
            return gpu.openEncoder(model, precision);
        }

        /** Keeps {@code backend} for the next caller, or closes it when the GPU has been disabled. */
        void giveBack(Precision precision, Backend backend) {
            keepOrClose(backend, () -> idleBackends.computeIfAbsent(precision, p -> new ArrayDeque<>()).push(backend));
        }

        /** Keeps {@code encoder} for the next caller, or closes it when the GPU has been disabled. */
        void giveBack(String model, Precision precision, EmbeddingBackend encoder) {
            keepOrClose(encoder, () -> idleEncoders.computeIfAbsent(precision + "/" + model, m -> new ArrayDeque<>())
                    .push(encoder));
        }

        private void keepOrClose(AutoCloseable opened, Runnable keep) {
            synchronized (this) {
                if (problem == null) {
                    keep.run();
                    return;
                }
            }
            try {
                opened.close();
            } catch (Exception e) {
                // A GPU that failed may refuse to free its buffers; its context is gone with it.
                fail("failed freeing its buffers: " + oneLine(e));
            }
        }

        /** Disables this GPU for the process because of {@code what}; returns the problem as callers report it. */
        synchronized String fail(String what) {
            if (problem == null) {
                problem = (gpu == null ? "gpu " + ordinal : gpu.description()) + " " + what
                        + "; the GPU is disabled in this process";
            }
            return problem;
        }

        /**
         * Null when {@code what} (a kernel at a head dimension, an encoder) agrees with the CPU on this GPU
         * (checked once per process), else the problem, which from then on disables the GPU.
         */
        synchronized String verify(String what, SelfCheck.Run check) {
            if (problem != null) {
                return problem;
            }
            if (checked.contains(what)) {
                return null;
            }
            String failure;
            try {
                failure = check.run();
            } catch (RuntimeException e) {
                failure = "failed to run: " + oneLine(e);
            }
            if (failure == null) {
                checked.add(what);
                return null;
            }
            problem = "the self-check of the GPU " + what + " on " + gpu.description() + " " + failure
                    + "; the GPU is disabled in this process";
            return problem;
        }

        /** {@code message} to the placement's log: every time, or once per process. */
        synchronized void report(String message, Placement where) {
            if (where.logEveryTime() || reported.add(message)) {
                where.log().accept(message);
            }
        }
    }
}
