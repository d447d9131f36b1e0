package org.ringattention.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The bytes of {@code struct AttnParams} (src/main/cuda/attention_params.h), the one by-value argument of
 * the forward kernels: twelve 8-byte device addresses, then seven ints and a float. The C header
 * static_asserts the same offsets, so the two sides cannot drift apart unnoticed.
 */
public final class KernelParams {

    static final int SIZE = 128;
    static final int OFFSET_Q_ROWS = 96;
    static final int OFFSET_SCALE_LOG2 = 116;
    static final int OFFSET_FLAGS = 120;

    static final int CAUSAL = 1;
    static final int SEGMENTS = 2;
    static final int LOAD_STATE = 4;
    static final int FINISH = 8;

    /** log2(e): logits are scaled by {@code scale * log2 e} so the kernels use exp2 (attention.cu header). */
    static final double LOG2E = 1.4426950408889634;

    private KernelParams() {
    }

    /** Device addresses of the twelve buffers, in struct order; 0 stands for null (no segments). */
    public record Addresses(long q, long k, long v, long qPos, long kPos, long qSeg, long kSeg,
                            long qTiles, long kTiles, long acc, long m, long l) {
    }

    /**
     * Packs one launch. {@code segmented} requires both segment addresses; the flags say whether the kernel
     * reads the running state first and whether it writes O and LSE instead of the state.
     */
    public static byte[] pack(Addresses a, int qRows, int kRows, int queryHeads, int kvHeads, int headDim,
                              float scale, boolean causal, boolean segmented, boolean loadState, boolean finish) {
        if (segmented && (a.qSeg() == 0 || a.kSeg() == 0)) {
            throw new IllegalArgumentException("segment masking needs segment ids on the device for queries and keys");
        }
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (long address : new long[] {a.q(), a.k(), a.v(), a.qPos(), a.kPos(), a.qSeg(), a.kSeg(),
            a.qTiles(), a.kTiles(), a.acc(), a.m(), a.l()}) {
            b.putLong(address);
        }
        b.putInt(qRows).putInt(kRows).putInt(queryHeads).putInt(kvHeads).putInt(headDim);
        b.putFloat((float) (scale * LOG2E));
        b.putInt((causal ? CAUSAL : 0) | (segmented ? SEGMENTS : 0) | (loadState ? LOAD_STATE : 0)
                | (finish ? FINISH : 0));
        b.putInt(0);
        return b.array();
    }
}
