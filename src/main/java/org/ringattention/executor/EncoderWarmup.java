package org.ringattention.executor;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.ringattention.backend.Device;
import org.ringattention.gpu.Precision;
import org.ringattention.backend.EmbeddingBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Spark plugin that loads the CPU encoder and compiles its kernels in every executor as it starts,
 * while the driver is still planning and the first stages read and split the input. Without it the
 * first embedding task of each executor pays for both: about 0.7 s to read MiniLM and 1.4 s of one pass
 * run before the JIT has compiled the Vector API kernels, with every other task waiting on the load.
 * The warm-up encodes made-up token ids through the CPU encoder a task would open ({@link TaskBackends}:
 * the executor's {@code EncoderCache} entry and encoder pool) and throws the vectors away; it cannot change
 * any result (every pass is computed the same way, compiled or not).
 * A failure (a model directory that does not load) is logged and left to the first task to report.
 */
public final class EncoderWarmup implements SparkPlugin {

    /** The model the executors warm: empty for the bundled all-MiniLM-L6-v2, else a model directory. */
    public static final String MODEL = "spark.ringattention.warmup.model";

    private static final Logger LOG = LoggerFactory.getLogger(EncoderWarmup.class);

    /** Passes of made-up sentences: the first runs before the kernels are compiled, the others after. */
    private static final int PASSES = 3;
    private static final int SENTENCES = 50;
    private static final int TOKENS = 20;

    /** Adds this plugin to {@code conf}'s {@code spark.plugins} (keeping any there), warming {@code model}. */
    public static void register(SparkConf conf, String model) {
        String name = EncoderWarmup.class.getName();
        String plugins = conf.get("spark.plugins", "");
        if (!java.util.Arrays.asList(plugins.split(",")).contains(name)) {
            conf.set("spark.plugins", plugins.isEmpty() ? name : plugins + "," + name);
        }
        conf.set(MODEL, model == null ? "" : model);
    }

    @Override
    public DriverPlugin driverPlugin() {
        return null;
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new Warmer();
    }

    /** The executor side: one daemon thread per executor, started as the executor starts. */
    static final class Warmer implements ExecutorPlugin {

        private Thread thread;
        private volatile boolean warmed;

        @Override
        public void init(PluginContext ctx, Map<String, String> extraConf) {
            String model = ctx.conf().get(MODEL, "");
            thread = new Thread(() -> warmed = warm(model), "encoder-warmup");
            thread.setDaemon(true);
            thread.start();
        }

        /** Waits up to {@code millis} for the warm-up; whether it loaded the model and ran its passes. */
        boolean await(long millis) throws InterruptedException {
            thread.join(millis);
            return warmed;
        }
    }

    /** Loads {@code model} into this JVM's encoder cache and runs {@link #PASSES} passes; false if it failed. */
    static boolean warm(String model) {
        long start = System.nanoTime();
        try (EmbeddingBackend encoder = TaskBackends.openEncoder(Device.CPU, Precision.FP32, model, SENTENCES * TOKENS)) {
            for (int pass = 0; pass < PASSES; pass++) {
                int[][] ids = new int[SENTENCES][TOKENS];
                for (int s = 0; s < SENTENCES; s++) {
                    for (int k = 0; k < TOKENS; k++) {
                        // Ids from the start of a BERT vocabulary, present in any model that loads.
                        ids[s][k] = 1000 + (31 * s + 7 * k + pass) % 1000;
                    }
                }
                encoder.embed(ids);
            }
            LOG.info("encoder warmed in {} ms", (System.nanoTime() - start) / 1_000_000);
            return true;
        } catch (RuntimeException e) {
            LOG.warn("encoder warm-up failed ({}); the first task that embeds will load the model itself",
                    e.getClass().getName());
            return false;
        }
    }
}
