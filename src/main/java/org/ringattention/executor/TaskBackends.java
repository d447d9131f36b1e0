package org.ringattention.executor;

import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.util.TaskCompletionListener;
import org.ringattention.backend.Backend;
import org.ringattention.backend.BackendFactory;
import org.ringattention.backend.Device;
import org.ringattention.backend.EmbeddingBackend;
import org.ringattention.backend.Placement;
import org.ringattention.gpu.Precision;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kernels and sentence encoders for a Spark task: what {@link BackendFactory} needs to know of Spark, in
 * one place. The GPU is the one Spark assigned the task (the first address under the resource name
 * {@value #GPU_RESOURCE}: conf/spark-gpu.conf, conf/gpu-discovery.sh print CUDA ordinals; device 0 when
 * Spark assigned none); fallbacks and failures are logged once per executor; the CPU encoder's passes run
 * on one pool per executor, as many threads as the executor's cores, so that while the night's longest
 * document is the last one left its passes still use every core, and concurrent tasks never run more
 * encoder threads than cores.
 */
public final class TaskBackends {

    /** Spark's resource name for GPUs. */
    public static final String GPU_RESOURCE = "gpu";

    private static final Logger LOG = LoggerFactory.getLogger(TaskBackends.class);

    /** The executor's encoder pool: the documented per-executor cache of this layer, created on first use. */
    private static ExecutorService encoderPool;

    private TaskBackends() {
    }

    /** Attention kernels with {@code threads} CPU threads on {@code device}; the caller closes them. */
    public static Backend open(Device device, Precision precision, int blockSize, int threads) {
        return BackendFactory.open(placement(device, precision), blockSize, threads);
    }

    /** The sentence encoder of {@code model} on {@code device}; the caller closes it. */
    public static EmbeddingBackend openEncoder(Device device, Precision precision, String model, int passTokens) {
        return BackendFactory.openEncoder(placement(device, precision), model, passTokens, encoderPool());
    }

    private static Placement placement(Device device, Precision precision) {
        return new Placement(device, precision, device == Device.CPU ? 0 : gpuOrdinal(), LOG::warn, false);
    }

    /** {@code opened}, to be closed when the current task completes (now, outside a task: never). */
    public static <T extends AutoCloseable> T closedWithTask(T opened) {
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) t -> {
                try {
                    opened.close();
                } catch (Exception e) {
                    LOG.warn("closing a backend failed: {}", e.getClass().getName());
                }
            });
        }
        return opened;
    }

    /** The CUDA ordinal of the task's GPU: Spark's first assigned address, or 0 outside a task or without one. */
    static int gpuOrdinal() {
        TaskContext task = TaskContext.get();
        if (task == null) {
            return 0;
        }
        Map<String, ResourceInformation> resources = task.resourcesJMap();
        ResourceInformation gpu = resources.get(GPU_RESOURCE);
        return gpu == null ? 0 : ordinalOf(gpu.addresses());
    }

    /** The ordinal in Spark's first assigned address; fails naming the address and the fix. */
    static int ordinalOf(String[] addresses) {
        if (addresses.length == 0) {
            throw new IllegalStateException("Spark assigned this task no \"" + GPU_RESOURCE + "\" address;"
                    + " give executors GPUs (conf/spark-gpu.conf) or use --device cpu");
        }
        try {
            int ordinal = Integer.parseInt(addresses[0].trim());
            if (ordinal < 0) {
                throw new NumberFormatException();
            }
            return ordinal;
        } catch (NumberFormatException e) {
            throw new IllegalStateException("Spark's GPU address '" + addresses[0] + "' is not a CUDA device ordinal;"
                    + " the discovery script must print ordinals such as \"0\" (conf/gpu-discovery.sh)");
        }
    }

    static synchronized ExecutorService encoderPool() {
        if (encoderPool == null) {
            int n = executorCores();
            AtomicInteger count = new AtomicInteger();
            encoderPool = Executors.newFixedThreadPool(n, r -> {
                Thread t = new Thread(r, "encoder-" + count.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return encoderPool;
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
}
