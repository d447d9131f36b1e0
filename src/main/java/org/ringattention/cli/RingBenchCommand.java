package org.ringattention.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.backend.Backend;
import org.ringattention.backend.BackendFactory;
import org.ringattention.backend.Device;
import org.ringattention.gpu.Precision;
import org.ringattention.ring.DocumentBlock;
import org.ringattention.ring.Layout;
import org.ringattention.ring.RingAttention;
import org.ringattention.ring.RingConfig;
import org.ringattention.ring.RingResult;
import org.ringattention.ring.RingStats;
import org.ringattention.ring.StepTimes;

/**
 * {@code jobs/ring-bench}: ring job wall time against the in-process kernel on the same work, in one
 * JVM so both are measured JIT-warm. For each mask, {@code --runs} rounds of: the kernel with as many
 * threads as the Spark master has cores, then the ring for each P and layout. One JSON line per
 * configuration with median times; ring efficiency = kernel time / ring job time, the median of the
 * per-round ratios, so that load from other processes hits both sides of each ratio alike.
 */
public final class RingBenchCommand extends Command {

    private static final List<String> VALUED = List.of("--seq", "--heads", "--dim", "--partitions", "--runs",
            "--master", "--cores", "--masks", "--layouts");
    private static final List<String> FLAGS = List.of("--ring-only");

    public static void main(String[] args) {
        System.exit(new RingBenchCommand().execute(args, System.out, System.err));
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/ring-bench [--seq S] [--heads H] [--dim D] [--partitions 2,4] [--runs R]"
                        + " [--master local[2]] [--cores 2] [--masks full,causal] [--layouts L1,L2] [--ring-only]",
                "",
                "Times ring attention on Spark against the single-process kernel (--cores threads) on seeded",
                "inputs, non-causal (contiguous layout) and causal (contiguous vs zigzag, or --layouts).",
                "Defaults: S=65536, H=4, D=64, P in 2,4, 3 runs, local[2]. Prints one JSON line per configuration",
                "(medians), with each ring step's wall time, fold time (busiest executor) and exposed communication",
                "(wall time not covered by the fold) from Spark's task metrics. --ring-only skips the kernel runs.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse(argv, VALUED, FLAGS);
        int s = a.intValue("--seq", 65536, 1);
        int h = a.intValue("--heads", 4, 1);
        int d = a.intValue("--dim", 64, 1);
        int runs = a.intValue("--runs", 3, 1);
        int cores = a.intValue("--cores", 2, 1);
        String master = a.get("--master") == null ? "local[" + cores + "]" : a.get("--master");
        int[] partitions = Arrays.stream((a.get("--partitions") == null ? "2,4" : a.get("--partitions")).split(","))
                .mapToInt(Integer::parseInt).toArray();

        int rows = 8192;
        int blockCount = (s + rows - 1) / rows;
        float[] q = new float[s * h * d];
        float[] k = new float[s * h * d];
        float[] v = new float[s * h * d];
        for (int b = 0; b < blockCount; b++) {
            DocumentBlock block = inputBlock(b, rows, s, h * d);
            System.arraycopy(block.q(), 0, q, block.offset() * h * d, block.q().length);
            System.arraycopy(block.k(), 0, k, block.offset() * h * d, block.k().length);
            System.arraycopy(block.v(), 0, v, block.offset() * h * d, block.v().length);
        }
        SplittableRandom random = new SplittableRandom(2310_01889L);
        List<String> masks = List.of((a.get("--masks") == null ? "full,causal" : a.get("--masks")).split(","));
        for (String mask : masks) {
            if (!mask.equals("full") && !mask.equals("causal")) {
                throw new IllegalArgumentException("--masks takes full and/or causal, got '" + mask + "'");
            }
        }
        boolean ringOnly = a.flag("--ring-only");
        List<Layout> layouts = a.get("--layouts") == null ? null
                : Arrays.stream(a.get("--layouts").split(",")).map(Layout::parse).toList();
        SparkConf conf = new SparkConf().setAppName("ring-bench").setMaster(master)
                .set("spark.ui.showConsoleProgress", "false").set("spark.log.level", "WARN");
        StepTimes times = new StepTimes(master.startsWith("local[") ? cores : 1);
        try (JavaSparkContext context = new JavaSparkContext(conf)) {
            context.sc().addSparkListener(times);
            // Generated on the executors and cached, as if read from files: a parallelized list would
            // travel inside every task that reads it and bill the ring for the driver's data.
            List<Integer> indexes = java.util.stream.IntStream.range(0, blockCount).boxed().toList();
            JavaRDD<DocumentBlock> input = context.parallelize(indexes, blockCount)
                    .map(b -> inputBlock(b, rows, s, h * d)).cache();
            input.count();
            for (String mask : masks) {
                boolean causal = mask.equals("causal");
                AttentionSpec spec = AttentionSpec.of(h, h, d, causal);
                warmUp(context, spec, random, partitions[0]);
                List<RingConfig> configs = new ArrayList<>();
                for (int p : partitions) {
                    for (Layout layout : layouts != null ? layouts
                            : causal ? List.of(Layout.CONTIGUOUS, Layout.ZIGZAG) : List.of(Layout.CONTIGUOUS)) {
                        configs.add(RingConfig.of(p).withLayout(layout));
                    }
                }
                // Rounds of (kernel, every ring configuration): on a shared machine each ring run is
                // compared with the kernel run next to it, under about the same load.
                double[] kernel = new double[runs];
                double[][] ring = new double[configs.size()][runs];
                double[][] exposed = new double[configs.size()][runs];
                RingStats[] stats = new RingStats[configs.size()];
                List<List<StepTimes.Step>> lastSteps = new ArrayList<>();
                configs.forEach(c -> lastSteps.add(List.of()));
                TokenIndex index = TokenIndex.contiguous(0, s, null);
                try (Backend cpu = BackendFactory.open(Device.CPU, Precision.FP32, CpuAttentionKernel.DEFAULT_BLOCK_SIZE, cores, err::println)) {
                    for (int r = 0; r < runs; r++) {
                        if (!ringOnly) {
                            long start = System.nanoTime();
                            cpu.attention().attend(spec, new Queries(q, index), new KeysValues(k, v, index));
                            kernel[r] = (System.nanoTime() - start) / 1e9;
                            err.printf(Locale.ROOT, "ring-bench: kernel %s round %d/%d %.3f s%n",
                                    causal ? "causal" : "full", r + 1, runs, kernel[r]);
                        }
                        for (int c = 0; c < configs.size(); c++) {
                            times.clear();
                            try (RingResult result = new RingAttention(context, spec, configs.get(c)).run(input)) {
                                stats[c] = result.stats();
                            }
                            ring[c][r] = stats[c].seconds();
                            List<StepTimes.Step> steps = times.steps();
                            lastSteps.set(c, steps);
                            exposed[c][r] = exposedShare(steps);
                            err.println("ring-bench: round " + (r + 1) + " " + stats[c].summary());
                            for (StepTimes.Step step : steps) {
                                err.printf(Locale.ROOT, "ring-bench:   step %d/%d wall %.3f s, fold %.3f s,"
                                                + " exposed %.3f s (its fetch wait %.3f s, longest shuffle write %.3f s)%n",
                                        step.step(), step.steps(), step.wallMillis() / 1e3, step.foldMillis() / 1e3,
                                        step.exposedMillis() / 1e3, step.fetchWaitMillis() / 1e3,
                                        step.shuffleWriteMillis() / 1e3);
                            }
                        }
                    }
                }
                double kernelMedian = Workload.median(kernel);
                if (!ringOnly) {
                    out.println(String.format(Locale.ROOT,
                        "{\"what\":\"kernel\",\"seq\":%d,\"heads\":%d,\"dim\":%d,\"causal\":%b,\"threads\":%d,"
                                + "\"seconds\":%.3f,\"runs\":%s,\"gflops\":%.1f}",
                        s, h, d, causal, cores, kernelMedian, Arrays.toString(kernel), spec.flops(s) / kernelMedian / 1e9));
                }
                for (int c = 0; c < configs.size(); c++) {
                    double[] paired = new double[runs];
                    for (int r = 0; r < runs; r++) {
                        paired[r] = kernel[r] / ring[c][r];
                    }
                    double median = Workload.median(ring[c]);
                    int p = configs.get(c).partitions();
                    out.println(String.format(Locale.ROOT,
                            "{\"what\":\"ring\",\"seq\":%d,\"heads\":%d,\"dim\":%d,\"causal\":%b,\"master\":\"%s\","
                                    + "\"partitions\":%d,\"layout\":\"%s\",\"seconds\":%.3f,\"runs\":%s,"
                                    + "\"efficiency\":%.3f,\"paired_efficiencies\":%s,\"gflops\":%.1f,"
                                    + "\"bytes_per_step\":%d,\"scatter_bytes\":%d,\"busiest_over_mean\":%.3f,"
                                    + "\"exposed_share\":%.3f,\"exposed_shares\":%s,\"last_round_steps\":%s}",
                            s, h, d, causal, master, p, configs.get(c).layout(), median, Arrays.toString(ring[c]),
                            ringOnly ? Double.NaN : Workload.median(paired), Arrays.toString(paired),
                            spec.flops(s) / median / 1e9, p > 1 ? stats[c].ringBytes() / (p - 1) : 0,
                            stats[c].scatterBytes(), stats[c].imbalance(), Workload.median(exposed[c]),
                            Arrays.toString(exposed[c]), stepsJson(lastSteps.get(c))));
                }
            }
        }
        return OK;
    }

    /** Exposed communication over wall time, summed over a job's ring steps. */
    private static double exposedShare(List<StepTimes.Step> steps) {
        long wall = steps.stream().mapToLong(StepTimes.Step::wallMillis).sum();
        return wall == 0 ? 0 : steps.stream().mapToLong(StepTimes.Step::exposedMillis).sum() / (double) wall;
    }

    private static String stepsJson(List<StepTimes.Step> steps) {
        return steps.stream().map(t -> String.format(Locale.ROOT,
                "{\"step\":%d,\"wall_s\":%.3f,\"fold_s\":%.3f,\"exposed_s\":%.3f,\"fetch_wait_s\":%.3f,"
                        + "\"shuffle_write_s\":%.3f}", t.step(), t.wallMillis() / 1e3, t.foldMillis() / 1e3,
                t.exposedMillis() / 1e3, t.fetchWaitMillis() / 1e3, t.shuffleWriteMillis() / 1e3))
                .collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }

    /** Block {@code b} of the seeded input: rows {@code [b rows, (b + 1) rows)}, its own seed. */
    private static DocumentBlock inputBlock(int b, int rows, int s, int width) {
        SplittableRandom random = new SplittableRandom(2310_01889L + b);
        int n = Math.min(s, (b + 1) * rows) - b * rows;
        return new DocumentBlock("bench", b * rows, Workload.gaussian(random, n * width),
                Workload.gaussian(random, n * width), Workload.gaussian(random, n * width), null);
    }

    /** Compiles the ring's and the kernel's code paths on a small problem before anything is timed. */
    private static void warmUp(JavaSparkContext context, AttentionSpec spec, SplittableRandom random, int p) {
        int s = 2048;
        int w = spec.queryRowWidth();
        DocumentBlock block = new DocumentBlock("warm-up", 0, Workload.gaussian(random, s * w),
                Workload.gaussian(random, s * w), Workload.gaussian(random, s * w), null);
        for (int i = 0; i < 3; i++) {
            new RingAttention(context, spec, RingConfig.of(p)).run(context.parallelize(List.of(block), 1)).close();
            try (Backend kernel = BackendFactory.open(Device.CPU, Precision.FP32, CpuAttentionKernel.DEFAULT_BLOCK_SIZE, 1, m -> { })) {
                new Workload(spec, s, i).run(kernel.attention());
            }
        }
    }
}
