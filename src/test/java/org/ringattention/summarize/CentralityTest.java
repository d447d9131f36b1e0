package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ringattention.selection.Budget;
import org.ringattention.backend.Backend;
import org.ringattention.backend.BackendFactory;
import org.ringattention.backend.Device;

class CentralityTest {

    /** n random unit vectors of dimension d. */
    static float[] unitVectors(SplittableRandom random, int n, int d) {
        float[] e = new float[n * d];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int k = 0; k < d; k++) {
                e[i * d + k] = (float) (random.nextDouble() - 0.5);
                norm += e[i * d + k] * e[i * d + k];
            }
            for (int k = 0; k < d; k++) {
                e[i * d + k] /= (float) Math.sqrt(norm);
            }
        }
        return e;
    }

    @Test
    void centralityMatchesItsDefinitionInDouble() {
        // Tolerance 1e-5 relative to max(1, c): c sums up to n - 1 probabilities.
        SplittableRandom random = new SplittableRandom(41);
        int checked = 0;
        try (Backend kernel = BackendFactory.open(Device.CPU, 16, 2, m -> { })) {
            for (int n : new int[] {1, 2, 17, 150}) {
                for (double t : new double[] {0.05, 0.1, 1.0}) {
                    float[] e = unitVectors(random, n, 48);
                    double[] expected = reference(e, n, 48, t);
                    double[] got = Centrality.of(e, n, 48, t, kernel).centrality();
                    for (int j = 0; j < n; j++) {
                        assertTrue(Math.abs(got[j] - expected[j]) <= 1e-5 * Math.max(1, expected[j]),
                                "n=" + n + " t=" + t + " sentence " + j + ": " + got[j] + " vs " + expected[j]);
                        checked++;
                    }
                }
            }
        }
        assertEquals(3 * (1 + 2 + 17 + 150), checked);
    }

    @Test
    void aSentenceCloseToManyOthersIsMostCentral() {
        SplittableRandom random = new SplittableRandom(42);
        int n = 30;
        int d = 32;
        float[] e = unitVectors(random, n, d);
        // Sentences 10..19 lean toward sentence 5's direction: 5 is their common neighbour.
        for (int i = 10; i < 20; i++) {
            double norm = 0;
            for (int k = 0; k < d; k++) {
                e[i * d + k] = 0.8f * e[5 * d + k] + 0.2f * e[i * d + k];
                norm += e[i * d + k] * e[i * d + k];
            }
            for (int k = 0; k < d; k++) {
                e[i * d + k] /= (float) Math.sqrt(norm);
            }
        }
        try (Backend kernel = BackendFactory.open(Device.CPU, 16, 1, m -> { })) {
            double[] c = Centrality.of(e, n, d, 0.1, kernel).centrality();
            int best = 0;
            for (int j = 1; j < n; j++) {
                best = c[j] > c[best] ? j : best;
            }
            assertEquals(5, best);
        }
    }

    @Test
    void budgetIsRatioWordsOrCount() {
        assertEquals(Budget.sentences(2), SummarySelector.budget(10, 0.15, 100, 5));
        assertEquals(Budget.sentences(1), SummarySelector.budget(3, 0.01, 0, 5));
        assertEquals(Budget.words(100), SummarySelector.budget(10, 0, 100, 5));
        assertEquals(Budget.sentences(3), SummarySelector.budget(3, 0, 0, 5));
    }

    @Test
    void splitsSentencesInOrder() {
        assertEquals(List.of("First one.", "Second?", "Yes!", "Third"),
                SentenceSplitter.split("  First one.  Second?  Yes!\n\nThird  "));
        assertEquals(List.of(), SentenceSplitter.split(" \n\t "));
        assertEquals(List.of("From 22:00 to 06:00.", "[22:30] A hard-wrapped line goes on here.", "Next."),
                SentenceSplitter.split("From 22:00 to 06:00.\n\n[22:30] A hard-wrapped line\ngoes on here.\n\n---\n\nNext."));
    }

    /** The float64 reference: centrality straight from its definition. */
    private static double[] reference(float[] e, int n, int d, double temperature) {
        double[] c = new double[n];
        double[] logits = new double[n];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int k = 0; k < d; k++) {
                    dot += (double) e[i * d + k] * e[j * d + k];
                }
                logits[j] = dot / temperature;
                max = Math.max(max, logits[j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += Math.exp(logits[j] - max);
            }
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    c[j] += Math.exp(logits[j] - max) / sum;
                }
            }
        }
        return c;
    }
}
