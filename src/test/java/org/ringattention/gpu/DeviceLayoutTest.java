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
    void sixteenBitQueriesLandInAccAndTheStateIsOneRun() {
        int hq = 6;
        int d = 64;
        int rows = 333;
        LaunchShape shape = LaunchShape.of(Precision.BF16, d);
        DeviceLayout.QuerySide q = DeviceLayout.querySide(hq, d, shape, rows, true);
        long qBytes = (long) rows * hq * d * 4;
        assertPacked(new long[] {q.qPos(), q.qSeg(), q.acc(), q.m(), q.l(), q.qTiles(), q.q16()},
                new long[] {rows * 4L, rows * 4L, qBytes, hq * rows * 4L, hq * rows * 4L, shape.queryTiles(rows) * 16L,
                    qBytes / 2}, q.totalBytes(), "query side");
        assertEquals(0, q.qPos(), "the copied run starts the allocation");
        assertEquals(q.acc(), q.qLanding(), "fp32 Q lands in acc's place, which has the same size");
        assertEquals(q.acc() + qBytes, q.inputBytes(), "positions, segments and Q are one copy");
        assertEquals(q.l() + hq * rows * 4L - q.acc(), q.stateBytes(), "acc, m and l are one copy");
        assertEquals(DeviceLayout.NONE, q.q());
        assertEquals(1000 + q.q16(), q.kernelQ(1000), "the kernel reads the converted Q");
    }

    @Test
    void fp32QueriesStayAsCopiedAndWithoutSegmentsThereIsNoSegmentRegion() {
        LaunchShape shape = LaunchShape.of(Precision.FP32, 48);
        DeviceLayout.QuerySide q = DeviceLayout.querySide(4, 48, shape, 100, false);
        assertEquals(DeviceLayout.NONE, q.qSeg());
        assertEquals(DeviceLayout.NONE, q.q16());
        assertEquals(q.q(), q.qLanding());
        assertEquals(q.q() + 100 * 4 * 48 * 4L, q.inputBytes());
        assertTrue(q.acc() >= q.inputBytes(), "the state follows the copied run");
        assertEquals(1000 + q.q(), q.kernelQ(1000));
    }

    @Test
    void keySlotsCopyTheirInputsAsOneRunAndSitSideBySide() {
        int hkv = 2;
        int d = 64;
        int chunk = 1001;
        LaunchShape shape = LaunchShape.of(Precision.BF16, d);
        DeviceLayout.KeySide k = DeviceLayout.keySide(hkv, d, shape, chunk, true);
        assertPacked(new long[] {k.k(), k.v(), k.kPos(), k.kSeg(), k.k16(), k.v16(), k.kTiles()},
                new long[] {chunk * hkv * d * 4L, chunk * hkv * d * 4L, chunk * 4L, chunk * 4L, chunk * hkv * d * 2L,
                    chunk * hkv * d * 2L, shape.keyTiles(chunk) * 16L}, k.slotBytes(), "slot");
        assertEquals(k.k16(), k.inputBytes(), "the copied slot part ends where device-only buffers begin");
        assertEquals(2 * k.slotBytes(), k.totalBytes());
        assertEquals(2 * k.inputBytes(), k.pinnedBytes(), "pinned slots hold the copied parts only");
    }

    @Test
    void theKernelsAddressesComeFromThePartAndTheSlot() {
        LaunchShape shape = LaunchShape.of(Precision.BF16, 128);
        DeviceLayout.QuerySide q = DeviceLayout.querySide(2, 128, shape, 70, false);
        DeviceLayout.KeySide k = DeviceLayout.keySide(1, 128, shape, 130, false);
        long part = 1L << 40;
        long slot = 1L << 41;
        KernelParams.Addresses a = DeviceLayout.addresses(q, part, k, slot);
        assertEquals(part + q.q16(), a.q());
        assertEquals(slot + k.k16(), a.k());
        assertEquals(slot + k.v16(), a.v());
        assertEquals(part + q.qTiles(), a.qTiles());
        assertEquals(slot + k.kTiles(), a.kTiles());
        assertEquals(0, a.qSeg(), "absent segments are passed as null");
        assertEquals(0, a.kSeg());
        assertEquals(part + q.acc(), a.acc(), "the state stays fp32");
        assertEquals(part + q.l(), a.l());
    }
}
