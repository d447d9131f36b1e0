package org.ringattention.selection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelectionTest {

    private static Document doc(float[] e, int d, double[] c, boolean[] fragments, int[] sections) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < c.length; i++) {
            s.add("sentence number " + i + " says something");
        }
        return new Document(s, sections, fragments, e, d, c);
    }

    @Test
    void centralityKeepsBudgetOrderAndSkipsNearDuplicates() {
        int d = 2;
        float[] e = {1, 0, 1, 0, 0, 1, 0.6f, 0.8f};
        double[] c = {0.5, 3.0, 2.0, 2.0};
        Document doc = doc(e, d, c, new boolean[4], new int[4]);
        // 1 first; 0 repeats 1 exactly (cosine 1 > 0.9): skipped; then 2 and 3 tie, the earlier wins.
        assertArrayEquals(new int[] {1, 2}, Selection.select(SelectionMethod.CENTRALITY, doc, 2, 0.9));
        assertArrayEquals(new int[] {0, 1, 2, 3}, Selection.select(SelectionMethod.CENTRALITY, doc, 4, 1.0));
        assertArrayEquals(new int[] {1, 2, 3}, Selection.select(SelectionMethod.CENTRALITY, doc, 4, 0.9));
    }

    @Test
    void noMethodPicksAFragment() {
        int d = 2;
        int n = 12;
        float[] e = new float[n * d];
        double[] c = new double[n];
        boolean[] fragments = new boolean[n];
        int[] sections = new int[n];
        for (int i = 0; i < n; i++) {
            double angle = i * 0.4;
            e[2 * i] = (float) Math.cos(angle);
            e[2 * i + 1] = (float) Math.sin(angle);
            c[i] = i % 3 == 0 ? 10 : 1;
            fragments[i] = i % 3 == 0;
            sections[i] = i / 4;
        }
        Document doc = doc(e, d, c, fragments, sections);
        int checked = 0;
        for (SelectionMethod m : SelectionMethod.values()) {
            int[] picked = Selection.select(m, doc, 4, 0.99);
            assertEquals(4, picked.length, m.label());
            for (int i : picked) {
                assertTrue(!fragments[i], m.label() + " picked fragment " + i);
            }
            for (int k = 1; k < picked.length; k++) {
                assertTrue(picked[k - 1] < picked[k], m.label() + " returns document order");
            }
            checked++;
        }
        assertEquals(SelectionMethod.values().length, checked);
    }

    @Test
    void coverageTakesOneSentenceOfARepeatedTemplateAndSpreadsOverSections() {
        // 50 copies of one template (a changelog's entries) in section 0, then three distinct sections.
        int d = 4;
        int n = 53;
        float[] e = new float[n * d];
        int[] sections = new int[n];
        for (int i = 0; i < 50; i++) {
            e[i * d] = 0.995f;
            e[i * d + 1] = (float) Math.sqrt(1 - 0.995 * 0.995);
        }
        for (int s = 0; s < 3; s++) {
            e[(50 + s) * d + 1 + s] = 1;
            sections[50 + s] = s + 1;
        }
        double[] c = new double[n];
        for (int i = 0; i < 50; i++) {
            c[i] = 5;
        }
        Document doc = doc(e, d, c, new boolean[n], sections);
        int[] picked = Coverage.DEFAULT.select(doc, 4, 0.9);
        int template = 0;
        for (int i : picked) {
            template += i < 50 ? 1 : 0;
        }
        assertEquals(1, template, "one template sentence, then the other sections");
        assertEquals(4, picked.length);
        // Raw centrality fills the summary with the template.
        for (int i : Selection.select(SelectionMethod.CENTRALITY, doc, 4, 1.0)) {
            assertTrue(i < 50);
        }
    }

    @Test
    void priorsMoveCoverageTowardsTheOpeningAndTheLexicallyCentral() {
        // Four orthogonal sentence vectors: facility location prefers the longest sentence (2, six words).
        int d = 4;
        float[] e = new float[16];
        for (int i = 0; i < 4; i++) {
            e[i * d + i] = 1;
        }
        List<String> s = List.of("alpha beta gamma", "alpha beta gamma", "epsilon zeta eta iota kappa mu",
                "alpha beta gamma");
        Document doc = new Document(s, new int[4], new boolean[4], e, d, new double[4]);
        assertArrayEquals(new int[] {2}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0, 0).select(doc, 1, 0.9));
        // The lead prior (0.5 for the first candidate, 0.29 for the third) outweighs the longer sentence.
        assertArrayEquals(new int[] {0}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0.5, 0).select(doc, 1, 0.9));
        // Sentence 2 shares no word with the others, so it has LexRank's lowest score.
        assertArrayEquals(new int[] {0}, new Coverage(0.8, 2.0, 0, 1.0, 1.0, 0, 0).select(doc, 1, 0.9));
    }

    @Test
    void titleCueFavoursTheSentencesThatNameTheTitlesWords() {
        // A heading (a fragment opening section 0), then four orthogonal sentences of equal length.
        int d = 5;
        float[] e = new float[25];
        for (int i = 0; i < 5; i++) {
            e[i * d + i] = 1;
        }
        List<String> s = List.of("Caching of Widgets", "The planner sorts the queue by cost.",
                "The cache keeps recent widgets in memory.", "Each request opens a connection.",
                "Workers share one thread pool here.");
        boolean[] fragments = {true, false, false, false, false};
        Document doc = new Document(s, new int[5], fragments, e, d, new double[5]);
        // The title's content words are "caching" and "widgets"; only sentence 2 holds one of them.
        double[] cue = Coverage.titleCue(doc, doc.candidates());
        assertEquals(0, cue[0]);
        assertTrue(cue[1] > 0.4 && cue[1] < 0.6, "one of two title words, equal idf: " + cue[1]);
        assertEquals(0, cue[2]);
        assertArrayEquals(new int[] {1}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0, 0).select(doc, 1, 0.9));
        assertArrayEquals(new int[] {2}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0, 0.8).select(doc, 1, 0.9));
        // Without a heading there is no cue.
        Document plain = new Document(s, new int[5], new boolean[5], e, d, new double[5]);
        assertEquals(0, Arrays.stream(Coverage.titleCue(plain, plain.candidates())).sum());
    }

    @Test
    void leadTakesTheFirstCandidates() {
        boolean[] fragments = {true, false, false, true, false};
        Document doc = doc(new float[10], 2, new double[5], fragments, new int[5]);
        assertArrayEquals(new int[] {1, 2, 4}, Selection.select(SelectionMethod.LEAD, doc, 3, 0.9));
    }

    @Test
    void pageRankOfASymmetricStarFavoursTheCentre() {
        double[][] w = {{0, 1, 1, 1}, {1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}};
        double[] p = PageRank.scores(w, 0.85);
        // Closed form: centre = (0.15/4 + 0.85 * 3x) with leaves x = 0.15/4 + 0.85 * centre / 3.
        double centre = (0.15 / 4 + 0.85 * 3 * 0.15 / 4) / (1 - 0.85 * 0.85);
        assertEquals(centre, p[0], 1e-9);
        assertEquals(1.0, p[0] + p[1] + p[2] + p[3], 1e-9);
    }
}
