package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceLayoutTest {

    @Test
    void regionsAreAlignedInOrderAndDoNotOverlap() {
        int hq = 6;
        int hkv = 2;
        int d = 64;
        int qRows = 333;
        int kRows = 1001;
        LaunchShape shape = LaunchShape.of(Precision.BF16, d);
        DeviceLayout l = DeviceLayout.of(hq, hkv, d, Precision.BF16, shape, qRows, kRows, true);
        long[] starts = {l.q(), l.k(), l.v(), l.qPos(), l.kPos(), l.qSeg(), l.kSeg(), l.acc(), l.m(), l.l(),
            l.q16(), l.k16(), l.v16(), l.qTiles(), l.kTiles(), l.totalBytes()};
        long[] sizes = {qRows * hq * d * 4L, kRows * hkv * d * 4L, kRows * hkv * d * 4L, qRows * 4L, kRows * 4L,
            qRows * 4L, kRows * 4L, qRows * hq * d * 4L, hq * qRows * 4L, hq * qRows * 4L,
            qRows * hq * d * 2L, kRows * hkv * d * 2L, kRows * hkv * d * 2L, 6 * 16L, 16 * 16L};
        assertEquals(0, starts[0]);
        for (int i = 0; i < sizes.length; i++) {
            assertEquals(0, starts[i] % DeviceLayout.ALIGN, "region " + i + " aligned");
            assertTrue(starts[i] + sizes[i] <= starts[i + 1], "region " + i + " ends before the next starts");
            assertTrue(starts[i + 1] - (starts[i] + sizes[i]) < DeviceLayout.ALIGN, "region " + i + " no wider gap than alignment");
        }
        assertEquals(l.q16(), l.inputBytes(), "the copied part ends where device-only buffers begin");
        assertEquals(l.inputBytes() - l.acc(), l.stateBytes());
    }

    @Test
    void fp32WithoutSegmentsHasNoConversionOrSegmentRegions() {
        LaunchShape shape = LaunchShape.of(Precision.FP32, 48);
        DeviceLayout l = DeviceLayout.of(4, 4, 48, Precision.FP32, shape, 100, 100, false);
        assertEquals(DeviceLayout.NONE, l.qSeg());
        assertEquals(DeviceLayout.NONE, l.kSeg());
        assertEquals(DeviceLayout.NONE, l.q16());
        assertEquals(l.qTiles(), l.inputBytes());
        KernelParams.Addresses a = l.addresses(1L << 40);
        assertEquals((1L << 40) + l.q(), a.q(), "fp32 kernels read the copied Q");
        assertEquals(0, a.qSeg(), "absent segments are passed as null");
        assertEquals(0, a.kSeg());
        assertEquals((1L << 40) + l.l(), a.l());
    }

    @Test
    void halfPrecisionKernelsReadTheConvertedCopies() {
        LaunchShape shape = LaunchShape.of(Precision.FP16, 128);
        DeviceLayout l = DeviceLayout.of(2, 1, 128, Precision.FP16, shape, 70, 130, false);
        KernelParams.Addresses a = l.addresses(4096);
        assertEquals(4096 + l.q16(), a.q());
        assertEquals(4096 + l.k16(), a.k());
        assertEquals(4096 + l.v16(), a.v());
        assertEquals(4096 + l.acc(), a.acc(), "the state stays fp32");
    }
}
