package org.ringattention.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.gpu.CudaFailure;

/**
 * A {@link GpuDriver} without a GPU: each "GPU" computes on the CPU kernel and records what it was asked
 * for. It tests plumbing only (which ordinal a task opens, how often, the fallback, the self-check, a GPU
 * that fails at any call site); the real kernels' arithmetic is checked by running their source on the
 * CPU and on hardware. With the system property {@value #LOG_PROPERTY} set to
 * a file, executors append {@code open <pid> <ordinal>} when a GPU is opened and
 * {@code task <pid> <ordinal> <Spark's gpu addresses>} when a task opens a backend.
 */
public class StandInGpuDriver implements GpuDriver {

    static final String LOG_PROPERTY = "ringattention.test.standInLog";

    /** Ordinals opened through this instance, in order. */
    final List<Integer> opened = new ArrayList<>();

    /** Added to every output value: nonzero makes the stand-in a GPU whose kernels are wrong. */
    float error() {
        return 0f;
    }

    /**
     * The call site that fails with a sticky CUDA error (illegal address), or null for none: {@code open},
     * {@code openBackend}, {@code accumulate}, {@code attentionMass}, {@code openEncoder}, {@code embed},
     * {@code close}. The kernel and encoder calls fail after their self-check passed, as a GPU that broke
     * mid-run; {@code accumulate} first updates half the state, as a kernel killed between two blocks leaves it.
     */
    String failingCall() {
        return null;
    }

    /** Every call site {@link #failingCall} can name. */
    static final List<String> CALL_SITES = List.of("open", "openBackend", "accumulate", "attentionMass", "openEncoder",
            "embed", "close");

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
        return new Gpu() {
            @Override
            public String description() {
                return "stand-in gpu " + ordinal;
            }

            @Override
            public EmbeddingBackend openEncoder(String model) {
                reach("openEncoder");
                record("encoder " + pid() + " " + ordinal + " " + sparkAddresses());
                EmbeddingBackend cpu = CpuEncoder.open(model, 256, CpuEncoder.threads(1));
                float error = error();
                int[] calls = {0};
                return new EmbeddingBackend() {
                    @Override
                    public int dimension() {
                        return cpu.dimension();
                    }

                    @Override
                    public int maxPositions() {
                        return cpu.maxPositions();
                    }

                    @Override
                    public float[] embed(int[][] ids) {
                        if (++calls[0] > 1) {
                            // The first call is the self-check.
                            reach("embed");
                        }
                        float[] e = cpu.embed(ids);
                        for (int i = 0; i < e.length; i++) {
                            e[i] += error;
                        }
                        return e;
                    }

                    @Override
                    public String description() {
                        return "stand-in gpu " + ordinal;
                    }

                    @Override
                    public void close() {
                        reach("close");
                        cpu.close();
                    }
                };
            }

            @Override
            public Backend openBackend() {
                reach("openBackend");
                record("task " + pid() + " " + ordinal + " " + sparkAddresses());
                return new StandInBackend(StandInGpuDriver.this, true, new CpuBackend(16, 1), "stand-in gpu " + ordinal,
                        error());
            }

            @Override
            public Backend openBackend(int keysPerChunk) {
                reach("openBackend");
                return new StandInBackend(StandInGpuDriver.this, false, new CpuBackend(16, 1), "stand-in gpu " + ordinal,
                        error());
            }
        };
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

    /** The CPU backend under another name, its outputs shifted by {@code error}. */
    private static final class StandInBackend implements Backend {
        private final StandInGpuDriver driver;
        /** False for the self-check's kernels, whose calls pass: the GPU breaks later. */
        private final boolean mayFail;
        private final Backend cpu;
        private final String description;
        private final float error;
        private final AttentionKernel attention;

        StandInBackend(StandInGpuDriver driver, boolean mayFail, Backend cpu, String description, float error) {
            this.driver = driver;
            this.mayFail = mayFail;
            this.cpu = cpu;
            this.description = description;
            this.error = error;
            this.attention = new AttentionKernel() {
                @Override
                public void accumulate(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState s) {
                    if (mayFail && "accumulate".equals(driver.failingCall())) {
                        // Half the state updated, then the failure: the caller must not keep any of it.
                        java.util.Arrays.fill(s.acc(), 0, s.acc().length / 2, 1e6f);
                        driver.reach("accumulate");
                    }
                    cpu.attention().accumulate(spec, queries, keysValues, s);
                    // acc is (rows, Hq, D) and unnormalized (O = acc / l), l is (Hq, rows): O moves by error.
                    int width = spec.queryRowWidth();
                    for (int i = 0; i < s.acc().length; i++) {
                        int row = i / width;
                        int h = i % width / spec.headDim();
                        s.acc()[i] += error * s.l()[h * s.rows() + row];
                    }
                }

                @Override
                public String name() {
                    return "stand-in";
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
            float[] mass = cpu.attentionMass(spec, queries, lse, keysValues);
            for (int i = 0; i < mass.length; i++) {
                mass[i] += error;
            }
            return mass;
        }

        @Override
        public String description() {
            return description;
        }

        @Override
        public void close() {
            if (mayFail) {
                driver.reach("close");
            }
            cpu.close();
        }
    }
}
