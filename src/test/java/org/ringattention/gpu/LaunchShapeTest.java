package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LaunchShapeTest {

    @Test
    void fp32PadsTheHeadDimensionUpToACompiledKernel() {
        assertEquals("ra_fwd_f32_d32", LaunchShape.of(Precision.FP32, 1).function());
        assertEquals("ra_fwd_f32_d64", LaunchShape.of(Precision.FP32, 33).function());
        assertEquals("ra_fwd_f32_d128", LaunchShape.of(Precision.FP32, 96).function());
        assertEquals("ra_fwd_f32_d256", LaunchShape.of(Precision.FP32, 256).function());
        LaunchShape s = LaunchShape.of(Precision.FP32, 128);
        assertEquals(64, s.blockM());
        assertEquals(32, s.blockN());
        assertEquals(128, s.threads());
        // Q 64 x 129, K and V 32 x 129, P 64 x 33 floats, 2 x 32 ints.
        assertEquals((64 * 129 + 2 * 32 * 129 + 64 * 33) * 4 + 256, s.sharedBytes());
    }

    @Test
    void tensorCoreKernelsTakeD64And128Only() {
        LaunchShape bf16 = LaunchShape.of(Precision.BF16, 128);
        assertEquals("ra_fwd_bf16_d128", bf16.function());
        assertEquals(Precision.BF16, bf16.precision());
        assertEquals(128, bf16.blockM(), "FlashAttention-2's query tile: 4 warps of 32 rows");
        assertEquals(64, bf16.blockN());
        assertEquals(128, bf16.threads());
        // Q 128 rows, K and V two stages of 64 rows each, rows of 136 bf16; positions and segments of both stages.
        assertEquals((128 + 4 * 64) * 136 * 2 + 4 * 64 * 4, bf16.sharedBytes());
        assertTrue(bf16.sharedBytes() <= 163 * 1024, "within sm_80's opt-in shared memory");
        assertEquals("ra_fwd_f16_d64", LaunchShape.of(Precision.FP16, 64).function());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchShape.of(Precision.BF16, 96));
        assertEquals("the BF16 GPU kernels take head dimension 64 or 128, not 96; use fp32 on the GPU or --device cpu",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LaunchShape.of(Precision.FP32, 513));
    }

    @Test
    void aTensorCoreRequestIsServedByTheFp32KernelWhereNoneIsCompiled() {
        assertEquals("ra_fwd_bf16_d64", LaunchShape.serving(Precision.BF16, 64).function());
        assertEquals("ra_fwd_f32_d32", LaunchShape.serving(Precision.BF16, 32).function(), "the encoder's heads");
        assertEquals("ra_fwd_f32_d512", LaunchShape.serving(Precision.BF16, 384).function(), "sentence vectors");
        assertEquals(Precision.FP32, LaunchShape.serving(Precision.BF16, 384).precision());
        assertEquals("ra_fwd_f32_d128", LaunchShape.serving(Precision.FP32, 128).function());
    }

    @Test
    void headDimensionsBeyond256TakeTheNarrowTile() {
        for (int d : new int[] {257, 384, 385, 512}) {
            LaunchShape s = LaunchShape.of(Precision.FP32, d);
            assertEquals("ra_fwd_f32_d512", s.function());
            assertEquals(16, s.blockM());
            assertEquals(16, s.blockN());
            // Q 16 x 513, K and V 16 x 513, P 16 x 17 floats, 2 x 16 ints: within sm_80's 163 KB.
            assertEquals((16 * 513 + 2 * 16 * 513 + 16 * 17) * 4 + 128, s.sharedBytes());
            assertTrue(s.sharedBytes() <= 163 * 1024);
        }
    }

    @Test
    void massKernelsTileKeysAndWalkQueries() {
        LaunchShape m = LaunchShape.mass(32);
        assertEquals("ra_mass_f32_d32", m.function());
        assertEquals(64, m.blockM());
        assertEquals(32, m.blockN());
        assertEquals((64 + 32) * 33 * 4 + 3 * 32 * 4, m.sharedBytes());
        assertEquals(2, m.queryTiles(65), "one thread block per 64 keys");
        LaunchShape wide = LaunchShape.mass(385);
        assertEquals("ra_mass_f32_d512", wide.function());
        assertEquals(16, wide.blockM());
        assertTrue(wide.sharedBytes() <= 163 * 1024);
        assertThrows(IllegalArgumentException.class, () -> LaunchShape.mass(513));
    }

    @Test
    void tileCountsRoundUp() {
        LaunchShape s = LaunchShape.of(Precision.BF16, 64);
        assertEquals(1, s.queryTiles(1));
        assertEquals(1, s.queryTiles(128));
        assertEquals(2, s.queryTiles(129));
        assertEquals(16, s.keyTiles(1000));
    }

    /** Every kernel a shape can name is defined in attention.cu, and every defined forward kernel is reachable. */
    @Test
    void namesExactlyTheKernelsOfTheCudaSource() throws IOException {
        String source = Files.readString(Path.of("src/main/cuda/attention.cu"));
        int checked = 0;
        for (int d : LaunchShape.FP32_DIMS) {
            assertTrue(source.contains(" " + LaunchShape.of(Precision.FP32, d).function() + "(const AttnParams p)"), "f32 d" + d);
            checked++;
        }
        for (Precision p : new Precision[] {Precision.BF16, Precision.FP16}) {
            for (int d : LaunchShape.MMA_DIMS) {
                assertTrue(source.contains(" " + LaunchShape.of(p, d).function() + "(const AttnParams p)"), p + " d" + d);
                checked++;
            }
        }
        assertEquals(9, checked);
        assertEquals(checked, source.split("\\(const AttnParams p\\) \\{ fwd_", -1).length - 1);
        int masses = 0;
        for (int d : LaunchShape.FP32_DIMS) {
            assertTrue(source.contains(" " + LaunchShape.mass(d).function() + "(const AttnParams p)"), "mass d" + d);
            masses++;
        }
        assertEquals(5, masses);
        assertEquals(masses, source.split("\\(const AttnParams p\\) \\{ mass_", -1).length - 1);
    }
}
