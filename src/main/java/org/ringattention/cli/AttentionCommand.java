package org.ringattention.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.backend.Backend;
import org.ringattention.backend.BackendFactory;
import org.ringattention.backend.Device;
import org.ringattention.backend.Placement;
import org.ringattention.gpu.Precision;
import org.ringattention.io.BadInputException;
import org.ringattention.io.Npy;
import org.ringattention.io.NpyArray;

/** {@code jobs/attention}: exact attention over {@code .npy} files on this machine. */
public final class AttentionCommand extends Command {

    private static final List<String> VALUED = Stream.concat(Stream.of("--q", "--k", "--v", "--out",
            "--lse", "--segments", "--scale", "--block-size", "--threads", "--device", "--precision"),
            RingOptions.VALUED.stream())
            .toList();
    private static final List<String> FLAGS = Stream.concat(Stream.of("--causal", "--demo"),
            RingOptions.FLAGS.stream()).toList();

    public static void main(String[] args) {
        System.exit(new AttentionCommand().execute(args, System.out, System.err));
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/attention --q Q.npy --k K.npy --v V.npy --out O.npy [options]",
                "       jobs/attention --demo",
                "",
                "Exact attention O = softmax(scale * Q K^T + mask) V, computed blockwise (nothing S x S is stored).",
                "  Q (S, Hq, D) and K, V (S, Hkv, D): little-endian float32 .npy in C order; Hq a multiple of Hkv.",
                "",
                "  --out O.npy         output (S, Hq, D) float32",
                "  --lse LSE.npy       also write the log-sum-exp of the scaled logits, (Hq, S) float32",
                "  --causal            token i attends to tokens j <= i only",
                "  --segments SEG.npy  document id per token, int32 or int64 (S,): attend within a document only",
                "  --scale X           logit scale (default 1/sqrt(D))",
                "  --block-size B      tile edge in tokens (default " + CpuAttentionKernel.DEFAULT_BLOCK_SIZE + ")",
                "  --threads N         CPU threads (default: all cores)",
                "  --device D          cpu, gpu (fails unless a working NVIDIA GPU is present) or auto (the GPU if it"
                        + " works, else the CPU); default cpu",
                "  --precision P       the GPU kernels' inputs: fp32 (default) or bf16 (tensor cores at D 64 and 128,"
                        + " fp32 state; BENCHMARKS.md has its error); the CPU computes in fp32",
                "  --demo              generate a seeded sample (3 packed documents, causal) in target/demo and run on it",
                String.join("\n", RingOptions.USAGE),
                "",
                "Outputs appear complete or not at all. Exit status: 0 done, 2 bad input, 1 other failure.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = Args.parse(argv, VALUED, FLAGS);
        if (a.flag("--demo")) {
            return runDemo(a, out, err);
        }
        Path qPath = Path.of(a.required("--q"));
        Path kPath = Path.of(a.required("--k"));
        Path vPath = Path.of(a.required("--v"));
        Path oPath = Path.of(a.required("--out"));
        Path lsePath = a.get("--lse") == null ? null : Path.of(a.get("--lse"));
        checkWritable(oPath, "--out");
        if (lsePath != null) {
            checkWritable(lsePath, "--lse");
        }
        int blockSize = a.intValue("--block-size", CpuAttentionKernel.DEFAULT_BLOCK_SIZE, 1);
        boolean ring = RingOptions.requested(a);
        int threads = a.intValue("--threads", ring ? 1 : Runtime.getRuntime().availableProcessors(), 1);
        Device device = Device.parse(a.get("--device"));
        Precision precision = Precision.parse(a.get("--precision"));
        Placement.checkPrecision(device, precision);
        if (ring) {
            return compute(a, null, blockSize, threads, qPath, kPath, vPath, oPath, lsePath, err);
        }
        try (Backend backend = BackendFactory.open(device, precision, blockSize, threads, err::println)) {
            return compute(a, backend.attention(), blockSize, threads, qPath, kPath, vPath, oPath, lsePath, err);
        }
    }

    /** Reads, checks and computes; {@code kernel == null} runs the ring over Spark ({@code --partitions}). */
    private int compute(Args a, AttentionKernel kernel, int blockSize, int threads, Path qPath, Path kPath,
                        Path vPath, Path oPath, Path lsePath, PrintStream err) throws IOException {
        NpyArray q = Npy.readFloat32(qPath, "Q (" + qPath + ")");
        NpyArray k = Npy.readFloat32(kPath, "K (" + kPath + ")");
        NpyArray v = Npy.readFloat32(vPath, "V (" + vPath + ")");
        int[] segments = a.get("--segments") == null ? null
                : Npy.readIds(Path.of(a.get("--segments")), "segments (" + a.get("--segments") + ")");
        AttentionSpec spec = specFor(q, k, v, segments, a.flag("--causal"), a.positiveFloat("--scale"));
        int s = q.dim(0);
        requireFinite(q, "Q");
        requireFinite(k, "K");
        requireFinite(v, "V");

        long start = System.nanoTime();
        AttentionResult result;
        String kernelName;
        if (kernel == null) {
            kernelName = "ring of " + a.get("--partitions") + " Spark tasks,";
            result = RingOptions.attend(a, spec, q, k, v, segments, blockSize, threads, err);
        } else {
            kernelName = kernel.name();
            result = kernel.attend(spec,
                    new Queries(q.data(), TokenIndex.contiguous(0, s, segments)),
                    new KeysValues(k.data(), v.data(), TokenIndex.contiguous(0, s, segments)));
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        writePair(oPath, result.out(), new int[] {s, spec.queryHeads(), spec.headDim()},
                lsePath, result.lse(), new int[] {spec.queryHeads(), s});
        err.println(String.format(Locale.ROOT,
                "attention: %d tokens, Hq=%d Hkv=%d D=%d%s%s, %s x%d threads, %.3f s, %.1f GFLOP/s -> %s%s",
                s, spec.queryHeads(), spec.kvHeads(), spec.headDim(), spec.causal() ? ", causal" : "",
                segments != null ? ", segments" : "", kernelName, threads, seconds,
                spec.flops(s) / seconds / 1e9,
                oPath, lsePath == null ? "" : ", " + lsePath));
        return OK;
    }

    /**
     * Writes O (and LSE, when asked) so that existing files are replaced only once both new ones are
     * complete: each is written in full under a hidden name beside its target, then both are renamed in.
     * A failure before the renames leaves the previous pair as it was and no partial file behind.
     */
    static void writePair(Path oPath, float[] out, int[] oShape, Path lsePath, float[] lse, int[] lseShape)
            throws IOException {
        Path oNew = oPath.resolveSibling("." + oPath.getFileName() + ".new");
        Path lseNew = lsePath == null ? null : lsePath.resolveSibling("." + lsePath.getFileName() + ".new");
        try {
            Npy.writeFloat32(oNew, out, oShape);
            if (lsePath != null) {
                Npy.writeFloat32(lseNew, lse, lseShape);
            }
            Files.move(oNew, oPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (lsePath != null) {
                Files.move(lseNew, lsePath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(oNew);
            if (lseNew != null) {
                Files.deleteIfExists(lseNew);
            }
        }
    }

    /** Checks that the .npy inputs describe one attention problem, naming the first disagreement. */
    static AttentionSpec specFor(NpyArray q, NpyArray k, NpyArray v, int[] segments, boolean causal, Float scale) {
        requireRank3(q, "Q", "(S, Hq, D)");
        requireRank3(k, "K", "(S, Hkv, D)");
        requireRank3(v, "V", "(S, Hkv, D)");
        int s = q.dim(0);
        if (s == 0) {
            throw new BadInputException("Q has an empty sequence (S = 0); give at least one token");
        }
        if (!java.util.Arrays.equals(k.shape(), v.shape())) {
            throw new BadInputException("K has shape " + k.shapeText() + " but V has " + v.shapeText() + "; they must match");
        }
        if (k.dim(0) != s) {
            throw new BadInputException("K and V have " + k.dim(0) + " tokens but Q has " + s
                    + "; Q, K and V must have the same sequence length");
        }
        if (k.dim(2) != q.dim(2)) {
            throw new BadInputException("K and V have head dimension " + k.dim(2) + " but Q has " + q.dim(2) + "; they must match");
        }
        if (q.dim(1) == 0 || k.dim(1) == 0 || q.dim(2) == 0) {
            throw new BadInputException("Q " + q.shapeText() + " and K " + k.shapeText() + " must have at least one head of dimension >= 1");
        }
        if (q.dim(1) % k.dim(1) != 0) {
            throw new BadInputException("K and V have " + k.dim(1) + " heads; Q's " + q.dim(1)
                    + " heads must be a multiple of it");
        }
        if (segments != null && segments.length != s) {
            throw new BadInputException("segments has " + segments.length + " ids but Q has " + s + " tokens; give one id per token");
        }
        return scale == null ? AttentionSpec.of(q.dim(1), k.dim(1), q.dim(2), causal)
                : new AttentionSpec(q.dim(1), k.dim(1), q.dim(2), scale, causal);
    }

    private static void requireRank3(NpyArray a, String name, String layout) {
        if (a.rank() != 3) {
            throw new BadInputException(name + " has shape " + a.shapeText() + "; it must be " + layout);
        }
    }

    static void requireFinite(NpyArray a, String name) {
        float[] x = a.data();
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                int row = i / (a.dim(1) * a.dim(2));
                throw new BadInputException(name + " holds " + x[i] + " at token " + row
                        + "; inputs must be finite");
            }
        }
    }

    /** Writes a seeded sample (3 packed documents) to target/demo and runs causal attention with segments on it. */
    private int runDemo(Args a, PrintStream out, PrintStream err) throws IOException {
        Path dir = Path.of("target", "demo");
        Files.createDirectories(dir);
        int s = 4096;
        int hq = 8;
        int hkv = 2;
        int d = 64;
        SplittableRandom random = new SplittableRandom(2305_19370L);
        Npy.writeFloat32(dir.resolve("q.npy"), Workload.gaussian(random, s * hq * d), s, hq, d);
        Npy.writeFloat32(dir.resolve("k.npy"), Workload.gaussian(random, s * hkv * d), s, hkv, d);
        Npy.writeFloat32(dir.resolve("v.npy"), Workload.gaussian(random, s * hkv * d), s, hkv, d);
        int[] segments = new int[s];
        for (int i = 0; i < s; i++) {
            segments[i] = i < 1500 ? 0 : i < 3200 ? 1 : 2;
        }
        Npy.writeInt32(dir.resolve("segments.npy"), segments);
        err.println("demo: wrote a " + s + "-token sample of 3 documents to " + dir);
        String[] args = {"--q", dir.resolve("q.npy").toString(), "--k", dir.resolve("k.npy").toString(),
            "--v", dir.resolve("v.npy").toString(), "--segments", dir.resolve("segments.npy").toString(),
            "--out", dir.resolve("o.npy").toString(), "--lse", dir.resolve("lse.npy").toString(), "--causal",
            "--threads", String.valueOf(a.intValue("--threads", Runtime.getRuntime().availableProcessors(), 1)),
            "--device", Device.parse(a.get("--device")).label()};
        return run(args, out, err);
    }
}
