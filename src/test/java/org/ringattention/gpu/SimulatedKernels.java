package org.ringattention.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The kernels of src/main/cuda as Java functions over {@link SimulatedCuda}'s memory: what each computes,
 * from the math (attention and its running state in double, then rounded; the encoder's dense steps in
 * float as the CPU encoder), not how. They let the host code run end to end without a GPU; the kernels'
 * own arithmetic is checked against float64 by {@code KernelEmulationTest}.
 *
 * <p>The attention kernels also check what they are handed: the query and key tile bounds must be those
 * of the positions and segments in memory for the kernel's tile edges ({@link LaunchShape}), so a bound
 * computed with the wrong tile or left stale fails here.
 */
final class SimulatedKernels {

    private SimulatedKernels() {
    }

    /** One kernel: runs a whole launch. */
    @FunctionalInterface
    interface Kernel {
        void run(SimulatedCuda device, String name, int gridX, int gridY, KernelArgs args);
    }

    private static final double LOG2E = 1.4426950408889634;
    private static final int CAUSAL = 1;
    private static final int SEGMENTS = 2;
    private static final int LOAD_STATE = 4;
    private static final int FINISH = 8;

    static Kernel find(String name) {
        if (name.startsWith("ra_fwd_")) {
            return SimulatedKernels::attention;
        }
        if (name.startsWith("ra_mass_f32_d")) {
            return SimulatedKernels::mass;
        }
        return switch (name) {
            case "ra_tile_bounds" -> SimulatedKernels::tileBounds;
            case "ra_f32_to_bf16" -> SimulatedKernels::toBf16;
            case "re_embed" -> SimulatedKernels::embed;
            case "re_layernorm" -> SimulatedKernels::layerNorm;
            case "re_gemm_f32", "re_gemm_bf16" -> SimulatedKernels::gemm;
            case "re_pool" -> SimulatedKernels::pool;
            default -> throw new AssertionError("no kernel " + name + " in the fatbin");
        };
    }

    /** bf16 bits of {@code x}, rounded to nearest even (cvt.rn.bf16.f32). */
    static short bf16(float x) {
        int u = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) {
            return 0x7FFF;
        }
        return (short) ((u + 0x7FFF + ((u >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    private static float[] floats(SimulatedCuda d, long address, long n, String what) {
        float[] x = new float[Math.toIntExact(n)];
        d.view(address, n * 4, what).asFloatBuffer().get(x);
        return x;
    }

    /** {@code n} values of the kernel's input type (fp32 or bf16) as floats. */
    private static float[] inputs(SimulatedCuda d, long address, long n, boolean bf16, String what) {
        if (!bf16) {
            return floats(d, address, n, what);
        }
        ByteBuffer b = d.view(address, n * 2, what);
        float[] x = new float[Math.toIntExact(n)];
        for (int i = 0; i < x.length; i++) {
            x[i] = fromBf16(b.getShort(2 * i));
        }
        return x;
    }

    private static int[] ints(SimulatedCuda d, long address, long n, String what) {
        int[] x = new int[Math.toIntExact(n)];
        d.view(address, n * 4, what).asIntBuffer().get(x);
        return x;
    }

    private static void put(SimulatedCuda d, long address, float[] x, String what) {
        d.view(address, x.length * 4L, what).asFloatBuffer().put(x);
    }

    private static void tileBounds(SimulatedCuda d, String name, int gridX, int gridY, KernelArgs a) {
        long pos = a.pointerAt(0);
        long seg = a.pointerAt(1);
        int n = a.i32At(2);
        int tile = a.i32At(3);
        if (gridX != (n + tile - 1) / tile) {
            throw new AssertionError(name + ": " + gridX + " blocks for " + n + " rows in tiles of " + tile);
        }
        int[] bounds = bounds(ints(d, pos, n, "positions"), seg == 0 ? null : ints(d, seg, n, "segments"), tile);
        d.view(a.pointerAt(4), bounds.length * 4L, "tile bounds").asIntBuffer().put(bounds);
    }

    /** Per tile of {@code tile} rows: min and max position, min and max segment (0 without segments). */
    private static int[] bounds(int[] pos, int[] seg, int tile) {
        int tiles = (pos.length + tile - 1) / tile;
        int[] out = new int[4 * tiles];
        for (int t = 0; t < tiles; t++) {
            int loP = Integer.MAX_VALUE;
            int hiP = Integer.MIN_VALUE;
            int loS = Integer.MAX_VALUE;
            int hiS = Integer.MIN_VALUE;
            for (int i = t * tile; i < Math.min(pos.length, (t + 1) * tile); i++) {
                loP = Math.min(loP, pos[i]);
                hiP = Math.max(hiP, pos[i]);
                int s = seg == null ? 0 : seg[i];
                loS = Math.min(loS, s);
                hiS = Math.max(hiS, s);
            }
            out[4 * t] = loP;
            out[4 * t + 1] = hiP;
            out[4 * t + 2] = loS;
            out[4 * t + 3] = hiS;
        }
        return out;
    }

    private static void toBf16(SimulatedCuda d, String name, int gridX, int gridY, KernelArgs a) {
        long n = a.i64At(2);
        float[] x = floats(d, a.pointerAt(0), n, "bf16 conversion input");
        ByteBuffer y = d.view(a.pointerAt(1), n * 2, "bf16 conversion output");
        for (int i = 0; i < x.length; i++) {
            y.putShort(2 * i, bf16(x[i]));
        }
    }

    /** {@code struct AttnParams}, read as {@link KernelParams} packs it. */
    private record Params(long q, long k, long v, long qPos, long kPos, long qSeg, long kSeg, long qTiles, long kTiles,
                          long acc, long m, long l, int qRows, int kRows, int qHeads, int kvHeads, int headDim,
                          float scaleLog2, int flags) {

        static Params of(byte[] struct) {
            ByteBuffer b = ByteBuffer.wrap(struct).order(ByteOrder.LITTLE_ENDIAN);
            long[] p = new long[12];
            for (int i = 0; i < 12; i++) {
                p[i] = b.getLong();
            }
            return new Params(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], b.getInt(),
                    b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getFloat(), b.getInt());
        }
    }

    private static void attention(SimulatedCuda d, String name, int gridX, int gridY, KernelArgs a) {
        Params p = Params.of(a.structAt(0));
        boolean bf16 = name.startsWith("ra_fwd_bf16_");
        if (!bf16 && !name.startsWith("ra_fwd_f32_")) {
            throw new AssertionError(name + " is not simulated (fp16 inputs)");
        }
        int dim = p.headDim();
        LaunchShape shape = LaunchShape.of(bf16 ? Precision.BF16 : Precision.FP32, dim);
        if (!shape.function().equals(name) || gridX != shape.queryTiles(p.qRows()) || gridY != p.qHeads()) {
            throw new AssertionError(name + " launched as " + gridX + " x " + gridY + " for " + p.qRows() + " rows of "
                    + p.qHeads() + " heads at D = " + dim + "; LaunchShape says " + shape);
        }
        boolean segmented = (p.flags() & SEGMENTS) != 0;
        int[] qPos = ints(d, p.qPos(), p.qRows(), "query positions");
        int[] kPos = ints(d, p.kPos(), p.kRows(), "key positions");
        int[] qSeg = segmented ? ints(d, p.qSeg(), p.qRows(), "query segments") : null;
        int[] kSeg = segmented ? ints(d, p.kSeg(), p.kRows(), "key segments") : null;
        checkBounds(d, name, p.qTiles(), bounds(qPos, qSeg, shape.blockM()), "query");
        if (p.kRows() > 0) {
            checkBounds(d, name, p.kTiles(), bounds(kPos, kSeg, shape.blockN()), "key");
        }
        int hq = p.qHeads();
        int group = hq / p.kvHeads();
        float[] q = inputs(d, p.q(), (long) p.qRows() * hq * dim, bf16, "Q");
        float[] k = inputs(d, p.k(), (long) p.kRows() * p.kvHeads() * dim, bf16, "K");
        float[] v = inputs(d, p.v(), (long) p.kRows() * p.kvHeads() * dim, bf16, "V");
        boolean load = (p.flags() & LOAD_STATE) != 0;
        boolean finish = (p.flags() & FINISH) != 0;
        long stateRows = (long) hq * p.qRows();
        float[] acc = load ? floats(d, p.acc(), (long) p.qRows() * hq * dim, "acc") : new float[p.qRows() * hq * dim];
        float[] m = load ? floats(d, p.m(), stateRows, "m") : new float[(int) stateRows];
        float[] l = load || !finish ? (load ? floats(d, p.l(), stateRows, "l") : new float[(int) stateRows]) : null;
        double scale = p.scaleLog2() / LOG2E;
        double[] s = new double[p.kRows()];
        double[] o = new double[dim];
        for (int h = 0; h < hq; h++) {
            int g = h / group;
            for (int i = 0; i < p.qRows(); i++) {
                int row = h * p.qRows() + i;
                double mIn = load ? m[row] : Double.NEGATIVE_INFINITY;
                double lIn = load ? l[row] : 0;
                double mx = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < p.kRows(); j++) {
                    boolean visible = ((p.flags() & CAUSAL) == 0 || kPos[j] <= qPos[i]) && (!segmented || kSeg[j] == qSeg[i]);
                    if (!visible) {
                        s[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int e = 0; e < dim; e++) {
                        dot += (double) q[(i * hq + h) * dim + e] * k[(j * p.kvHeads() + g) * dim + e];
                    }
                    s[j] = scale * dot;
                    mx = Math.max(mx, s[j]);
                }
                int at = (i * hq + h) * dim;
                double mNew = Math.max(mIn, mx);
                double lNew = lIn;
                if (mx != Double.NEGATIVE_INFINITY) {
                    double alpha = mIn == Double.NEGATIVE_INFINITY ? 0 : Math.exp(mIn - mNew);
                    lNew = lIn * alpha;
                    for (int e = 0; e < dim; e++) {
                        o[e] = acc[at + e] * alpha;
                    }
                    for (int j = 0; j < p.kRows(); j++) {
                        if (s[j] == Double.NEGATIVE_INFINITY) {
                            continue;
                        }
                        double w = Math.exp(s[j] - mNew);
                        lNew += w;
                        for (int e = 0; e < dim; e++) {
                            o[e] += w * v[(j * p.kvHeads() + g) * dim + e];
                        }
                    }
                    for (int e = 0; e < dim; e++) {
                        acc[at + e] = (float) o[e];
                    }
                    m[row] = (float) mNew;
                    if (l != null) {
                        l[row] = (float) lNew;
                    }
                } else if (!load) {
                    m[row] = Float.NEGATIVE_INFINITY;
                }
                if (finish) {
                    float lf = (float) lNew;
                    m[row] = lf > 0 ? (float) (m[row] + Math.log(lf)) : Float.NEGATIVE_INFINITY;
                    for (int e = 0; e < dim; e++) {
                        acc[at + e] = lf > 0 ? acc[at + e] / lf : 0f;
                    }
                }
            }
        }
        put(d, p.acc(), acc, "acc");
        put(d, p.m(), m, "m");
        if (!finish) {
            put(d, p.l(), l, "l");
        }
    }

    private static void checkBounds(SimulatedCuda d, String name, long address, int[] want, String side) {
        int[] got = ints(d, address, want.length, side + " tile bounds");
        if (!java.util.Arrays.equals(got, want)) {
            throw new AssertionError(name + ": the " + side + " tile bounds in memory are not those of the "
                    + side + " positions for the kernel's tiles");
        }
    }

    private static void mass(SimulatedCuda d, String name, int gridX, int gridY, KernelArgs a) {
        Params p = Params.of(a.structAt(0));
        int dim = p.headDim();
        int hq = p.qHeads();
        int group = hq / p.kvHeads();
        boolean segmented = (p.flags() & SEGMENTS) != 0;
        int[] qPos = ints(d, p.qPos(), p.qRows(), "query positions");
        int[] kPos = ints(d, p.kPos(), p.kRows(), "key positions");
        int[] qSeg = segmented ? ints(d, p.qSeg(), p.qRows(), "query segments") : null;
        int[] kSeg = segmented ? ints(d, p.kSeg(), p.kRows(), "key segments") : null;
        float[] q = floats(d, p.q(), (long) p.qRows() * hq * dim, "Q");
        float[] k = floats(d, p.k(), (long) p.kRows() * p.kvHeads() * dim, "K");
        float[] lse = floats(d, p.m(), (long) hq * p.qRows(), "LSE");
        double scale = p.scaleLog2() / LOG2E;
        float[] mass = new float[hq * p.kRows()];
        for (int h = 0; h < hq; h++) {
            int g = h / group;
            for (int j = 0; j < p.kRows(); j++) {
                double sum = 0;
                for (int i = 0; i < p.qRows(); i++) {
                    boolean visible = ((p.flags() & CAUSAL) == 0 || kPos[j] <= qPos[i]) && (!segmented || kSeg[j] == qSeg[i]);
                    if (!visible || lse[h * p.qRows() + i] == Float.NEGATIVE_INFINITY) {
                        continue;
                    }
                    double dot = 0;
                    for (int e = 0; e < dim; e++) {
                        dot += (double) q[(i * hq + h) * dim + e] * k[(j * p.kvHeads() + g) * dim + e];
                    }
                    sum += Math.exp(scale * dot - lse[h * p.qRows() + i]);
                }
                mass[h * p.kRows() + j] = (float) sum;
            }
        }
        put(d, p.acc(), mass, "mass");
    }

    private static void layerNormRow(float[] x, int off, int h, float[] gamma, float[] beta, float eps) {
        float sum = 0;
        for (int c = 0; c < h; c++) {
            sum += x[off + c];
        }
        float mean = sum / h;
        float var = 0;
        for (int c = 0; c < h; c++) {
            float dv = x[off + c] - mean;
            var += dv * dv;
        }
        float inv = (float) (1 / Math.sqrt(var / h + eps));
        for (int c = 0; c < h; c++) {
            x[off + c] = (x[off + c] - mean) * inv * gamma[c] + beta[c];
        }
    }

    private static void embed(SimulatedCuda d, String name, int gridX, int gridY, KernelArgs a) {
        int rows = a.i32At(9);
        int h = a.i32At(10);
        int[] ids = ints(d, a.pointerAt(0), rows, "token ids");
        int[] pos = ints(d, a.pointerAt(1), rows, "positions");
        int[] types = ints(d, a.pointerAt(2), rows, "token types");
        float[] gamma = floats(d, a.pointerAt(6), h, "gamma");
        float[] beta = floats(d, a.pointerAt(7), h, "beta");
        float[] x = new float[rows * h];
        for (int r = 0; r < rows; r++) {
            float[] w = floats(d, a.pointerAt(3) + (long) ids[r] * h * 4, h, "word embedding");
            float[] p = floats(d, a.pointerAt(4) + (long) pos[r] * h * 4, h, "position embedding");
            float[] t = floats(d, a.pointerAt(5) + (long) types[r] * h * 4, h, "type embedding");
            for (int c = 0; c < h; c++) {
                x[r * h + c] = w[c] + p[c] + t[c];
            }
            layerNormRow(x, r * h, h, gamma, beta, a.f32At(8));
        }
        put(d, a.pointerAt(11), x, "hidden states");
        copy16(d, a.pointerAt(12), x);
    }

    private static void layerNorm(SimulatedCuda d, String name, int gridX, int gridY, KernelArgs a) {
        int rows = a.i32At(4);
        int h = a.i32At(5);
        float[] x = floats(d, a.pointerAt(0), (long) rows * h, "hidden states");
        float[] gamma = floats(d, a.pointerAt(1), h, "gamma");
        float[] beta = floats(d, a.pointerAt(2), h, "beta");
        for (int r = 0; r < rows; r++) {
            layerNormRow(x, r * h, h, gamma, beta, a.f32At(3));
        }
        put(d, a.pointerAt(0), x, "hidden states");
        copy16(d, a.pointerAt(6), x);
    }

    /** GELU with erf by Abramowitz and Stegun 7.1.26, as the CPU encoder evaluates it (the GEMMs' epilogue). */
    static float geluOf(float v) {
        float z = Math.abs(v) * 0.70710678118654752f;
        float t = 1f / (1f + 0.3275911f * z);
        float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
        float erfAbs = 1f - poly * (float) Math.exp(-z * z);
        return 0.5f * v * (1f + (v < 0f ? -erfAbs : erfAbs));
    }

    /** re_gemm_f32 (X, W, bias, Y, M, N, K, flags) and re_gemm_bf16 (X, W, bias, Y, Y16, M, N, K, flags). */
    private static void gemm(SimulatedCuda d, String name, int gridX, int gridY, KernelArgs a) {
        boolean bf16 = name.equals("re_gemm_bf16");
        int at = bf16 ? 5 : 4;
        int rows = a.i32At(at);
        int n = a.i32At(at + 1);
        int kk = a.i32At(at + 2);
        int flags = a.i32At(at + 3);
        long y = a.pointerAt(3);
        long y16 = bf16 ? a.pointerAt(4) : 0;
        float[] x = inputs(d, a.pointerAt(0), (long) rows * kk, bf16, "GEMM input");
        float[] w = inputs(d, a.pointerAt(1), (long) n * kk, bf16, "GEMM weight");
        float[] bias = floats(d, a.pointerAt(2), n, "GEMM bias");
        boolean residual = (flags & 2) != 0;
        float[] out = residual ? floats(d, y, (long) rows * n, "GEMM residual") : new float[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < n; c++) {
                float sum = 0;
                for (int e = 0; e < kk; e++) {
                    sum += x[r * kk + e] * w[c * kk + e];
                }
                float v = sum + bias[c];
                if ((flags & 1) != 0) {
                    v = geluOf(v);
                }
                out[r * n + c] = (residual ? out[r * n + c] : 0f) + v;
            }
        }
        if (y != 0) {
            put(d, y, out, "GEMM output");
        }
        if (y16 != 0) {
            ByteBuffer b16 = d.view(y16, out.length * 2L, "GEMM bf16 output");
            for (int i = 0; i < out.length; i++) {
                b16.putShort(2 * i, bf16(out[i]));
            }
        }
    }

    /** The bf16 copy of {@code rows x h} values, when the kernel was given a place for it. */
    private static void copy16(SimulatedCuda d, long x16, float[] x) {
        if (x16 != 0) {
            ByteBuffer b = d.view(x16, x.length * 2L, "bf16 copy");
            for (int i = 0; i < x.length; i++) {
                b.putShort(2 * i, bf16(x[i]));
            }
        }
    }

    private static void pool(SimulatedCuda d, String name, int gridX, int gridY, KernelArgs a) {
        int h = a.i32At(2);
        int sentences = gridX;
        int[] starts = ints(d, a.pointerAt(1), sentences + 1L, "sentence starts");
        float[] hidden = floats(d, a.pointerAt(0), (long) starts[sentences] * h, "hidden states");
        float[] out = new float[sentences * h];
        for (int s = 0; s < sentences; s++) {
            double sq = 0;
            for (int c = 0; c < h; c++) {
                float sum = 0;
                for (int r = starts[s]; r < starts[s + 1]; r++) {
                    sum += hidden[r * h + c];
                }
                float mean = sum / (starts[s + 1] - starts[s]);
                out[s * h + c] = mean;
                sq += mean * mean;
            }
            float scale = (float) (1 / Math.max(Math.sqrt(sq), 1e-12));
            for (int c = 0; c < h; c++) {
                out[s * h + c] *= scale;
            }
        }
        put(d, a.pointerAt(3), out, "sentence vectors");
    }
}
