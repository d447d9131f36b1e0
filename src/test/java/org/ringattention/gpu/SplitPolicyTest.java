package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.CpuAttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.ReferenceAttention;
import org.ringattention.attention.TokenIndex;

class SplitPolicyTest {

    private static final LaunchShape SHAPE = LaunchShape.of(Precision.BF16, 64);

    @Test
    void halvesKeysFirstOnTileEdges() {
        List<SplitPolicy.Block> halves = SplitPolicy.split(new SplitPolicy.Block(10, 500, 0, 1000), SHAPE);
        assertEquals(List.of(new SplitPolicy.Block(10, 500, 0, 512), new SplitPolicy.Block(10, 500, 512, 1000)), halves);
    }

    @Test
    void halvesQueriesOnceKeysAreOneTile() {
        List<SplitPolicy.Block> halves = SplitPolicy.split(new SplitPolicy.Block(0, 130, 64, 128), SHAPE);
        assertEquals(List.of(new SplitPolicy.Block(0, 128, 64, 128), new SplitPolicy.Block(128, 130, 64, 128)), halves);
    }

    @Test
    void oneTileByOneTileCannotBeSplit() {
        assertEquals(List.of(), SplitPolicy.split(new SplitPolicy.Block(0, 64, 0, 64), SHAPE));
        assertEquals(List.of(), SplitPolicy.split(new SplitPolicy.Block(5, 6, 7, 8), SHAPE));
    }

    @Test
    void everySplitMakesBothHalvesSmallerAndCoversTheBlock() {
        SplittableRandom random = new SplittableRandom(6);
        int checked = 0;
        for (int trial = 0; trial < 500; trial++) {
            int q0 = random.nextInt(100);
            int k0 = random.nextInt(100);
            SplitPolicy.Block b = new SplitPolicy.Block(q0, q0 + 1 + random.nextInt(300), k0, k0 + 1 + random.nextInt(300));
            List<SplitPolicy.Block> halves = SplitPolicy.split(b, SHAPE);
            if (halves.isEmpty()) {
                assertTrue(b.queryRows() <= 64 && b.keyRows() <= 64);
                continue;
            }
            SplitPolicy.Block x = halves.get(0);
            SplitPolicy.Block y = halves.get(1);
            assertTrue(x.queryRows() * (long) x.keyRows() < b.queryRows() * (long) b.keyRows());
            assertTrue(y.queryRows() * (long) y.keyRows() < b.queryRows() * (long) b.keyRows());
            boolean keySplit = x.kTo() == y.kFrom();
            if (keySplit) {
                assertEquals(b, new SplitPolicy.Block(x.qFrom(), x.qTo(), x.kFrom(), y.kTo()));
                assertEquals(0, (x.kTo() - b.kFrom()) % 64, "cut on a key tile edge");
            } else {
                assertEquals(b, new SplitPolicy.Block(x.qFrom(), y.qTo(), x.kFrom(), x.kTo()));
                assertEquals(0, (x.qTo() - b.qFrom()) % 64, "cut on a query tile edge");
            }
            checked++;
        }
        assertTrue(checked > 400, "checked " + checked);
    }

    @Test
    void unsplittableBlockFailsNamingItsSize() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SplitPolicy.runSplitting(
                new SplitPolicy.Block(0, 100, 0, 100), SHAPE, b -> {
                    throw new SplitPolicy.TooLarge("GPU 0: out of memory", null);
                }, m -> { }));
        assertEquals("even 64 queries x 64 keys do not fit (GPU 0: out of memory); free GPU memory or use --device cpu",
                e.getMessage());
    }

    /**
     * Splitting on out-of-memory is exact: a "device" that refuses blocks over a budget, emulated with the
     * CPU kernel on each sub-block as the GPU kernel runs it (state rows in, keys folded, state out), gives
     * what one unsplit call gives, within fp32 rounding of the float64 reference.
     */
    @Test
    void splitRunsAgreeWithTheUnsplitResult() {
        AttentionSpec spec = AttentionSpec.of(4, 2, 16, true);
        int s = 301;
        Random random = new Random(2310_01889L);
        int[] segments = new int[s];
        for (int i = 0; i < s; i++) {
            segments[i] = i < 120 ? 0 : i < 250 ? 1 : 2;
        }
        TokenIndex index = TokenIndex.contiguous(0, s, segments);
        Queries queries = new Queries(gaussian(random, s * spec.queryRowWidth()), index);
        KeysValues kv = new KeysValues(gaussian(random, s * spec.kvRowWidth()), gaussian(random, s * spec.kvRowWidth()), index);
        ReferenceAttention.Result reference = ReferenceAttention.compute(spec, queries, kv);

        AttentionState state = AttentionState.empty(spec, s);
        List<SplitPolicy.Block> ran = new ArrayList<>();
        List<String> log = new ArrayList<>();
        try (CpuAttentionKernel cpu = CpuAttentionKernel.create(16, 1)) {
            SplitPolicy.runSplitting(new SplitPolicy.Block(0, s, 0, s), SHAPE, b -> {
                if ((long) b.queryRows() * b.keyRows() > 9000) {
                    throw new SplitPolicy.TooLarge("over budget", null);
                }
                runSubBlock(cpu, spec, queries, kv, state, b);
                ran.add(b);
            }, log::add);
        }
        assertTrue(ran.size() > 4, "the budget forced splits: " + ran);
        assertEquals(ran.size() - 1, log.size(), "one log line per split");
        long covered = 0;
        for (SplitPolicy.Block b : ran) {
            covered += (long) b.queryRows() * b.keyRows();
        }
        assertEquals((long) s * s, covered, "every (query, key) pair ran exactly once");

        AttentionResult result = state.finish();
        double worst = 0;
        for (int i = 0; i < result.out().length; i++) {
            worst = Math.max(worst, Math.abs(result.out()[i] - reference.out()[i]));
        }
        for (int i = 0; i < result.lse().length; i++) {
            worst = Math.max(worst, Math.abs(result.lse()[i] - reference.lse()[i]));
        }
        assertTrue(worst < 1e-5, "max abs error " + worst);
    }

    /** State rows [qFrom, qTo) of {@code state} updated with keys [kFrom, kTo), through copies as on the GPU. */
    private static void runSubBlock(CpuAttentionKernel cpu, AttentionSpec spec, Queries queries, KeysValues kv,
                                    AttentionState state, SplitPolicy.Block b) {
        int qw = spec.queryRowWidth();
        int kw = spec.kvRowWidth();
        int hq = spec.queryHeads();
        int sq = queries.rows();
        int rows = b.queryRows();
        float[] acc = Arrays.copyOfRange(state.acc(), b.qFrom() * qw, b.qTo() * qw);
        float[] m = new float[hq * rows];
        float[] l = new float[hq * rows];
        for (int h = 0; h < hq; h++) {
            System.arraycopy(state.m(), h * sq + b.qFrom(), m, h * rows, rows);
            System.arraycopy(state.l(), h * sq + b.qFrom(), l, h * rows, rows);
        }
        AttentionState sub = AttentionState.of(spec, rows, acc, m, l);
        cpu.accumulate(spec,
                new Queries(Arrays.copyOfRange(queries.q(), b.qFrom() * qw, b.qTo() * qw),
                        queries.index().slice(b.qFrom(), b.qTo())),
                new KeysValues(Arrays.copyOfRange(kv.k(), b.kFrom() * kw, b.kTo() * kw),
                        Arrays.copyOfRange(kv.v(), b.kFrom() * kw, b.kTo() * kw), kv.index().slice(b.kFrom(), b.kTo())),
                sub);
        System.arraycopy(acc, 0, state.acc(), b.qFrom() * qw, rows * qw);
        for (int h = 0; h < hq; h++) {
            System.arraycopy(m, h * rows, state.m(), h * sq + b.qFrom(), rows);
            System.arraycopy(l, h * rows, state.l(), h * sq + b.qFrom(), rows);
        }
    }

    /** {@code n} standard normal floats. */
    static float[] gaussian(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @Test
    void blocksMustBeNonEmpty() {
        assertThrows(IllegalArgumentException.class, () -> new SplitPolicy.Block(3, 3, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new SplitPolicy.Block(0, 1, 4, 2));
    }
}
