package org.ringattention.gpu;

/**
 * Which compiled kernel runs a problem and how it is launched: the input type it reads
 * ({@code precision}), tile edges {@code blockM} (query rows per thread block) and {@code blockN} (keys per
 * inner step), threads per block and dynamic shared memory.
 * The numbers mirror src/main/cuda/attention.cu (F32_BM, F32_BN, RA_MMA_WARPS, MMA_WARP_ROWS, MMA_BN and the
 * shared memory carve-up at the top of each kernel); the grid is one block per (query tile, query head).
 */
public record LaunchShape(String function, Precision precision, int blockM, int blockN, int threads, int sharedBytes) {

    /** Head dimensions with a compiled fp32 kernel; D is zero-padded up to the next one. */
    static final int[] FP32_DIMS = {32, 64, 128, 256, 512};
    /** Head dimensions with compiled tensor-core kernels (no padding: K and V rows move in 16-byte chunks). */
    static final int[] MMA_DIMS = {64, 128};

    private static final int MMA_WARPS = 4;
    private static final int MMA_WARP_ROWS = 32;

    /** The kernel for head dimension {@code d} at {@code precision}; fails naming the supported sizes. */
    public static LaunchShape of(Precision precision, int d) {
        if (precision == Precision.FP32) {
            for (int dp : FP32_DIMS) {
                if (d <= dp) {
                    // Beyond 256 the tile shrinks to 16 x 16 so that 512-wide tiles fit in shared memory.
                    int bm = dp > 256 ? 16 : 64;
                    int bn = dp > 256 ? 16 : 32;
                    int ld = dp + 1;
                    // Q, K, V tiles with rows padded by one float, P (BM x BN+1), key positions and segments.
                    int shared = (bm * ld + 2 * bn * ld + bm * (bn + 1)) * 4 + 2 * bn * 4;
                    return new LaunchShape("ra_fwd_f32_d" + dp, Precision.FP32, bm, bn, 128, shared);
                }
            }
            throw new IllegalArgumentException("head dimension " + d + " is larger than the GPU kernels' "
                    + FP32_DIMS[FP32_DIMS.length - 1] + "; use --device cpu");
        }
        for (int dm : MMA_DIMS) {
            if (d == dm) {
                // FlashAttention-2's shape: 128 query rows, 32 per warp; key tiles of 64.
                int bm = MMA_WARP_ROWS * MMA_WARPS;
                int bn = 64;
                // Q, and K and V double-buffered (two stages each), rows padded by 16 bytes (bank-conflict-free
                // ldmatrix); key positions and segments of both stages.
                int shared = (bm + 4 * bn) * (d + 8) * precision.bytes() + 4 * bn * 4;
                return new LaunchShape("ra_fwd_" + precision.kernelTag() + "_d" + d, precision, bm, bn, 32 * MMA_WARPS, shared);
            }
        }
        throw new IllegalArgumentException("the " + precision + " GPU kernels take head dimension 64 or 128, not "
                + d + "; use fp32 on the GPU or --device cpu");
    }

    /**
     * The kernel that serves a request for {@code precision} at head dimension {@code d}: the tensor-core
     * kernel where one is compiled (bf16 and fp16 at D 64 and 128), else the fp32 kernel, which is never
     * less accurate; fails only beyond the fp32 kernels' widest D.
     */
    public static LaunchShape serving(Precision precision, int d) {
        for (int dm : MMA_DIMS) {
            if (precision != Precision.FP32 && d == dm) {
                return of(precision, d);
            }
        }
        return of(Precision.FP32, d);
    }

    /**
     * The attention-mass kernel for head dimension {@code d} (fp32 only): {@code blockM} is the key tile each
     * thread block owns (grid x), {@code blockN} the query tile it walks in; K and Q tiles, the queries'
     * log-sum-exps, positions and segments in shared memory.
     */
    public static LaunchShape mass(int d) {
        for (int dp : FP32_DIMS) {
            if (d <= dp) {
                int bk = dp > 128 ? 16 : 64;
                int bq = dp > 128 ? 16 : 32;
                int shared = (bk + bq) * (dp + 1) * 4 + 3 * bq * 4;
                return new LaunchShape("ra_mass_f32_d" + dp, Precision.FP32, bk, bq, 128, shared);
            }
        }
        throw new IllegalArgumentException("head dimension " + d + " is larger than the GPU kernels' "
                + FP32_DIMS[FP32_DIMS.length - 1] + "; use --device cpu");
    }

    /** Thread blocks along x: one per query tile. */
    public int queryTiles(int rows) {
        return tiles(rows, blockM);
    }

    /** Key tiles the kernel walks over. */
    public int keyTiles(int rows) {
        return tiles(rows, blockN);
    }

    private static int tiles(int rows, int edge) {
        return (rows + edge - 1) / edge;
    }
}
