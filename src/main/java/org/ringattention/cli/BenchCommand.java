package org.ringattention.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.backend.Backend;
import org.ringattention.backend.BackendFactory;
import org.ringattention.backend.Device;
import org.ringattention.gpu.Precision;

/**
 * {@code jobs/bench}: kernel throughput after warm-up, one JSON line. The kernel is warmed on a
 * problem of at most 4096 tokens (same code paths, so the JIT has compiled them), then timed
 * {@code --runs} times on the requested size; the median is reported.
 */
public final class BenchCommand extends Command {

    private static final List<String> VALUED = List.of("--seq", "--heads", "--kv-heads", "--dim", "--threads",
            "--block-size", "--runs", "--device", "--precision");
    private static final List<String> FLAGS = List.of("--causal");

    public static void main(String[] args) {
        System.exit(new BenchCommand().execute(args, System.out, System.err));
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/bench --seq S --heads HQ --dim D [--kv-heads HKV] [--causal] [--threads N]"
                        + " [--block-size B] [--runs R] [--device cpu|gpu|auto] [--precision fp32|bf16]",
                "",
                "Times the attention kernel on seeded random inputs and prints one JSON line:",
                "  {\"seq\":S,\"heads\":HQ,\"kv_heads\":HKV,\"dim\":D,\"causal\":..,\"seconds\":median,\"gflops\":..,...}",
                "FLOPs = 4 S^2 D HQ, half when causal. Defaults: HKV = HQ, all cores, 3 timed runs, --device cpu.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse(argv, VALUED, FLAGS);
        int s = a.requiredInt("--seq", 1);
        int hq = a.requiredInt("--heads", 1);
        int d = a.requiredInt("--dim", 1);
        int hkv = a.intValue("--kv-heads", hq, 1);
        int threads = a.intValue("--threads", Runtime.getRuntime().availableProcessors(), 1);
        int blockSize = a.intValue("--block-size", CpuAttentionKernel.DEFAULT_BLOCK_SIZE, 1);
        int runs = a.intValue("--runs", 3, 1);
        boolean causal = a.flag("--causal");
        AttentionSpec spec = AttentionSpec.of(hq, hkv, d, causal);

        try (Backend backend = BackendFactory.open(Device.parse(a.get("--device")), Precision.parse(a.get("--precision")),
                blockSize, threads, err::println)) {
            AttentionKernel kernel = backend.attention();
            Workload warm = new Workload(spec, Math.min(s, 4096), 1);
            long warmUntil = System.nanoTime() + 2_000_000_000L;
            int warmRuns = 0;
            while (warmRuns < 3 || System.nanoTime() < warmUntil) {
                warm.run(kernel);
                warmRuns++;
            }
            Workload work = new Workload(spec, s, 2);
            double[] seconds = new double[runs];
            for (int r = 0; r < runs; r++) {
                seconds[r] = work.run(kernel);
                err.printf(Locale.ROOT, "bench: run %d/%d %.3f s%n", r + 1, runs, seconds[r]);
            }
            double median = Workload.median(seconds);
            out.println(String.format(Locale.ROOT,
                    "{\"seq\":%d,\"heads\":%d,\"kv_heads\":%d,\"dim\":%d,\"causal\":%b,\"seconds\":%.6f,"
                            + "\"gflops\":%.2f,\"kernel\":\"%s\",\"threads\":%d,\"block_size\":%d,\"runs\":%d}",
                    s, hq, hkv, d, causal, median, spec.flops(s) / median / 1e9,
                    kernel.name(), threads, blockSize, runs));
        }
        return OK;
    }
}
