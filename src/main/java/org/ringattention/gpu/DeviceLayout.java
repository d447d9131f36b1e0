package org.ringattention.gpu;

/**
 * Where each buffer of one block lives in a single device allocation (one allocation, so out-of-memory
 * shows up in one place, before any work), and in the pinned host memory the copies go through.
 *
 * <p>The query side stays on the device for the whole block: Q, its positions and segment ids and the
 * running state (acc, m, l), copied in once; the state closes that part and comes back in one copy.
 * Keys and values stream through two slots of {@code chunkKeys} keys each, so that chunk c+1 is
 * copied while chunk c is computed ({@link KeyChunks}). Per slot the copied part (K, V, positions,
 * segments) comes first and is mirrored in pinned memory; conversions and tile bounds are device-only.
 *
 * <pre>
 * device: [Q qPos (qSeg) acc m l | (Q16) qTiles] [slot 0: K V kPos (kSeg) | (K16 V16) kTiles] [slot 1: same]
 * pinned: [Q qPos (qSeg) acc m l] [slot 0: K V kPos (kSeg)] [slot 1: same]
 * </pre>
 * Offsets of K ... kTiles are relative to a slot's start. Every region starts on a {@value #ALIGN}-byte
 * boundary (cp.async and int4 loads need 16).
 */
public record DeviceLayout(long q, long qPos, long qSeg, long acc, long m, long l, long residentInputBytes,
                           long q16, long qTiles,
                           long k, long v, long kPos, long kSeg, long slotInputBytes,
                           long k16, long v16, long kTiles, long slotBytes, long residentBytes) {

    static final int ALIGN = 256;
    /** Marks an absent region (no segments, or no conversion at fp32). */
    static final long NONE = -1;
    /** Key/value slots: one being computed, one being filled. */
    static final int SLOTS = 2;

    /** The layout for {@code qRows} queries and key chunks of at most {@code chunkKeys} keys. */
    public static DeviceLayout of(int queryHeads, int kvHeads, int headDim, Precision precision, LaunchShape shape,
                                  int qRows, int chunkKeys, boolean segmented) {
        long qFloats = (long) qRows * queryHeads * headDim;
        long kFloats = (long) chunkKeys * kvHeads * headDim;
        boolean convert = precision != Precision.FP32;

        Cursor r = new Cursor();
        long q = r.take(qFloats * 4);
        long qPos = r.take(qRows * 4L);
        long qSeg = segmented ? r.take(qRows * 4L) : NONE;
        long acc = r.take(qFloats * 4);
        long m = r.take((long) queryHeads * qRows * 4);
        long l = r.take((long) queryHeads * qRows * 4);
        long residentInputBytes = r.end;
        long q16 = convert ? r.take(qFloats * precision.bytes()) : NONE;
        long qTiles = r.take(shape.queryTiles(qRows) * 16L);
        long residentBytes = r.end;

        Cursor s = new Cursor();
        long k = s.take(kFloats * 4);
        long v = s.take(kFloats * 4);
        long kPos = s.take(chunkKeys * 4L);
        long kSeg = segmented ? s.take(chunkKeys * 4L) : NONE;
        long slotInputBytes = s.end;
        long k16 = convert ? s.take(kFloats * precision.bytes()) : NONE;
        long v16 = convert ? s.take(kFloats * precision.bytes()) : NONE;
        long kTiles = s.take(shape.keyTiles(chunkKeys) * 16L);
        long slotBytes = s.end;

        return new DeviceLayout(q, qPos, qSeg, acc, m, l, residentInputBytes, q16, qTiles,
                k, v, kPos, kSeg, slotInputBytes, k16, v16, kTiles, slotBytes, residentBytes);
    }

    /** Where key/value slot {@code i} starts in the device allocation. */
    public long deviceSlot(int i) {
        return residentBytes + i * slotBytes;
    }

    /** Where key/value slot {@code i} starts in pinned memory. */
    public long pinnedSlot(int i) {
        return residentInputBytes + i * slotInputBytes;
    }

    /** Bytes of the device allocation. */
    public long totalBytes() {
        return residentBytes + SLOTS * slotBytes;
    }

    /** Bytes of pinned host memory. */
    public long pinnedBytes() {
        return residentInputBytes + SLOTS * slotInputBytes;
    }

    /** Bytes of the state block (acc, m, l) that comes back after the last chunk. */
    public long stateBytes() {
        return residentInputBytes - acc;
    }

    /** The kernel's twelve addresses for an allocation at {@code base}, keys in slot {@code slot}. */
    KernelParams.Addresses addresses(long base, int slot) {
        long s = base + deviceSlot(slot);
        return new KernelParams.Addresses(
                base + (q16 == NONE ? q : q16), s + (k16 == NONE ? k : k16), s + (v16 == NONE ? v : v16),
                base + qPos, s + kPos, qSeg == NONE ? 0 : base + qSeg, kSeg == NONE ? 0 : s + kSeg,
                base + qTiles, s + kTiles, base + acc, base + m, base + l);
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
