package org.ringattention.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.backend.Device;
import org.ringattention.backend.StandInBackends;
import org.ringattention.backend.StandInGpuDriver;
import org.ringattention.gpu.DeviceLayout;
import org.ringattention.gpu.LaunchShape;
import org.ringattention.gpu.Precision;
import org.ringattention.gpu.SimulatedCuda;
import scala.Tuple2;

/**
 * A ring position's queries and state stay on the GPU across its ring steps: the ring's own code
 * ({@link Scatter}, {@link RingStep}) run outside Spark, step by step as RingAttention's jobs run it, on a
 * stand-in GPU whose simulated device counts what crosses the bus. Pins what a step, a finish and a state
 * rebuilt elsewhere cost, and that a rebuilt state gives the same bits as the held one.
 */
class HeldRingStateTest {

    private static final AttentionSpec SPEC = AttentionSpec.of(2, 1, 64, true);
    private static final int P = 4;
    private static final int LENGTH = 600;
    private static final int ROWS = LENGTH / P;

    private final StandInGpuDriver driver = new StandInGpuDriver();
    private final StandInBackends backends = new StandInBackends(driver);

    private record Ring(ShippedSpec shipped, RingPlan plan, HomeShard[] home, float[] q, float[] k, float[] v) {
    }

    private static Ring ring(RingConfig config) throws Exception {
        SplittableRandom random = new SplittableRandom(2310_01889L);
        float[] q = gaussian(random, LENGTH * SPEC.queryRowWidth());
        float[] k = gaussian(random, LENGTH * SPEC.kvRowWidth());
        float[] v = gaussian(random, LENGTH * SPEC.kvRowWidth());
        ShippedSpec shipped = ShippedSpec.of(SPEC);
        RingPlan plan = RingPlan.of(List.of(new RingPlan.DocumentInfo("doc", LENGTH, 0, 0)), P, config.layoutFor(true),
                true, 0);
        Scatter scatter = new Scatter(shipped, plan, config);
        Map<Integer, List<Tuple2<Integer, Scatter.Piece>>> received = new HashMap<>();
        for (DocumentBlock b : DocumentBlock.split("doc", SPEC, q, k, v, null, 128)) {
            scatter.pieces(b).forEachRemaining(t -> received.computeIfAbsent(t._1(), r -> new ArrayList<>()).add(t));
        }
        HomeShard[] home = new HomeShard[P];
        for (int r = 0; r < P; r++) {
            home[r] = scatter.assemble(r, received.get(r).iterator()).next();
            assertEquals(ROWS, home[r].rows());
        }
        return new Ring(shipped, plan, home, q, k, v);
    }

    /** What a test does around each fold and finish: (step, or P for the finish; position). */
    private interface Around {
        StepState previous(int step, int position, StepState kept);
    }

    /**
     * The ring's steps and finish as RingAttention's jobs run them, position after position: at step t,
     * position r folds the shard it holds while the one position r - 1 holds arrives. {@code cost} hears
     * the device counts of every fold and finish.
     */
    private float[] run(Ring ring, RingConfig config, Around around, BiConsumer<String, SimulatedCuda.Counts> cost)
            throws Exception {
        RingStep step = new RingStep(ring.shipped(), ring.plan(), config, "run-" + System.nanoTime(),
                c -> backends.open(c.device(), c.precision(), c.blockSize(), c.threads()));
        StepState[] state = new StepState[P];
        KvShard[] held = new KvShard[P];
        for (int r = 0; r < P; r++) {
            held[r] = ring.home()[r].ringKv();
        }
        for (int t = 0; t < P; t++) {
            StepState[] next = new StepState[P];
            for (int r = 0; r < P; r++) {
                Iterator<KvShard> arriving = t + 1 < P ? List.of(held[(r + P - 1) % P]).iterator() : null;
                SimulatedCuda.Counts before = counts();
                next[r] = step.fold(t, ring.home()[r], around.previous(t, r, state[r]), held[r], arriving);
                cost.accept("step " + t + " position " + r, counts().minus(before));
            }
            state = next;
            for (int r = 0; r < P; r++) {
                held[r] = state[r].next();
            }
        }
        float[] out = new float[LENGTH * SPEC.queryRowWidth()];
        for (int r = 0; r < P; r++) {
            SimulatedCuda.Counts before = counts();
            Iterator<OutputBlock> blocks = step.finish(ring.home()[r], around.previous(P, r, state[r]));
            cost.accept("finish position " + r, counts().minus(before));
            while (blocks.hasNext()) {
                OutputBlock b = blocks.next();
                for (int i = 0; i < b.positions().length; i++) {
                    System.arraycopy(b.out(), i * SPEC.queryRowWidth(), out, b.positions()[i] * SPEC.queryRowWidth(),
                            SPEC.queryRowWidth());
                }
            }
        }
        return out;
    }

    private SimulatedCuda.Counts counts() {
        SimulatedCuda cuda = driver.cuda(0);
        return cuda == null ? new SimulatedCuda.Counts(0, 0, 0, 0, 0, 0, 0, 0) : cuda.counts();
    }

    private static final Around AS_SPARK_KEEPS_IT = (t, r, kept) -> kept;

    /** The bytes of one copy: a position's queries (positions, segments, Q), or a shard of it as keys. */
    private static long queryBytes() {
        return DeviceLayout.querySide(SPEC.queryHeads(), SPEC.headDim(), LaunchShape.serving(Precision.FP32, 64), ROWS, true)
                .inputBytes();
    }

    private static long shardBytes() {
        return DeviceLayout.keySide(SPEC.kvHeads(), SPEC.headDim(), LaunchShape.serving(Precision.FP32, 64), ROWS, true)
                .inputBytes();
    }

    private static long stateBytes() {
        return DeviceLayout.querySide(SPEC.queryHeads(), SPEC.headDim(), LaunchShape.serving(Precision.FP32, 64), ROWS, true)
                .stateBytes();
    }

    @Test
    void queriesAndStateStayOnTheGpuAndComeBackOnceAtTheFinish() throws Exception {
        RingConfig config = RingConfig.of(P).withBlockSize(64).withDevice(Device.GPU);
        Ring ring = ring(config);
        // The first run warms the executor up: self-check, kernels, key slots, pinned staging, held blocks.
        float[] warm = run(ring, config, AS_SPARK_KEEPS_IT, (what, c) -> { });
        Map<String, SimulatedCuda.Counts> costs = new HashMap<>();
        float[] out = run(ring, config, AS_SPARK_KEEPS_IT, costs::put);
        assertArrayEquals(warm, out, "the same bits on every run");
        for (int r = 0; r < P; r++) {
            // Step 0 holds the position's queries (one copy in, one wait) and folds its own shard.
            assertEquals(new SimulatedCuda.Counts(2, queryBytes() + shardBytes(), 0, 0, 0, 0, 2, 3),
                    costs.get("step 0 position " + r), "step 0 position " + r);
            for (int t = 1; t < P; t++) {
                assertEquals(new SimulatedCuda.Counts(1, shardBytes(), 0, 0, 0, 0, 1, 2),
                        costs.get("step " + t + " position " + r), "step " + t + ": the shard in, nothing out, one wait");
            }
            assertEquals(new SimulatedCuda.Counts(0, 0, 1, stateBytes(), 0, 0, 1, 0), costs.get("finish position " + r),
                    "the state comes back once, at the finish");
        }
        assertClose(cpuResult(ring), out, 1e-5);
    }

    /**
     * A task that does not find its position's state on its executor (another executor, a retry) rebuilds it
     * from what Spark kept: here, before every step, so the replay grows with the steps since the last host
     * copy, and the result is the held run's, bit for bit.
     */
    @Test
    void aStateRebuiltWhereItIsNotHeldGivesTheSameBits() throws Exception {
        RingConfig config = RingConfig.of(P).withBlockSize(64).withDevice(Device.GPU);
        Ring ring = ring(config);
        float[] held = run(ring, config, AS_SPARK_KEEPS_IT, (what, c) -> { });
        Map<String, SimulatedCuda.Counts> costs = new HashMap<>();
        Around elsewhere = (t, r, kept) -> kept == null ? null : new StepState(kept.acc(), kept.m(), kept.l(),
                kept.copyStep(), kept.since(), null, kept.next(), kept.kvBytes(), kept.kernelNanos());
        float[] rebuilt = run(ring, config, elsewhere, costs::put);
        assertArrayEquals(held, rebuilt);
        for (int t = 1; t < P; t++) {
            SimulatedCuda.Counts c = costs.get("step " + t + " position 1");
            assertEquals(2 + t, c.copiesIn(), "step " + t + ": queries, the " + t + " shards folded since the start, this one");
            assertEquals(queryBytes() + (t + 1) * shardBytes(), c.bytesIn());
            assertEquals(0, c.copiesOut());
        }
        assertEquals(1 + P, costs.get("finish position 2").copiesIn(), "the finish rebuilds too: queries and P shards");
    }

    @Test
    void everyCheckpointIntervalStepsTheStateComesHomeAndTheShardsKeptForARebuildAreDropped() throws Exception {
        RingConfig config = RingConfig.of(P).withBlockSize(64).withDevice(Device.GPU).withCheckpointInterval(2);
        Ring ring = ring(config);
        run(ring, config, AS_SPARK_KEEPS_IT, (what, c) -> { });
        Map<String, SimulatedCuda.Counts> costs = new HashMap<>();
        List<StepState> seen = new ArrayList<>();
        Around watch = (t, r, kept) -> {
            if (r == 0 && kept != null) {
                seen.add(kept);
            }
            return kept;
        };
        float[] out = run(ring, config, watch, costs::put);
        assertEquals(List.of(0L, 1L, 0L, 1L), List.of(0, 1, 2, 3).stream()
                .map(t -> costs.get("step " + t + " position 0").copiesOut()).toList(), "a copy home after steps 1 and 3");
        assertEquals(List.of(-1, 1, 1, 3), seen.stream().map(StepState::copyStep).toList());
        assertEquals(List.of(1, 0, 1, 0), seen.stream().map(s -> s.since().size()).toList(),
                "shards folded since the last copy, for a rebuild");
        assertNull(seen.get(0).acc(), "no host copy before the first");
        assertNotNull(seen.get(1).acc());
        assertEquals(new SimulatedCuda.Counts(0, 0, 0, 0, 0, 0, 0, 0), costs.get("finish position 0"),
                "the last step's copy is the result: the finish only frees the held state");
        assertClose(cpuResult(ring), out, 1e-5);
    }

    @Test
    void onTheCpuEveryStepKeepsItsStateAndNothingIsHeld() throws Exception {
        RingConfig config = RingConfig.of(P).withBlockSize(64);
        Ring ring = ring(config);
        List<StepState> seen = new ArrayList<>();
        float[] out = run(ring, config, (t, r, kept) -> {
            if (kept != null) {
                seen.add(kept);
            }
            return kept;
        }, (what, c) -> { });
        assertEquals(P * P, seen.size());
        for (StepState s : seen) {
            assertNull(s.heldToken());
            assertTrue(s.since().isEmpty());
            assertNotNull(s.acc());
        }
        assertClose(cpuResult(ring), out, 1e-5);
    }

    private static float[] cpuResult(Ring ring) {
        try (CpuAttentionKernel cpu = CpuAttentionKernel.create(64, 1)) {
            TokenIndex index = TokenIndex.contiguous(0, LENGTH, null);
            AttentionResult r = cpu.attend(SPEC, new Queries(ring.q(), index), new KeysValues(ring.k(), ring.v(), index));
            return r.out();
        }
    }

    private static void assertClose(float[] want, float[] got, double tolerance) {
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        assertTrue(worst <= tolerance, "max abs difference " + worst);
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() + random.nextDouble() + random.nextDouble() - 1.5);
        }
        return x;
    }
}
