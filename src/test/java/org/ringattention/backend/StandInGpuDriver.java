package org.ringattention.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.HeldState;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.gpu.CudaFailure;
import org.ringattention.gpu.GpuAttentionKernel;
import org.ringattention.gpu.GpuRuntime;
import org.ringattention.gpu.GpuSentenceEncoder;
import org.ringattention.gpu.Precision;
import org.ringattention.gpu.SimulatedCuda;
import org.ringattention.model.BertCheckpoint;
import org.ringattention.model.BertWeights;

/**
 * A {@link GpuDriver} without a GPU: each "GPU" is a {@link SimulatedCuda} device, on which the production
 * host code ({@link GpuAttentionKernel}, {@link GpuSentenceEncoder}) runs with kernels computed on the CPU,
 * and which counts what crosses the bus ({@link #cuda}). It tests the device choice (which ordinal a task
 * opens, how often, the fallback, the self-check, a GPU that fails at any call site) and the host path's
 * traffic; the real kernels' arithmetic is checked by running their source on the CPU
 * (KernelEmulationTest) and on hardware. With the system property {@value #LOG_PROPERTY} set to a file,
 * executors append {@code open <pid> <ordinal>} when a GPU is opened and
 * {@code fold <pid> <ordinal> <Spark's gpu addresses>} for every attention call of a task ({@code embed} for
 * every encoder call but the self-check).
 */
public class StandInGpuDriver implements GpuDriver {

    static final String LOG_PROPERTY = "ringattention.test.standInLog";

    /** Tokens per encoder pass of the stand-in's encoders: small, so that tests cross pass boundaries. */
    static final int PASS_TOKENS = 256;

    /** Ordinals opened through this instance, in order. */
    final List<Integer> opened = new ArrayList<>();

    private final Map<Integer, SimulatedCuda> devices = new HashMap<>();
    private final Map<String, GpuSentenceEncoder.Weights> weights = new HashMap<>();

    /** Added to every output value: nonzero makes the stand-in a GPU whose kernels are wrong. */
    float error() {
        return 0f;
    }

    /**
     * The call site that fails with a sticky CUDA error (illegal address), or null for none: {@code open},
     * {@code openBackend}, {@code accumulate}, {@code attentionMass}, {@code openEncoder}, {@code embed}.
     * The kernel and encoder calls fail after their self-check passed, as a GPU that broke mid-run;
     * {@code accumulate} first updates half the state, as a kernel killed between two blocks leaves it.
     */
    String failingCall() {
        return null;
    }

    /** Every call site {@link #failingCall} can name. */
    static final List<String> CALL_SITES = List.of("open", "openBackend", "accumulate", "attentionMass", "openEncoder",
            "embed");

    /** The simulated device behind GPU {@code ordinal} (opened already), with its counters. */
    public synchronized SimulatedCuda cuda(int ordinal) {
        return devices.get(ordinal);
    }

    private void reach(String call) {
        if (call.equals(failingCall())) {
            throw new CudaFailure(700, "stand-in " + call);
        }
    }

    @Override
    public synchronized Gpu open(int ordinal) {
        reach("open");
        opened.add(ordinal);
        record("open " + pid() + " " + ordinal);
        SimulatedCuda cuda = devices.computeIfAbsent(ordinal, o -> new SimulatedCuda());
        GpuRuntime.Device device = SimulatedCuda.device(ordinal, cuda);
        String description = "stand-in gpu " + ordinal;
        return new Gpu() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public EmbeddingBackend openEncoder(String model, Precision precision) {
                reach("openEncoder");
                GpuSentenceEncoder encoder = GpuSentenceEncoder.open(weights(device, model, precision), PASS_TOKENS);
                float error = error();
                int[] calls = {0};
                return new EmbeddingBackend() {
                    @Override
                    public int dimension() {
                        return encoder.dimension();
                    }

                    @Override
                    public int maxPositions() {
                        return encoder.maxPositions();
                    }

                    @Override
                    public float[] embed(int[][] ids) {
                        if (++calls[0] > 1) {
                            // The first call is the self-check.
                            reach("embed");
                            record("embed " + pid() + " " + ordinal + " " + sparkAddresses());
                        }
                        float[] e = encoder.embed(ids);
                        for (int i = 0; i < e.length; i++) {
                            e[i] += error;
                        }
                        return e;
                    }

                    @Override
                    public String description() {
                        return description;
                    }

                    @Override
                    public void close() {
                        encoder.close();
                    }
                };
            }

            @Override
            public Backend openBackend(Precision precision) {
                reach("openBackend");
                return new StandInBackend(StandInGpuDriver.this, true,
                        new CudaBackend(GpuAttentionKernel.open(device, precision), description), ordinal, error());
            }

            @Override
            public Backend openBackend(Precision precision, int keysPerChunk) {
                reach("openBackend");
                return new StandInBackend(StandInGpuDriver.this, false,
                        new CudaBackend(GpuAttentionKernel.open(device, precision, keysPerChunk), description), ordinal,
                        error());
            }
        };
    }

    private synchronized GpuSentenceEncoder.Weights weights(GpuRuntime.Device device, String model, Precision precision) {
        return weights.computeIfAbsent(device.ordinal() + "/" + precision + "/" + model, key -> {
            BertWeights w = model.isEmpty() ? BertCheckpoint.bundledMiniLm() : BertCheckpoint.load(Path.of(model));
            return GpuSentenceEncoder.Weights.upload(device, w, precision);
        });
    }

    private static String pid() {
        return ManagementFactory.getRuntimeMXBean().getName();
    }

    private static String sparkAddresses() {
        TaskContext task = TaskContext.get();
        if (task == null) {
            return "-";
        }
        ResourceInformation gpu = task.resourcesJMap().get("gpu");
        return gpu == null ? "-" : String.join(",", gpu.addresses());
    }

    private static void record(String line) {
        String file = System.getProperty(LOG_PROPERTY);
        if (file == null) {
            return;
        }
        try {
            Files.writeString(Path.of(file), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The GPU backend on the simulated device, its outputs shifted by {@code error}, its calls recorded. */
    private static final class StandInBackend implements Backend {
        private final StandInGpuDriver driver;
        /** False for the self-check's kernels, whose calls pass: the GPU breaks later. */
        private final boolean mayFail;
        private final Backend gpu;
        private final float error;
        private final AttentionKernel attention;

        StandInBackend(StandInGpuDriver driver, boolean mayFail, Backend gpu, int ordinal, float error) {
            this.driver = driver;
            this.mayFail = mayFail;
            this.gpu = gpu;
            this.error = error;
            AttentionKernel kernel = gpu.attention();
            this.attention = new AttentionKernel() {
                @Override
                public void accumulate(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState s) {
                    fold();
                    if (mayFail && "accumulate".equals(driver.failingCall())) {
                        // Half the state updated, then the failure: the caller must not keep any of it.
                        java.util.Arrays.fill(s.acc(), 0, s.acc().length / 2, 1e6f);
                        driver.reach("accumulate");
                    }
                    kernel.accumulate(spec, queries, keysValues, s);
                    // acc is (rows, Hq, D) and unnormalized (O = acc / l), l is (Hq, rows): O moves by error.
                    int width = spec.queryRowWidth();
                    for (int i = 0; i < s.acc().length; i++) {
                        int row = i / width;
                        int h = i % width / spec.headDim();
                        s.acc()[i] += error * s.l()[h * s.rows() + row];
                    }
                }

                @Override
                public HeldState hold(AttentionSpec spec, Queries queries, AttentionState s) {
                    return kernel.hold(spec, queries, s);
                }

                @Override
                public boolean continues(HeldState held) {
                    return kernel.continues(held);
                }

                @Override
                public void accumulate(HeldState held, KeysValues keysValues) {
                    fold();
                    if (mayFail) {
                        driver.reach("accumulate");
                    }
                    kernel.accumulate(held, keysValues);
                }

                @Override
                public AttentionState state(HeldState held) {
                    return kernel.state(held);
                }

                @Override
                public String name() {
                    return "stand-in";
                }

                private void fold() {
                    if (mayFail) {
                        record("fold " + pid() + " " + ordinal + " " + sparkAddresses());
                    }
                }
            };
        }

        @Override
        public AttentionKernel attention() {
            return attention;
        }

        @Override
        public float[] attentionMass(AttentionSpec spec, Queries queries, float[] lse, KeysValues keysValues) {
            if (mayFail) {
                driver.reach("attentionMass");
            }
            float[] mass = gpu.attentionMass(spec, queries, lse, keysValues);
            for (int i = 0; i < mass.length; i++) {
                mass[i] += error;
            }
            return mass;
        }

        @Override
        public String description() {
            return gpu.description();
        }

        @Override
        public void close() {
            gpu.close();
        }
    }
}
