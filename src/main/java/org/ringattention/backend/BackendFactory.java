package org.ringattention.backend;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.ringattention.encoder.EncoderCache;
import org.ringattention.encoder.SentenceEmbedder;
import org.ringattention.gpu.GpuAssignment;
import org.ringattention.io.BadInputException;

/**
 * The one place a {@link Device} becomes kernels: every command, ring task and Spark stage opens its
 * {@link Backend} here, and nothing else constructs one.
 *
 * <p>Per process (a Spark executor, or a command) it keeps one opened GPU per CUDA ordinal: the first task
 * given GPU n (Spark's assignment, {@link GpuAssignment}; device 0 outside Spark) opens it, every later
 * task reuses it. That map is the documented per-executor cache of the GPU backend. Before a kernel first
 * runs on an opened GPU for a head dimension, it runs a small problem there and on the CPU
 * ({@link SelfCheck}); a disagreement disables the GPU for the rest of the process, so a kernel that is
 * wrong on some card never writes a result. Then {@code auto} goes on on the CPU after one warning naming
 * the kernel and the error, and {@code gpu} fails the task with that reason.
 */
public final class BackendFactory {

    private static final Logger LOG = Logger.getLogger(BackendFactory.class.getName());

    /** The process's factory, with the GPU driver named by {@value GpuDriver#PROPERTY} (CUDA by default). */
    private static final BackendFactory PROCESS = new BackendFactory(driverFromProperty());

    private static ExecutorService encoderThreads;

    private final GpuDriver driver;
    private final Map<Integer, GpuState> gpus = new HashMap<>();

    /** A factory with its own GPU cache, over {@code driver}: for tests with a stand-in driver. */
    BackendFactory(GpuDriver driver) {
        this.driver = driver;
    }

    /**
     * Kernels for a command: the decision ({@code auto} on the GPU or the CPU and why) and any self-check
     * failure are reported through {@code log} on every call.
     *
     * @throws BadInputException for {@code gpu} when no working GPU can be had, naming the reason
     */
    public static Backend open(Device device, int blockSize, int threads, Consumer<String> log) {
        return PROCESS.backend(device, blockSize, threads, log, true);
    }

    /**
     * Kernels for a Spark task, on the GPU Spark assigned to it: the fallback of {@code auto} and a failed
     * self-check are logged once per executor, not once per task.
     */
    public static Backend openInTask(Device device, int blockSize, int threads) {
        return PROCESS.backend(device, blockSize, threads, LOG::warning, false);
    }

    /**
     * For commands whose Spark executors run in this JVM (a {@code local} master): fails at once, with the
     * one-line reason, when {@code device} is {@code gpu} and this process has no working GPU, instead of
     * failing every task. Other devices and masters are left to the tasks.
     */
    public static void requireLocalGpu(Device device, String master) {
        if (device == Device.GPU && master != null && master.startsWith("local")) {
            PROCESS.backend(device, 1, 1, m -> { }, true).close();
        }
    }

    /**
     * A sentence encoder for a command, on the device: the whole encoder on the GPU (weights uploaded once
     * per process), or {@code SentenceEmbedder} on the CPU with {@code cpuPassTokens} tokens per pass.
     * {@code model} is empty for the bundled all-MiniLM-L6-v2, else a model directory or file.
     */
    public static EmbeddingBackend openEncoder(Device device, String model, int cpuPassTokens, Consumer<String> log) {
        return PROCESS.encoder(device, model, cpuPassTokens, log, true);
    }

    /** {@link #openEncoder} for a Spark task: fallback and self-check messages once per executor. */
    public static EmbeddingBackend openEncoderInTask(Device device, String model, int cpuPassTokens) {
        return PROCESS.encoder(device, model, cpuPassTokens, LOG::warning, false);
    }

    EmbeddingBackend encoder(Device device, String model, int cpuPassTokens, Consumer<String> log, boolean logEveryTime) {
        if (device == Device.CPU) {
            return cpuEncoder(model, cpuPassTokens);
        }
        GpuState gpu = gpu();
        String problem = gpu.problem();
        if (problem == null) {
            EmbeddingBackend onGpu;
            try {
                onGpu = gpu.gpu.openEncoder(model);
            } catch (RuntimeException e) {
                onGpu = null;
                problem = gpu.verify("encoder (model " + modelName(model) + ")", () -> "could not load it: " + oneLine(e));
            }
            if (onGpu != null) {
                EmbeddingBackend checked = onGpu;
                problem = gpu.verify("encoder (model " + modelName(model) + ")", () -> {
                    try (EmbeddingBackend reference = cpuEncoder(model, cpuPassTokens)) {
                        return SelfCheck.encoder(checked, reference);
                    }
                });
                if (problem == null) {
                    if (device == Device.AUTO && logEveryTime) {
                        log.accept("device auto: encoder on " + gpu.gpu.description());
                    }
                    return onGpu;
                }
                onGpu.close();
            }
        }
        if (device == Device.GPU) {
            throw unavailable(problem);
        }
        gpu.report("device auto: using the CPU (" + problem + ")", log, logEveryTime);
        return cpuEncoder(model, cpuPassTokens);
    }

    private static String modelName(String model) {
        return model.isEmpty() ? "bundled all-MiniLM-L6-v2" : model;
    }

    /**
     * The CPU encoder of the executor's cache; sentences attend through its own segment attention, and
     * passes run on the process's {@link #encoderThreads}.
     */
    static EmbeddingBackend cpuEncoder(String model, int passTokens) {
        SentenceEmbedder embedder = new SentenceEmbedder(EncoderCache.get(model), passTokens, encoderThreads());
        return new EmbeddingBackend() {
            @Override
            public int dimension() {
                return embedder.dimension();
            }

            @Override
            public float[] embed(int[][] ids) {
                return embedder.embed(ids);
            }

            @Override
            public String description() {
                return "cpu";
            }

            @Override
            public void close() {
                // The encoder is the executor's (EncoderCache).
            }
        };
    }

    /**
     * One pool of encoder threads per process, as many as the executor's cores ({@link #executorCores}):
     * every task's passes share it, so while one long document is left its passes use every core, and
     * concurrent tasks never run more encoder threads than cores. Daemon threads: the pool lives as long
     * as the executor.
     */
    static synchronized ExecutorService encoderThreads() {
        if (encoderThreads == null) {
            int n = executorCores();
            AtomicInteger count = new AtomicInteger();
            encoderThreads = Executors.newFixedThreadPool(n, r -> {
                Thread t = new Thread(r, "encoder-" + count.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return encoderThreads;
    }

    /**
     * Cores this process may use for tasks: {@code spark.executor.cores} where set, the N of a
     * {@code local[N]} master, 1 on YARN (Spark's default there), else every processor the JVM sees.
     */
    static int executorCores() {
        int processors = Runtime.getRuntime().availableProcessors();
        SparkEnv env = SparkEnv.get();
        if (env == null) {
            return processors;
        }
        SparkConf conf = env.conf();
        if (conf.contains("spark.executor.cores")) {
            return Math.max(1, conf.getInt("spark.executor.cores", 1));
        }
        String master = conf.get("spark.master", "");
        Matcher local = Pattern.compile("local\\[(\\d+)").matcher(master);
        if (local.lookingAt()) {
            return Math.max(1, Integer.parseInt(local.group(1)));
        }
        return master.startsWith("yarn") ? 1 : processors;
    }

    Backend backend(Device device, int blockSize, int threads, Consumer<String> log, boolean logEveryTime) {
        if (device == Device.CPU) {
            return new CpuBackend(blockSize, threads);
        }
        GpuState gpu = gpu();
        String problem = gpu.problem();
        if (problem == null) {
            if (device == Device.AUTO && logEveryTime) {
                log.accept("device auto: using " + gpu.gpu.description());
            }
            return new CheckedGpuBackend(gpu, device, gpu.gpu.openBackend(), () -> new CpuBackend(blockSize, threads),
                    message -> gpu.report(message, log, logEveryTime));
        }
        if (device == Device.GPU) {
            throw unavailable(problem);
        }
        gpu.report("device auto: using the CPU (" + problem + ")", log, logEveryTime);
        return new CpuBackend(blockSize, threads);
    }

    static BadInputException unavailable(String problem) {
        return new BadInputException("--device gpu: " + problem + "; use --device cpu or --device auto");
    }

    /** The GPU for the calling thread, opened on first use; its problem says why it cannot be used. */
    private synchronized GpuState gpu() {
        int ordinal;
        try {
            ordinal = GpuAssignment.deviceOrdinal();
        } catch (IllegalStateException e) {
            return GpuState.unusable(-1, e.getMessage());
        }
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

    /** One GPU of this process: opened (or why not), which kernels passed their self-check, what was logged. */
    static final class GpuState {
        final int ordinal;
        final GpuDriver.Gpu gpu;
        private String problem;
        private final Set<String> checked = new HashSet<>();
        private final Set<String> reported = new HashSet<>();

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

        /**
         * Null when {@code what} (a kernel at a head dimension, an encoder) agrees with the CPU on this GPU
         * (checked once per process), else the problem, which from then on disables the GPU.
         */
        synchronized String verify(String what, SelfCheck.Run check) {
            if (problem != null) {
                return problem;
            }
            String key = what;
            if (checked.contains(key)) {
                return null;
            }
            String failure;
            try {
                failure = check.run();
            } catch (RuntimeException e) {
                failure = "failed to run: " + oneLine(e);
            }
            if (failure == null) {
                checked.add(key);
                return null;
            }
            problem = "the self-check of the GPU " + what + " on " + gpu.description() + " " + failure
                    + "; the GPU is disabled in this process";
            return problem;
        }

        synchronized void report(String message, Consumer<String> log, boolean everyTime) {
            if (everyTime || reported.add(message)) {
                log.accept(message);
            }
        }
    }
}
