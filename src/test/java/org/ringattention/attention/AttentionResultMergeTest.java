package org.ringattention.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Partials over disjoint key sets merge into the full result, in any grouping (tolerance as the kernel's). */
class AttentionResultMergeTest {

    @Test
    void anyGroupingOfPartialsGivesTheFullResult() {
        SplittableRandom random = new SplittableRandom(11);
        int checked = 0;
        try (CpuAttentionKernel kernel = CpuAttentionKernel.create(32, 2)) {
            for (boolean causal : new boolean[] {false, true}) {
                Problem p = Problem.random(random, 181, 4, 2, 64, causal, causal ? 2 : 0, 1f);
                ReferenceAttention.Result expected = p.reference();
                int[] cuts = {0, 40, 41, 130, 181};
                List<AttentionResult> parts = new ArrayList<>();
                for (int c = 0; c + 1 < cuts.length; c++) {
                    parts.add(kernel.attend(p.spec(), p.queries(), p.keySlice(cuts[c], cuts[c + 1])));
                }
                AttentionResult a = parts.get(0), b = parts.get(1), c = parts.get(2), d = parts.get(3);
                List<AttentionResult> groupings = List.of(
                        a.merge(b).merge(c).merge(d),
                        a.merge(b.merge(c.merge(d))),
                        a.merge(b).merge(c.merge(d)),
                        d.merge(c).merge(b).merge(a),
                        c.merge(a).merge(d.merge(b)));
                for (AttentionResult merged : groupings) {
                    Tolerance.assertMatches(merged, expected, 1e-5, "merged, causal=" + causal);
                    checked++;
                }
            }
        }
        assertEquals(10, checked);
    }

    @Test
    void anEmptyPartialChangesNothing() {
        Problem p = Problem.random(new SplittableRandom(12), 30, 2, 2, 16, true, 0, 1f);
        try (CpuAttentionKernel kernel = CpuAttentionKernel.create(16, 1)) {
            AttentionResult full = kernel.attend(p.spec(), p.queries(), p.keysValues());
            AttentionResult empty = AttentionState.empty(p.spec(), 30).finish();
            AttentionResult merged = empty.merge(full).merge(empty);
            assertArrayEquals(full.lse(), merged.lse());
            assertArrayEquals(full.out(), merged.out());
            AttentionResult bothEmpty = empty.merge(empty);
            for (int i = 0; i < bothEmpty.lse().length; i++) {
                assertEquals(Float.NEGATIVE_INFINITY, bothEmpty.lse()[i]);
            }
            for (float o : bothEmpty.out()) {
                assertEquals(0f, o);
            }
        }
    }
}
