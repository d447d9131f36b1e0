package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.ReferenceAttention;
import org.ringattention.attention.TokenIndex;

/**
 * The GPU kernel against the float64 reference, as every backend is tested. On a machine without a
 * working GPU (this project's CI) the test asserts instead that opening the backend fails with the
 * runtime's reason; on a GPU machine it checks every case below and counts them.
 */
class GpuBackendTest {

    /** Set by bench/gpu-check.sh on the GPU machine, where the no-GPU branch would be a false pass. */
    private static final String REQUIRE_GPU = "ringattention.test.requireGpu";

    private record Case(int s, int hq, int hkv, int d, boolean causal, boolean segments, int keyOffset) {
    }

    private static final Case[] FP32_CASES = {
        new Case(1, 1, 1, 1, false, false, 0),
        new Case(333, 4, 2, 48, true, false, 0),
        new Case(1000, 8, 2, 64, true, true, 0),
        new Case(257, 3, 1, 128, false, true, 0),
        new Case(130, 2, 2, 256, true, false, 0),
        // Keys sit after the queries: under the causal mask early query rows see nothing (O = 0, LSE = -inf).
        new Case(200, 2, 1, 32, true, false, 100),
    };

    private static final Case[] BF16_CASES = {
        new Case(777, 4, 1, 64, true, true, 0),
        new Case(1031, 2, 2, 128, false, false, 0),
        new Case(300, 2, 1, 128, true, false, 150),
    };

    @Test
    void agreesWithFloat64OrFailsToOpenWithTheReason() {
        GpuRuntime.Availability a = GpuRuntime.availability();
        if (Boolean.getBoolean(REQUIRE_GPU)) {
            assertTrue(a.usable(), REQUIRE_GPU + " is set but the GPU is unusable: " + a.reason());
        }
        if (!a.usable()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> GpuAttentionKernel.open(0, Precision.FP32));
            assertEquals("no usable GPU: " + a.reason(), e.getMessage());
            return;
        }
        int checked = 0;
        // Chunks of 128 keys: every case of over 256 keys per call reuses a key slot (chunk c waits for c - 2).
        for (int chunk : new int[] {KeyChunks.MAX_KEYS, 128}) {
            try (GpuAttentionKernel fp32 = GpuAttentionKernel.open(0, Precision.FP32, chunk);
                 GpuAttentionKernel bf16 = GpuAttentionKernel.open(0, Precision.BF16, chunk)) {
                for (Case c : FP32_CASES) {
                    check(fp32, c, false, 1e-5);
                    checked++;
                }
                for (Case c : BF16_CASES) {
                    check(bf16, c, true, 2e-3);
                    checked++;
                }
            }
        }
        assertEquals(2 * (FP32_CASES.length + BF16_CASES.length), checked);
    }

    private static void check(GpuAttentionKernel kernel, Case c, boolean roundToBf16, double tolerance) {
        Random random = new Random(31L * c.s() + c.d());
        AttentionSpec spec = AttentionSpec.of(c.hq(), c.hkv(), c.d(), c.causal());
        int[] qSeg = c.segments() ? documents(c.s()) : null;
        int[] kSeg = c.segments() ? documents(c.s()) : null;
        TokenIndex qi = TokenIndex.contiguous(0, c.s(), qSeg);
        TokenIndex ki = TokenIndex.contiguous(c.keyOffset(), c.s(), kSeg);
        float[] q = normals(random, c.s() * spec.queryRowWidth(), roundToBf16);
        float[] k = normals(random, c.s() * spec.kvRowWidth(), roundToBf16);
        float[] v = normals(random, c.s() * spec.kvRowWidth(), roundToBf16);
        Queries queries = new Queries(q, qi);
        ReferenceAttention.Result ref = ReferenceAttention.compute(spec, queries, new KeysValues(k, v, ki));

        // Two calls over the two halves of the keys: the second continues the state the first left.
        AttentionState state = AttentionState.empty(spec, c.s());
        int mid = c.s() / 2;
        int kw = spec.kvRowWidth();
        if (mid > 0) {
            kernel.accumulate(spec, queries, new KeysValues(Arrays.copyOfRange(k, 0, mid * kw),
                    Arrays.copyOfRange(v, 0, mid * kw), ki.slice(0, mid)), state);
        }
        kernel.accumulate(spec, queries, new KeysValues(Arrays.copyOfRange(k, mid * kw, c.s() * kw),
                Arrays.copyOfRange(v, mid * kw, c.s() * kw), ki.slice(mid, c.s())), state);
        AttentionResult got = state.finish();
        double worst = 0;
        for (int i = 0; i < ref.out().length; i++) {
            worst = Math.max(worst, Math.abs(got.out()[i] - ref.out()[i]));
        }
        for (int i = 0; i < ref.lse().length; i++) {
            if (ref.lse()[i] == Double.NEGATIVE_INFINITY) {
                assertEquals(Float.NEGATIVE_INFINITY, got.lse()[i], c + ": row " + i + " saw no key");
            } else {
                worst = Math.max(worst, Math.abs(got.lse()[i] - ref.lse()[i]));
            }
        }
        assertTrue(worst <= tolerance, kernel.name() + " " + c + ": max abs error " + worst);
    }

    /** Three documents of uneven length. */
    private static int[] documents(int s) {
        int[] seg = new int[s];
        for (int i = 0; i < s; i++) {
            seg[i] = i < s / 3 ? 0 : i < s - 5 ? 1 : 2;
        }
        return seg;
    }

    private static float[] normals(Random random, int n, boolean roundToBf16) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            float f = (float) random.nextGaussian();
            if (roundToBf16) {
                // Round to nearest even at bit 16: the value the device's conversion produces.
                int bits = Float.floatToRawIntBits(f);
                bits += 0x7FFF + ((bits >>> 16) & 1);
                f = Float.intBitsToFloat(bits & 0xFFFF0000);
            }
            x[i] = f;
        }
        return x;
    }
}
