package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.HeldState;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Problem;
import org.ringattention.attention.Queries;
import org.ringattention.attention.ReferenceAttention;
import org.ringattention.attention.TokenIndex;

/**
 * The GPU kernel's host code on a {@link SimulatedCuda} device: results against float64, and what every
 * call costs in copies, bytes, allocations and waits, pinned to the numbers the layout gives. A ring step
 * is one {@link GpuAttentionKernel#accumulate(HeldState, KeysValues)} on a held state.
 */
class HostPathTest {

    private static final AttentionSpec SPEC = AttentionSpec.of(4, 2, 64, true);

    private static Problem problem(int rows, long seed) {
        return Problem.random(new SplittableRandom(seed), rows, SPEC.queryHeads(), SPEC.kvHeads(), SPEC.headDim(),
                SPEC.causal(), 3, 1f);
    }

    private static KeysValues keys(Problem p, int from, int to) {
        int w = SPEC.kvRowWidth();
        KeysValues kv = p.keysValues();
        return new KeysValues(Arrays.copyOfRange(kv.k(), from * w, to * w), Arrays.copyOfRange(kv.v(), from * w, to * w),
                kv.index().slice(from, to));
    }

    private static double worst(AttentionResult got, ReferenceAttention.Result want) {
        double worst = 0;
        for (int i = 0; i < want.out().length; i++) {
            worst = Math.max(worst, Math.abs(got.out()[i] - want.out()[i]));
        }
        for (int i = 0; i < want.lse().length; i++) {
            boolean bothEmpty = want.lse()[i] == Double.NEGATIVE_INFINITY && got.lse()[i] == Float.NEGATIVE_INFINITY;
            worst = Math.max(worst, bothEmpty ? 0 : Math.abs(got.lse()[i] - want.lse()[i]));
        }
        return worst;
    }

    @Test
    void aHeldStateFoldedShardByShardAgreesWithFloat64AndWithOneCallBitForBit() {
        Problem p = problem(300, 1);
        SimulatedCuda cuda = new SimulatedCuda();
        GpuRuntime.Device device = SimulatedCuda.device(0, cuda);
        AttentionState oneCall = AttentionState.empty(SPEC, 300);
        AttentionState held;
        try (GpuAttentionKernel kernel = GpuAttentionKernel.open(device, Precision.FP32, 128)) {
            try (HeldState h = kernel.hold(SPEC, p.queries(), AttentionState.empty(SPEC, 300))) {
                for (int[] shard : new int[][] {{0, 100}, {100, 250}, {250, 300}}) {
                    kernel.accumulate(h, keys(p, shard[0], shard[1]));
                }
                held = kernel.state(h);
            }
            for (int[] shard : new int[][] {{0, 100}, {100, 250}, {250, 300}}) {
                kernel.accumulate(SPEC, p.queries(), keys(p, shard[0], shard[1]), oneCall);
            }
        }
        assertArrayEquals(oneCall.acc(), held.acc());
        assertArrayEquals(oneCall.m(), held.m());
        assertArrayEquals(oneCall.l(), held.l());
        double e = worst(held.finish(), ReferenceAttention.compute(SPEC, p.queries(), p.keysValues()));
        assertTrue(e < 1e-5, "max abs error against float64: " + e);
    }

    @Test
    void aContinuedStateIsCopiedInAfterQueriesAreConvertedForTensorCores() {
        Problem p = problem(300, 2);
        SimulatedCuda cuda = new SimulatedCuda();
        AttentionState state = AttentionState.empty(SPEC, 300);
        try (GpuAttentionKernel kernel = GpuAttentionKernel.open(SimulatedCuda.device(0, cuda), Precision.BF16, 128)) {
            kernel.accumulate(SPEC, p.queries(), keys(p, 0, 130), state);
            kernel.accumulate(SPEC, p.queries(), keys(p, 130, 300), state);
        }
        assertTrue(cuda.launched().contains("ra_fwd_bf16_d64"), "ran the tensor-core kernel: " + cuda.launched());
        // Against float64 on the fp32 inputs: bf16 rounding of Q, K, V is all the error (the simulated kernel
        // computes in double on the rounded inputs).
        double e = worst(state.finish(), ReferenceAttention.compute(SPEC, p.queries(), p.keysValues()));
        assertTrue(e > 1e-4 && e < 3e-2, "bf16 inputs move O and LSE by a few 1e-3: " + e);
    }

    /**
     * A ring step on a held state: the KV shard goes in with one copy per chunk (chunk c + 2 waits for
     * chunk c's slot), nothing comes back, nothing is allocated, and the host waits once at the end; the
     * hold and the final state cost one copy each way. After the first step (warm-up: slots and pinned
     * staging), steps allocate nothing.
     */
    @Test
    void aRingStepCopiesOnlyItsShardInAndAllocatesNothing() {
        Problem p = problem(600, 3);
        SimulatedCuda cuda = new SimulatedCuda();
        GpuRuntime.Device device = SimulatedCuda.device(0, cuda);
        int chunk = 128;
        try (GpuAttentionKernel kernel = GpuAttentionKernel.open(device, Precision.FP32, chunk)) {
            Queries queries = new Queries(Arrays.copyOfRange(p.queries().q(), 0, 200 * SPEC.queryRowWidth()),
                    p.queries().index().slice(0, 200));
            SimulatedCuda.Counts before = cuda.counts();
            HeldState h = kernel.hold(SPEC, queries, AttentionState.empty(SPEC, 200));
            SimulatedCuda.Counts hold = cuda.counts().minus(before);
            LaunchShape shape = LaunchShape.of(Precision.FP32, 64);
            DeviceLayout.QuerySide qs = DeviceLayout.querySide(SPEC.queryHeads(), 64, shape, 200, true);
            assertEquals(new SimulatedCuda.Counts(1, qs.inputBytes(), 0, 0, 2, 0, 1, 1), hold,
                    "hold: positions, segments and Q in one copy; the empty state written on the device; "
                            + "allocations: the part (first use of the pool) and pinned staging");

            for (int step = 0; step < 3; step++) {
                before = cuda.counts();
                kernel.accumulate(h, keys(p, 200 * step, 200 * step + 200));
                SimulatedCuda.Counts fold = cuda.counts().minus(before);
                long bytes = DeviceLayout.keySide(SPEC.kvHeads(), 64, shape, chunk, true).inputBytes()
                        + DeviceLayout.keySide(SPEC.kvHeads(), 64, shape, 72, true).inputBytes();
                // 200 keys: chunks of 128 and 72; per chunk tile bounds and the attention kernel.
                assertEquals(new SimulatedCuda.Counts(2, bytes, 0, 0, step == 0 ? 2 : 0, step == 0 ? 1 : 0,
                        step == 0 ? 2 : 1, 4), fold, "step " + step
                        + (step == 0 ? " (warm-up: slots from the pool, pinned staging grown once, freeing the old)" : ""));
            }
            before = cuda.counts();
            AttentionState s = kernel.state(h);
            assertEquals(new SimulatedCuda.Counts(0, 0, 1, qs.stateBytes(), 0, 0, 1, 0), cuda.counts().minus(before),
                    "the state comes back in one copy");
            before = cuda.counts();
            h.close();
            assertEquals(new SimulatedCuda.Counts(0, 0, 0, 0, 0, 0, 0, 0), cuda.counts().minus(before),
                    "closing gives the memory back to the pool: no cuMemFree, which would wait for the device");
            AttentionResult want = kernel.attend(SPEC, queries, keys(p, 0, 600));
            assertArrayEquals(want.out(), s.finish().out(), 1e-6f);
        }
    }

    @Test
    void longShardsWaitForTheirSlotOncePerChunkBeyondTwo() {
        Problem p = problem(600, 4);
        SimulatedCuda cuda = new SimulatedCuda();
        try (GpuAttentionKernel kernel = GpuAttentionKernel.open(SimulatedCuda.device(0, cuda), Precision.FP32, 64)) {
            HeldState h = kernel.hold(SPEC, p.queries(), AttentionState.empty(SPEC, 600));
            kernel.accumulate(h, keys(p, 0, 600));
            SimulatedCuda.Counts before = cuda.counts();
            kernel.accumulate(h, keys(p, 0, 600));
            SimulatedCuda.Counts fold = cuda.counts().minus(before);
            assertEquals(10, fold.copiesIn(), "600 keys in 10 chunks of 64 or less");
            assertEquals(8 + 1, fold.synchronizations(), "chunks 2..9 wait for the slot chunk c - 2 used, then the end");
            assertEquals(0, fold.allocations());
            h.close();
        }
    }

    @Test
    void aCallAndAMassCallAllocateNothingOnceWarm() {
        Problem p = problem(300, 5);
        SimulatedCuda cuda = new SimulatedCuda();
        try (GpuAttentionKernel kernel = GpuAttentionKernel.open(SimulatedCuda.device(0, cuda), Precision.FP32)) {
            AttentionResult first = kernel.attend(SPEC, p.queries(), p.keysValues());
            kernel.attentionMass(SPEC, p.queries(), first.lse(), p.keysValues());
            SimulatedCuda.Counts before = cuda.counts();
            AttentionResult again = kernel.attend(SPEC, p.queries(), p.keysValues());
            assertEquals(new SimulatedCuda.Counts(2, cuda.counts().minus(before).bytesIn(), 1,
                    DeviceLayout.querySide(4, 64, LaunchShape.of(Precision.FP32, 64), 300, true).stateBytes(), 0, 0, 1, 3),
                    cuda.counts().minus(before), "one call: queries in, keys in, state out, one wait");
            assertArrayEquals(first.out(), again.out());
            before = cuda.counts();
            float[] mass = kernel.attentionMass(SPEC, p.queries(), first.lse(), p.keysValues());
            SimulatedCuda.Counts c = cuda.counts().minus(before);
            assertEquals(new SimulatedCuda.Counts(1, c.bytesIn(), 1, mass.length * 4L, 0, 0, 1, 1), c,
                    "a mass call: inputs in one copy, the mass out in one, one wait");
            double[] want = ReferenceAttention.attentionMass(SPEC, p.queries(), p.keysValues());
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], mass[i], 1e-5 * Math.max(1, want[i]), "mass " + i);
            }
        }
    }

    /**
     * Out of memory on either side is split there and gives the unsplit result: a device with little
     * memory makes the query side hold its rows as several parts (every chunk then runs once per part) and
     * the key side halve its chunks.
     */
    @Test
    void outOfMemorySplitsTheSideThatOverflowed() {
        Problem p = problem(3000, 6);
        AttentionState whole = AttentionState.empty(SPEC, 3000);
        SimulatedCuda roomy = new SimulatedCuda();
        try (GpuAttentionKernel kernel = GpuAttentionKernel.open(SimulatedCuda.device(0, roomy), Precision.FP32)) {
            kernel.accumulate(SPEC, p.queries(), p.keysValues(), whole);
        }
        assertEquals(1, roomy.launched().stream().filter(k -> k.startsWith("ra_fwd_")).count(), "one part, one chunk");

        // Query side of 3000 rows: 3.2 MB (4 MiB blocks); key slots of 3000 keys: 3.2 MB. 6 MiB holds neither whole.
        SimulatedCuda small = new SimulatedCuda();
        small.limitMemory(6L << 20);
        AttentionState split = AttentionState.empty(SPEC, 3000);
        try (GpuAttentionKernel kernel = GpuAttentionKernel.open(SimulatedCuda.device(0, small), Precision.FP32)) {
            kernel.accumulate(SPEC, p.queries(), p.keysValues(), split);
        }
        long launches = small.launched().stream().filter(k -> k.startsWith("ra_fwd_")).count();
        assertTrue(launches >= 4, "more than one part and more than one chunk: " + launches + " launches");
        float[] a = whole.finish().out();
        float[] b = split.finish().out();
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-6f, "O at " + i);
        }
    }

    @Test
    void aStateHeldOnOneGpuIsRefusedOnAnother() {
        Problem p = problem(100, 7);
        SimulatedCuda cuda = new SimulatedCuda();
        try (GpuAttentionKernel zero = GpuAttentionKernel.open(SimulatedCuda.device(0, cuda), Precision.FP32);
             GpuAttentionKernel one = GpuAttentionKernel.open(SimulatedCuda.device(1, new SimulatedCuda()), Precision.FP32);
             HeldState h = zero.hold(SPEC, p.queries(), AttentionState.empty(SPEC, 100))) {
            assertTrue(zero.continues(h));
            assertTrue(!one.continues(h));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> one.accumulate(h, p.keysValues()));
            assertTrue(e.getMessage().startsWith("the state is not held on simulated GPU 1"), e.getMessage());
        }
    }

    /**
     * The simulated device runs queued work only when the host waits for it, so a host that reads a result
     * early, or overwrites staging a copy has not read yet, gets wrong numbers: these tests can fail.
     */
    @Test
    void theSimulatedDeviceRunsQueuedWorkOnlyWhenWaitedFor() {
        SimulatedCuda cuda = new SimulatedCuda();
        CudaApi.Stream stream = cuda.createStream();
        CudaApi.Pinned pinned = cuda.allocPinned(8);
        long device = cuda.alloc(8);
        pinned.bytes().putFloat(0, 1f);
        cuda.copyToDevice(device, pinned, 0, 4, stream);
        pinned.bytes().putFloat(0, 2f);
        cuda.copyToHost(pinned, 4, device, 4, stream);
        assertEquals(0f, pinned.bytes().getFloat(4), "not yet copied back");
        cuda.synchronize(stream, "test");
        assertEquals(2f, pinned.bytes().getFloat(4), "the copy read the staging when it ran, after the host changed it");
        assertThrows(AssertionError.class, () -> cuda.copyToDevice(device + 4, pinned, 0, 8, stream),
                "a copy past the allocation's end");
    }

    @Test
    void emptyQueriesOrKeysCostNothing() {
        SimulatedCuda cuda = new SimulatedCuda();
        try (GpuAttentionKernel kernel = GpuAttentionKernel.open(SimulatedCuda.device(0, cuda), Precision.FP32)) {
            Queries none = new Queries(new float[0], new TokenIndex(new int[0], null));
            SimulatedCuda.Counts before = cuda.counts();
            try (HeldState h = kernel.hold(SPEC, none, AttentionState.empty(SPEC, 0))) {
                kernel.accumulate(h, new KeysValues(new float[0], new float[0], new TokenIndex(new int[0], null)));
                assertEquals(0, kernel.state(h).rows());
            }
            SimulatedCuda.Counts c = cuda.counts().minus(before);
            assertEquals(0, c.copiesIn() + c.copiesOut() + c.allocations() + c.launches(), c.toString());
        }
    }
}
