package org.ringattention.gpu;

/**
 * Where each buffer lives in device and pinned memory. Two sides, allocated separately so that an
 * out-of-memory names the side that overflowed ({@link SplitPolicy}):
 *
 * <p>The query side ({@link QuerySide}) is one allocation per held part of a ring position's queries,
 * kept across calls: positions, segment ids, Q (the kernel's input type), the running state (acc, m, l)
 * and Q's tile bounds. What is copied in is one run, positions then segments then Q, mirrored in pinned
 * memory; the state is a second run, acc then m then l, which also comes back in one copy. For 16-bit
 * kernels fp32 Q lands in acc's space (the same size, and acc holds no state yet) and is converted into
 * {@code q16} before the state is written there.
 *
 * <pre>
 * fp32:    [qPos (qSeg) q | acc m l | qTiles]
 * 16-bit:  [qPos (qSeg) acc m l | qTiles q16]       (Q arrives in acc's place)
 * pinned:  [qPos (qSeg) Q] [acc m l]
 * </pre>
 *
 * <p>The key side ({@link KeySide}) is the kernel's: two slots of a key chunk each ({@link KeyChunks}),
 * chunk c+1 copied into one while chunk c is computed from the other. Per slot the copied part (K, V,
 * positions, segments) comes first and is mirrored in pinned memory; conversions and tile bounds are
 * device-only. Every region starts on a {@value #ALIGN}-byte boundary (cp.async and int4 loads need 16).
 */
public final class DeviceLayout {

    static final int ALIGN = 256;
    /** Marks an absent region (no segments, or no conversion at fp32). */
    static final long NONE = -1;
    /** Key/value slots: one being computed, one being filled. */
    static final int SLOTS = 2;

    private DeviceLayout() {
    }

    /**
     * One held part of {@code rows} query rows, offsets from the start of its allocation.
     *
     * @param inputBytes  the copied run: positions, segments and Q in fp32 (into {@code q} or acc's place)
     * @param qLanding    where fp32 Q is copied: {@code q} for fp32 kernels, acc for 16-bit ones
     */
    public record QuerySide(int rows, long qPos, long qSeg, long q, long qLanding, long acc, long m, long l,
                            long qTiles, long q16, long inputBytes, long stateBytes, long totalBytes) {

        /** The device address of the Q the kernel reads, for an allocation at {@code base}. */
        long kernelQ(long base) {
            return base + (q16 == NONE ? q : q16);
        }
    }

    /**
     * The key side for chunks of {@code chunkKeys} keys: one slot's regions (offsets from the slot's start),
     * its size, and the two slots' sizes (slot i starts {@code i * slotBytes} into the device block and
     * {@code i * inputBytes} into pinned memory, which holds the copied parts only).
     */
    public record KeySide(int chunkKeys, long k, long v, long kPos, long kSeg, long inputBytes, long k16, long v16,
                          long kTiles, long slotBytes) {

        /** Bytes of the device allocation. */
        public long totalBytes() {
            return SLOTS * slotBytes;
        }

        /** Bytes of pinned memory the slots use. */
        public long pinnedBytes() {
            return SLOTS * inputBytes;
        }
    }

    /** The query side of {@code rows} rows for a kernel of {@code shape} (input type {@code shape.precision()}). */
    public static QuerySide querySide(int queryHeads, int headDim, LaunchShape shape, int rows, boolean segmented) {
        long qFloats = (long) rows * queryHeads * headDim;
        boolean convert = shape.precision() != Precision.FP32;
        Cursor c = new Cursor();
        long qPos = c.take(rows * 4L);
        long qSeg = segmented ? c.take(rows * 4L) : NONE;
        long q = convert ? NONE : c.take(qFloats * 4);
        long acc = c.take(qFloats * 4);
        long inputBytes = (convert ? acc : q) + qFloats * 4;
        long m = c.take((long) queryHeads * rows * 4);
        long l = c.take((long) queryHeads * rows * 4);
        long stateBytes = l + (long) queryHeads * rows * 4 - acc;
        long qTiles = c.take(shape.queryTiles(rows) * 16L);
        long q16 = convert ? c.take(qFloats * shape.precision().bytes()) : NONE;
        return new QuerySide(rows, qPos, qSeg, q, convert ? acc : q, acc, m, l, qTiles, q16, inputBytes, stateBytes,
                c.end);
    }

    /** The key side for chunks of {@code chunkKeys} keys. */
    public static KeySide keySide(int kvHeads, int headDim, LaunchShape shape, int chunkKeys, boolean segmented) {
        long kFloats = (long) chunkKeys * kvHeads * headDim;
        boolean convert = shape.precision() != Precision.FP32;
        Cursor s = new Cursor();
        long k = s.take(kFloats * 4);
        long v = s.take(kFloats * 4);
        long kPos = s.take(chunkKeys * 4L);
        long kSeg = segmented ? s.take(chunkKeys * 4L) : NONE;
        long inputBytes = s.end;
        long k16 = convert ? s.take(kFloats * shape.precision().bytes()) : NONE;
        long v16 = convert ? s.take(kFloats * shape.precision().bytes()) : NONE;
        long kTiles = s.take(shape.keyTiles(chunkKeys) * 16L);
        return new KeySide(chunkKeys, k, v, kPos, kSeg, inputBytes, k16, v16, kTiles, s.end);
    }

    /** The kernel's twelve addresses: a query part at {@code part}, keys in the slot at {@code slot}. */
    static KernelParams.Addresses addresses(QuerySide qs, long part, KeySide ks, long slot) {
        return new KernelParams.Addresses(qs.kernelQ(part), slot + (ks.k16() == NONE ? ks.k() : ks.k16()),
                slot + (ks.v16() == NONE ? ks.v() : ks.v16()), part + qs.qPos(), slot + ks.kPos(),
                qs.qSeg() == NONE ? 0 : part + qs.qSeg(), ks.kSeg() == NONE ? 0 : slot + ks.kSeg(),
                part + qs.qTiles(), slot + ks.kTiles(), part + qs.acc(), part + qs.m(), part + qs.l());
    }

    /** Rounds up to the alignment every region starts on. */
    static long aligned(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static final class Cursor {
        long end;

        long take(long bytes) {
            long at = end;
            end = aligned(at + bytes);
            return at;
        }
    }
}
