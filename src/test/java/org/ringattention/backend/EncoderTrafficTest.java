package org.ringattention.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ringattention.gpu.Precision;
import org.ringattention.gpu.SimulatedCuda;

/**
 * The GPU sentence encoder as an executor's tasks get it ({@link BackendFactory}: self-checked once, kept
 * between tasks), on a stand-in GPU that counts what crosses the bus: a pass copies its token ids in with
 * one copy and its vectors out with one, waits once, and neither allocates nor frees; a later task's
 * encoder is the one the first task closed.
 */
class EncoderTrafficTest {

    /** Token ids, positions, segments (256 x 4 bytes each) and sentence starts (257 x 4), each 256-aligned. */
    private static final long PASS_INPUT_BYTES = 3 * 1024 + 1280;

    @Test
    void anFp32PassCopiesOnceEachWayWaitsOnceAndAllocatesNothing() {
        passes(Precision.FP32, 0.99999, 1 + 2 + 6 * 9 + 1,
                "per pass: embeddings, two tile bounds, per layer 6 GEMMs (bias, GELU and residuals in their"
                        + " epilogue) + attention + 2 LayerNorms, pooling");
    }

    @Test
    void aBf16PassCostsTheSameTrafficAndOneConversionPerLayer() {
        passes(Precision.BF16, 0.999, 1 + 2 + 6 * 10 + 1, "per pass as at fp32, and per layer O converted to bf16 for the"
                + " output projection (LayerNorm and the epilogues write the other GEMM inputs in bf16)");
    }

    private void passes(Precision precision, double minCosine, int launchesPerPass, String launches) {
        StandInGpuDriver driver = new StandInGpuDriver();
        BackendFactory factory = new BackendFactory(driver);
        Placement gpu = new Placement(Device.GPU, precision, 0, m -> { }, false);
        // 40 sentences of 12 tokens: passes of 21 sentences (252 tokens) and 19.
        int[][] ids = new int[40][];
        for (int s = 0; s < ids.length; s++) {
            ids[s] = new int[12];
            ids[s][0] = 101;
            ids[s][11] = 102;
            for (int i = 1; i < 11; i++) {
                ids[s][i] = 1000 + 37 * s + 11 * i;
            }
        }
        float[] want;
        try (EmbeddingBackend cpu = CpuEncoder.open("", StandInGpuDriver.PASS_TOKENS, CpuEncoder.threads(1))) {
            want = cpu.embed(ids);
        }
        List<SimulatedCuda.Counts> tasks = new ArrayList<>();
        for (int task = 0; task < 2; task++) {
            SimulatedCuda.Counts before = driver.cuda(0) == null ? null : driver.cuda(0).counts();
            try (EmbeddingBackend e = factory.encoder(gpu, "", StandInGpuDriver.PASS_TOKENS, CpuEncoder.threads(1))) {
                SimulatedCuda.Counts opened = driver.cuda(0).counts();
                float[] got = e.embed(ids);
                tasks.add(driver.cuda(0).counts().minus(opened));
                if (before != null) {
                    assertEquals(0, opened.minus(before).allocations(), "the second task's encoder is the first one's");
                }
                for (int s = 0; s < ids.length; s++) {
                    double dot = 0;
                    for (int c = 0; c < 384; c++) {
                        dot += (double) got[s * 384 + c] * want[s * 384 + c];
                    }
                    assertTrue(dot >= minCosine, "sentence " + s + " at cosine " + dot + " to the CPU's");
                }
            }
        }
        for (SimulatedCuda.Counts c : tasks) {
            assertEquals(new SimulatedCuda.Counts(2, 2 * PASS_INPUT_BYTES, 2, 40 * 384 * 4L, 0, 0, 2, c.launches()), c,
                    "two passes: one copy in, one out, one wait each");
            assertEquals(2 * launchesPerPass, c.launches(), launches);
        }
    }
}
