package org.ringattention.gpu;

/**
 * Where each buffer of one launch lives in a single device allocation (one allocation, so an
 * out-of-memory shows up in one place, before any work). The host-to-device part comes first and is
 * mirrored byte for byte in pinned host memory, so it moves in one copy; the state (acc, m, l) closes
 * that part and comes back in one copy; conversion outputs and tile bounds are device-only.
 *
 * <pre>
 * [Q K V qPos kPos (qSeg kSeg) acc m l] [(Q16 K16 V16) qTiles kTiles]
 *  ^ copied in                ^ copied back ^ device only
 * </pre>
 * Every region starts on a {@value #ALIGN}-byte boundary (cp.async and int4 loads need 16).
 */
public record DeviceLayout(long q, long k, long v, long qPos, long kPos, long qSeg, long kSeg,
                           long acc, long m, long l, long q16, long k16, long v16, long qTiles, long kTiles,
                           long inputBytes, long totalBytes) {

    static final int ALIGN = 256;
    /** Marks an absent region (no segments, or no conversion at fp32). */
    static final long NONE = -1;

    /** The layout for {@code qRows} queries against {@code kRows} keys. */
    public static DeviceLayout of(int queryHeads, int kvHeads, int headDim, Precision precision, LaunchShape shape,
                                  int qRows, int kRows, boolean segmented) {
        long qFloats = (long) qRows * queryHeads * headDim;
        long kFloats = (long) kRows * kvHeads * headDim;
        Cursor c = new Cursor();
        long q = c.take(qFloats * 4);
        long k = c.take(kFloats * 4);
        long v = c.take(kFloats * 4);
        long qPos = c.take(qRows * 4L);
        long kPos = c.take(kRows * 4L);
        long qSeg = segmented ? c.take(qRows * 4L) : NONE;
        long kSeg = segmented ? c.take(kRows * 4L) : NONE;
        long acc = c.take(qFloats * 4);
        long m = c.take((long) queryHeads * qRows * 4);
        long l = c.take((long) queryHeads * qRows * 4);
        long inputBytes = c.end;
        boolean convert = precision != Precision.FP32;
        long q16 = convert ? c.take(qFloats * precision.bytes()) : NONE;
        long k16 = convert ? c.take(kFloats * precision.bytes()) : NONE;
        long v16 = convert ? c.take(kFloats * precision.bytes()) : NONE;
        long qTiles = c.take(shape.queryTiles(qRows) * 16L);
        long kTiles = c.take(shape.keyTiles(kRows) * 16L);
        return new DeviceLayout(q, k, v, qPos, kPos, qSeg, kSeg, acc, m, l, q16, k16, v16, qTiles, kTiles,
                inputBytes, c.end);
    }

    /** Bytes of the state block (acc, m, l) that comes back after the kernel. */
    public long stateBytes() {
        return inputBytes - acc;
    }

    /** The kernel's twelve addresses for an allocation at {@code base}. */
    KernelParams.Addresses addresses(long base) {
        return new KernelParams.Addresses(
                base + (q16 == NONE ? q : q16), base + (k16 == NONE ? k : k16), base + (v16 == NONE ? v : v16),
                base + qPos, base + kPos, qSeg == NONE ? 0 : base + qSeg, kSeg == NONE ? 0 : base + kSeg,
                base + qTiles, base + kTiles, base + acc, base + m, base + l);
    }

    private static final class Cursor {
        long end;

        long take(long bytes) {
            long at = end;
            end = (at + bytes + ALIGN - 1) / ALIGN * ALIGN;
            return at;
        }
    }
}
