package org.ringattention.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every CPU kernel variant against the float64 reference. Tolerance: O max abs error <= 1e-5 for
 * unit-variance inputs; LSE within 1e-5 relative to max(1, |LSE|).
 */
class CpuAttentionKernelTest {

    private static final int[] DIMS = {16, 32, 64, 80, 128};
    private static final int[][] HEADS = {{4, 4}, {4, 2}, {4, 1}, {3, 3}};
    private static List<CpuAttentionKernel> kernels;

    @BeforeAll
    static void kernels() {
        assertTrue(VectorApi.available(), "tests run with --add-modules jdk.incubator.vector");
        kernels = List.of(
                CpuAttentionKernel.withMath("vector", 16, 3),
                CpuAttentionKernel.withMath("vector", 64, 2),
                CpuAttentionKernel.withMath("scalar", 16, 2),
                CpuAttentionKernel.withMath("scalar", 64, 1));
    }

    @AfterAll
    static void close() {
        kernels.forEach(CpuAttentionKernel::close);
    }

    @Test
    void matchesReferenceOverRandomShapes() {
        SplittableRandom random = new SplittableRandom(1);
        int[] lengths = {1, 2, 15, 16, 17, 63, 100, 129, 200};
        int checked = 0;
        for (int trial = 0; trial < 60; trial++) {
            int s = lengths[trial % lengths.length];
            int d = DIMS[trial % DIMS.length];
            int[] heads = HEADS[(trial / 3) % HEADS.length];
            boolean causal = trial % 2 == 0;
            int segments = (trial / 2) % 3 == 0 ? 0 : 1 + random.nextInt(4);
            Problem p = Problem.random(random, s, heads[0], heads[1], d, causal, segments, 1f);
            ReferenceAttention.Result expected = p.reference();
            for (CpuAttentionKernel kernel : kernels) {
                String what = kernel.name() + " B=" + kernel.blockSize() + " S=" + s + " D=" + d + " Hq=" + heads[0]
                        + " Hkv=" + heads[1] + (causal ? " causal" : "") + (segments > 0 ? " segments=" + segments : "");
                Tolerance.assertMatches(kernel.attend(p.spec(), p.queries(), p.keysValues()), expected, 1e-5, what);
                checked++;
            }
        }
        assertEquals(60 * kernels.size(), checked);
    }

    @Test
    void largeLogitsDoNotOverflow() {
        // Q and K scaled by 12: logits have a standard deviation near 144 and reach the hundreds.
        SplittableRandom random = new SplittableRandom(2);
        for (boolean causal : new boolean[] {false, true}) {
            Problem p = Problem.random(random, 150, 2, 1, 64, causal, 0, 12f);
            ReferenceAttention.Result expected = p.reference();
            double maxLse = Arrays.stream(expected.lse()).max().orElseThrow();
            assertTrue(maxLse > 300, "logits reach the hundreds: max LSE " + maxLse);
            for (CpuAttentionKernel kernel : kernels) {
                AttentionResult r = kernel.attend(p.spec(), p.queries(), p.keysValues());
                for (float o : r.out()) {
                    assertTrue(Float.isFinite(o), kernel.name() + " produced " + o);
                }
                // A logit near 500 carries a float32 rounding error near 5e-5, which moves softmax weights
                // by as much; the tolerance says so.
                Tolerance.assertMatches(r, expected, 5e-4, kernel.name() + " large logits");
            }
        }
    }

    @Test
    void vectorAndScalarAgree() {
        SplittableRandom random = new SplittableRandom(3);
        Problem p = Problem.random(random, 333, 8, 2, 80, true, 3, 1f);
        try (CpuAttentionKernel vector = CpuAttentionKernel.withMath("vector", 32, 2);
             CpuAttentionKernel scalar = CpuAttentionKernel.withMath("scalar", 32, 2)) {
            assertEquals("cpu-vector", vector.name());
            assertEquals("cpu-scalar", scalar.name());
            AttentionResult a = vector.attend(p.spec(), p.queries(), p.keysValues());
            AttentionResult b = scalar.attend(p.spec(), p.queries(), p.keysValues());
            double diff = 0;
            for (int i = 0; i < a.out().length; i++) {
                diff = Math.max(diff, Math.abs(a.out()[i] - b.out()[i]));
            }
            assertTrue(diff <= 1e-5, "vector and scalar differ by " + diff);
        }
    }

    @Test
    void threadCountDoesNotChangeABit() {
        Problem p = Problem.random(new SplittableRandom(4), 500, 4, 2, 64, true, 2, 1f);
        List<AttentionResult> results = new ArrayList<>();
        for (int threads : new int[] {1, 2, 5}) {
            try (CpuAttentionKernel kernel = CpuAttentionKernel.withMath("vector", 64, threads)) {
                results.add(kernel.attend(p.spec(), p.queries(), p.keysValues()));
            }
        }
        for (AttentionResult r : results.subList(1, results.size())) {
            assertArrayEquals(results.get(0).out(), r.out());
            assertArrayEquals(results.get(0).lse(), r.lse());
        }
    }

    @Test
    void keyTilesHiddenByTheMaskAreSkippedNotComputed() {
        // Queries 0..31 attend causally to keys 0..63 whose values from 32 on are NaN. Key tiles 2 and 3
        // are hidden from both query tiles: skipped, they leave the output finite; computed and then
        // masked, 0 * NaN would poison it (the vector kernel multiplies masked weights, it does not branch).
        Problem p = Problem.random(new SplittableRandom(5), 64, 2, 2, 32, true, 0, 1f);
        Queries q = new Queries(Arrays.copyOf(p.queries().q(), 32 * p.spec().queryRowWidth()),
                p.queries().index().slice(0, 32));
        float[] v = p.keysValues().v().clone();
        Arrays.fill(v, 32 * p.spec().kvRowWidth(), v.length, Float.NaN);
        KeysValues poisoned = new KeysValues(p.keysValues().k(), v, p.keysValues().index());
        ReferenceAttention.Result expected = ReferenceAttention.compute(p.spec(), q, p.keySlice(0, 32));
        try (CpuAttentionKernel kernel = CpuAttentionKernel.withMath("vector", 16, 1)) {
            Tolerance.assertMatches(kernel.attend(p.spec(), q, poisoned), expected, 1e-5, "poisoned hidden tiles");
        }
        // Segments: the second document's values are NaN, and no tile mixes documents.
        int[] segments = new int[64];
        Arrays.fill(segments, 32, 64, 1);
        TokenIndex index = TokenIndex.contiguous(0, 64, segments);
        AttentionSpec spec = AttentionSpec.of(2, 2, 32, false);
        KeysValues docs = new KeysValues(p.keysValues().k(), v, index);
        Queries firstDoc = new Queries(q.q(), index.slice(0, 32));
        try (CpuAttentionKernel kernel = CpuAttentionKernel.withMath("vector", 16, 1)) {
            AttentionResult r = kernel.attend(spec, firstDoc, docs);
            Tolerance.assertMatches(r, ReferenceAttention.compute(spec, firstDoc,
                    new KeysValues(Arrays.copyOf(docs.k(), 32 * 64), Arrays.copyOf(v, 32 * 64), index.slice(0, 32))),
                    1e-5, "poisoned other document");
        }
    }

    @Test
    void rowsThatSeeNoKeyGiveZeroOutputAndMinusInfinityLse() {
        // Keys all after the queries under a causal mask: nothing is visible to anyone.
        Problem p = Problem.random(new SplittableRandom(6), 40, 2, 1, 16, true, 0, 1f);
        Queries early = new Queries(Arrays.copyOf(p.queries().q(), 20 * p.spec().queryRowWidth()),
                p.queries().index().slice(0, 20));
        for (CpuAttentionKernel kernel : kernels) {
            AttentionResult r = kernel.attend(p.spec(), early, p.keySlice(20, 40));
            for (float o : r.out()) {
                assertEquals(0f, o);
            }
            for (float lse : r.lse()) {
                assertEquals(Float.NEGATIVE_INFINITY, lse);
            }
        }
    }

    @Test
    void accumulatingKeyBlocksOneByOneEqualsOneCall() {
        Problem p = Problem.random(new SplittableRandom(7), 150, 4, 4, 32, true, 2, 1f);
        ReferenceAttention.Result expected = p.reference();
        int[] cuts = {0, 7, 64, 65, 120, 150};
        for (CpuAttentionKernel kernel : kernels) {
            AttentionState state = AttentionState.empty(p.spec(), 150);
            // Out of order on purpose: the online softmax does not care which keys come first.
            for (int c : new int[] {3, 0, 4, 2, 1}) {
                kernel.accumulate(p.spec(), p.queries(), p.keySlice(cuts[c], cuts[c + 1]), state);
            }
            Tolerance.assertMatches(state.finish(), expected, 1e-5, kernel.name() + " accumulated in pieces");
        }
    }

    @Test
    void refusesMismatchedInputs() {
        Problem p = Problem.random(new SplittableRandom(8), 10, 2, 1, 16, false, 0, 1f);
        try (CpuAttentionKernel kernel = CpuAttentionKernel.create(16, 1)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> kernel.attend(AttentionSpec.of(2, 2, 16, false), p.queries(), p.keysValues()));
            assertTrue(e.getMessage().startsWith("K has 160 and V 160 values"), e.getMessage());
            KeysValues withSegments = new KeysValues(p.keysValues().k(), p.keysValues().v(),
                    TokenIndex.contiguous(0, 10, new int[10]));
            e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> kernel.attend(p.spec(), p.queries(), withSegments));
            assertTrue(e.getMessage().contains("segment ids are given for keys only"), e.getMessage());
        }
    }
}
