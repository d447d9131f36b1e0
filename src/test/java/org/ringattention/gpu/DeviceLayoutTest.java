package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceLayoutTest {

    /** Regions given as (start, size) in order must be aligned, in order, disjoint and tightly packed. */
    private static void assertPacked(long[] starts, long[] sizes, long end, String where) {
        for (int i = 0; i < sizes.length; i++) {
            long next = i + 1 < starts.length ? starts[i + 1] : end;
            assertEquals(0, starts[i] % DeviceLayout.ALIGN, where + " region " + i + " aligned");
            assertTrue(starts[i] + sizes[i] <= next, where + " region " + i + " ends before the next starts");
            assertTrue(next - (starts[i] + sizes[i]) < DeviceLayout.ALIGN, where + " region " + i + " no wider gap than alignment");
        }
    }

    @Test
    void residentAndSlotRegionsAreAlignedInOrderAndDisjoint() {
        int hq = 6;
        int hkv = 2;
        int d = 64;
        int qRows = 333;
        int chunk = 1001;
        LaunchShape shape = LaunchShape.of(Precision.BF16, d);
        DeviceLayout l = DeviceLayout.of(hq, hkv, d, Precision.BF16, shape, qRows, chunk, true);
        assertPacked(new long[] {l.q(), l.qPos(), l.qSeg(), l.acc(), l.m(), l.l(), l.q16(), l.qTiles()},
                new long[] {qRows * hq * d * 4L, qRows * 4L, qRows * 4L, qRows * hq * d * 4L, hq * qRows * 4L,
                    hq * qRows * 4L, qRows * hq * d * 2L, 6 * 16L}, l.deviceSlot(0), "resident");
        assertPacked(new long[] {l.k(), l.v(), l.kPos(), l.kSeg(), l.k16(), l.v16(), l.kTiles()},
                new long[] {chunk * hkv * d * 4L, chunk * hkv * d * 4L, chunk * 4L, chunk * 4L, chunk * hkv * d * 2L,
                    chunk * hkv * d * 2L, 16 * 16L}, l.slotBytes(), "slot");
        assertEquals(0, l.q());
        assertEquals(l.q16(), l.residentInputBytes(), "the copied query side ends where device-only buffers begin");
        assertEquals(l.k16(), l.slotInputBytes(), "the copied slot part ends where device-only buffers begin");
        assertEquals(l.residentInputBytes() - l.acc(), l.stateBytes(), "the state closes the copied query side");
        assertEquals(l.deviceSlot(0) + l.slotBytes(), l.deviceSlot(1));
        assertEquals(l.deviceSlot(1) + l.slotBytes(), l.totalBytes());
        assertEquals(l.residentInputBytes(), l.pinnedSlot(0), "pinned slots follow the pinned query side");
        assertEquals(l.pinnedSlot(0) + l.slotInputBytes(), l.pinnedSlot(1));
        assertEquals(l.pinnedSlot(1) + l.slotInputBytes(), l.pinnedBytes());
    }

    @Test
    void fp32WithoutSegmentsHasNoConversionOrSegmentRegions() {
        LaunchShape shape = LaunchShape.of(Precision.FP32, 48);
        DeviceLayout l = DeviceLayout.of(4, 4, 48, Precision.FP32, shape, 100, 100, false);
        assertEquals(DeviceLayout.NONE, l.qSeg());
        assertEquals(DeviceLayout.NONE, l.kSeg());
        assertEquals(DeviceLayout.NONE, l.q16());
        assertEquals(DeviceLayout.NONE, l.k16());
        assertEquals(l.qTiles(), l.residentInputBytes());
        long base = 1L << 40;
        KernelParams.Addresses a = l.addresses(base, 1);
        assertEquals(base + l.q(), a.q(), "fp32 kernels read the copied Q");
        assertEquals(base + l.deviceSlot(1) + l.k(), a.k(), "keys come from the slot");
        assertEquals(base + l.deviceSlot(1) + l.kTiles(), a.kTiles());
        assertEquals(0, a.qSeg(), "absent segments are passed as null");
        assertEquals(0, a.kSeg());
        assertEquals(base + l.l(), a.l());
    }

    @Test
    void halfPrecisionKernelsReadTheConvertedCopies() {
        LaunchShape shape = LaunchShape.of(Precision.FP16, 128);
        DeviceLayout l = DeviceLayout.of(2, 1, 128, Precision.FP16, shape, 70, 130, false);
        KernelParams.Addresses a = l.addresses(4096, 0);
        assertEquals(4096 + l.q16(), a.q());
        assertEquals(4096 + l.deviceSlot(0) + l.k16(), a.k());
        assertEquals(4096 + l.deviceSlot(0) + l.v16(), a.v());
        assertEquals(4096 + l.acc(), a.acc(), "the state stays fp32");
    }
}
