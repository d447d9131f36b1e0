package org.ringattention.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The second pass (total attention each key receives) against float64; tolerance 1e-5 relative to
 * max(1, mass), the mass of a key being a sum of up to S probabilities.
 */
class AttentionMassTest {

    @Test
    void massOverKeyShardsMatchesReference() {
        SplittableRandom random = new SplittableRandom(31);
        int checked = 0;
        for (String math : new String[] {"vector", "scalar"}) {
            for (boolean causal : new boolean[] {false, true}) {
                Problem p = Problem.random(random, 203, 4, 2, 48, causal, causal ? 0 : 3, 1f);
                double[] expected = ReferenceAttention.attentionMass(p.spec(), p.queries(), p.keysValues());
                try (CpuAttentionKernel kernel = CpuAttentionKernel.withMath(math, 32, 2)) {
                    float[] lse = kernel.attend(p.spec(), p.queries(), p.keysValues()).lse();
                    // Keys in three shards, as the ring sees them: each shard's mass uses the full LSE.
                    int[] cuts = {0, 70, 71, 203};
                    for (int c = 0; c + 1 < cuts.length; c++) {
                        float[] mass = kernel.attentionMass(p.spec(), p.queries(), lse, p.keySlice(cuts[c], cuts[c + 1]));
                        int n = cuts[c + 1] - cuts[c];
                        for (int h = 0; h < 4; h++) {
                            for (int j = 0; j < n; j++) {
                                double want = expected[h * 203 + cuts[c] + j];
                                double got = mass[h * n + j];
                                assertTrue(Math.abs(got - want) <= 1e-5 * Math.max(1, want),
                                        math + " causal=" + causal + " head " + h + " key " + (cuts[c] + j)
                                                + ": " + got + " vs " + want);
                                checked++;
                            }
                        }
                    }
                }
                double total = 0;
                for (double m : expected) {
                    total += m;
                }
                // Each query distributes exactly one unit of attention per head.
                assertEquals(4 * 203, total, 1e-6);
            }
        }
        assertEquals(2 * 2 * 4 * 203, checked);
    }
}
