package org.ringattention.selection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
    void aWordBudgetIsFilledWithWholeSentencesAsNearAsTheyAllow() {
        assertEquals(4, Budget.words("Hello, world -- 3 items."), "a run without a letter or digit is no word");
        assertEquals(0, Budget.words("  --  ** "));
        Budget ten = Budget.words(10);
        assertTrue(ten.fits(0, 0, 8));
        assertTrue(ten.fits(1, 8, 3), "11 words are nearer to 10 than 8");
        assertTrue(!ten.fits(1, 8, 5), "13 words are farther from 10 than 8");
        assertTrue(!ten.fits(0, 0, 16), "never more than 1.5 times the budget");
        assertTrue(ten.full(2, 10) && !ten.full(1, 9));
        assertTrue(Budget.sentences(2).fits(1, 500, 500) && !Budget.sentences(2).fits(2, 0, 1));

        // Sentences of 3 to 40 words, vectors spread on a circle: every method stays within 1.5 W, and the
        // ones that take any order of candidates come within the longest skipped sentence of W.
        int n = 40;
        int d = 2;
        float[] e = new float[n * d];
        double[] c = new double[n];
        List<String> sentences = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            e[2 * i] = (float) Math.cos(i * 0.7);
            e[2 * i + 1] = (float) Math.sin(i * 0.7);
            c[i] = (i * 37 % n) / (double) n;
            sentences.add(("word" + i + " ").repeat(3 + i * 13 % 38).strip() + ".");
        }
        Document doc = new Document(sentences, new int[n], new boolean[n], e, d, c);
        int checked = 0;
        for (int w : new int[] {20, 60, 150}) {
            for (SelectionMethod m : SelectionMethod.values()) {
                int total = 0;
                for (int i : Selection.select(m, doc, Budget.words(w), 1.0)) {
                    total += doc.words(i);
                }
                assertTrue(total <= 1.5 * w, m + " at " + w + " words took " + total);
                assertTrue(total >= w - 3, m + " at " + w + " words stopped at " + total + " with 3-word sentences left");
                checked++;
            }
        }
        assertEquals(3 * SelectionMethod.values().length, checked);
    }

    @Test
    void centralityKeepsBudgetOrderAndSkipsNearDuplicates() {
        int d = 2;
        float[] e = {1, 0, 1, 0, 0, 1, 0.6f, 0.8f};
        double[] c = {0.5, 3.0, 2.0, 2.0};
        Document doc = doc(e, d, c, new boolean[4], new int[4]);
        // 1 first; 0 repeats 1 exactly (cosine 1 > 0.9): skipped; then 2 and 3 tie, the earlier wins.
        assertArrayEquals(new int[] {1, 2}, Selection.select(SelectionMethod.CENTRALITY, doc, Budget.sentences(2), 0.9));
        assertArrayEquals(new int[] {0, 1, 2, 3}, Selection.select(SelectionMethod.CENTRALITY, doc, Budget.sentences(4), 1.0));
        assertArrayEquals(new int[] {1, 2, 3}, Selection.select(SelectionMethod.CENTRALITY, doc, Budget.sentences(4), 0.9));
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
            int[] picked = Selection.select(m, doc, Budget.sentences(4), 0.99);
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
        int[] picked = Coverage.DEFAULT.select(doc, Budget.sentences(4), 0.9);
        int template = 0;
        for (int i : picked) {
            template += i < 50 ? 1 : 0;
        }
        assertEquals(1, template, "one template sentence, then the other sections");
        assertEquals(4, picked.length);
        // Raw centrality fills the summary with the template.
        for (int i : Selection.select(SelectionMethod.CENTRALITY, doc, Budget.sentences(4), 1.0)) {
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
        assertArrayEquals(new int[] {2}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0, 0, 0, 0, 0).select(doc, Budget.sentences(1), 0.9));
        // The lead prior (0.5 for the first candidate, 0.29 for the third) outweighs the longer sentence.
        assertArrayEquals(new int[] {0}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0.5, 0, 0, 0, 0).select(doc, Budget.sentences(1), 0.9));
        // Sentence 2 shares no word with the others, so it has LexRank's lowest score.
        assertArrayEquals(new int[] {0}, new Coverage(0.8, 2.0, 0, 1.0, 1.0, 0, 0, 0, 0, 0).select(doc, Budget.sentences(1), 0.9));
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
        assertArrayEquals(new int[] {1}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0, 0, 0, 0, 0).select(doc, Budget.sentences(1), 0.9));
        assertArrayEquals(new int[] {2}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0, 0.8, 0, 0, 0).select(doc, Budget.sentences(1), 0.9));
        // Without a heading there is no cue.
        Document plain = new Document(s, new int[5], new boolean[5], e, d, new double[5]);
        assertEquals(0, Arrays.stream(Coverage.titleCue(plain, plain.candidates())).sum());
    }

    @Test
    void thePurposeLeadOpensWithTheDocumentsFirstStatementOfPurpose() {
        // Four orthogonal sentences of equal length; sentences 2 and 3 state the purpose.
        int d = 4;
        float[] e = new float[16];
        for (int i = 0; i < 4; i++) {
            e[i * d + i] = 1;
        }
        List<String> s = List.of("The planner sorts the queue by cost.", "Each request opens a connection.",
                "Less is a pager for long files.", "It scrolls backward and forward.");
        boolean[] purpose = {false, false, true, true};
        Document doc = new Document(s, new int[4], new boolean[4], purpose, e, d, new double[4]);
        assertArrayEquals(new int[] {0}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0.2, 0, 0, 0, 0).select(doc, Budget.sentences(1), 0.9),
                "without the purpose lead, the document's lead");
        assertArrayEquals(new int[] {2}, new Coverage(0.8, 2.0, 0, 1.0, 0, 0.2, 0, 0, 1.0, 0).select(doc, Budget.sentences(1), 0.9),
                "the first sentence of the statement of purpose");
    }

    @Test
    void leadTakesTheFirstCandidates() {
        boolean[] fragments = {true, false, false, true, false};
        Document doc = doc(new float[10], 2, new double[5], fragments, new int[5]);
        assertArrayEquals(new int[] {1, 2, 4}, Selection.select(SelectionMethod.LEAD, doc, Budget.sentences(3), 0.9));
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

    @Test
    void cosinesMatchFloat64DotProductsAndDoNotDependOnTheBlocking() {
        // 70 candidates (three column tiles, blocks of four pairs and tails) in dimensions 10 (a tail of k) and 384.
        for (int d : new int[] {10, 384}) {
            int n = 70;
            java.util.Random random = new java.util.Random(d);
            float[] e = new float[n * d];
            for (int i = 0; i < e.length; i++) {
                e[i] = (float) random.nextGaussian();
            }
            Document doc = doc(e, d, new double[n], new boolean[n], new int[n]);
            double[][] c = Coverage.cosines(doc);
            for (int a = 0; a < n; a++) {
                assertEquals(1.0, c[a][a]);
                for (int b = a + 1; b < n; b++) {
                    double reference = 0;
                    for (int k = 0; k < d; k++) {
                        reference += (double) e[a * d + k] * e[b * d + k];
                    }
                    assertEquals(reference, c[a][b], 1e-12 * d);
                    assertEquals(c[a][b], c[b][a]);
                    // The same pair alone (no block of four) gives the same bits.
                    float[] pair = new float[2 * d];
                    System.arraycopy(e, a * d, pair, 0, d);
                    System.arraycopy(e, b * d, pair, d, d);
                    assertEquals(c[a][b], Coverage.cosines(doc(pair, d, new double[2], new boolean[2], new int[2]))[0][1]);
                }
            }
            // The scalar arithmetic (a JVM without the Vector API) gives the same bits.
            assertTrue(Arrays.deepEquals(c, Coverage.cosines(doc, new Dots())));
        }
    }

    @Test
    void lexRankIsPageRankOnTheThresholdedTfIdfGraph() {
        String[] text = {"the cat sat on the mat", "a cat and a dog", "dogs chase cats all day", "the mat was red",
            "nothing in common here", "the cat, the dog and the mat", "red red red", "sat on a red mat"};
        List<String> sentences = Arrays.asList(text);
        int n = text.length;
        Document doc = new Document(sentences, new int[n], new boolean[n], new float[n], 1, new double[n]);
        // Float64 reference from the definition: tf-idf vectors as maps, cosine >= 0.1 is an edge, dense PageRank.
        List<java.util.Map<String, Double>> x = new ArrayList<>();
        java.util.Map<String, Integer> df = new java.util.HashMap<>();
        for (String t : text) {
            new java.util.HashSet<>(Words.of(t)).forEach(w -> df.merge(w, 1, Integer::sum));
        }
        for (String t : text) {
            java.util.Map<String, Double> v = new java.util.HashMap<>();
            Words.of(t).forEach(w -> v.merge(w, Math.log((double) n / df.get(w)), Double::sum));
            x.add(v);
        }
        double[][] w = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                double dot = 0;
                double na = 0;
                double nb = 0;
                for (var t : x.get(a).entrySet()) {
                    dot += t.getValue() * x.get(b).getOrDefault(t.getKey(), 0.0);
                    na += t.getValue() * t.getValue();
                }
                for (double t : x.get(b).values()) {
                    nb += t * t;
                }
                w[a][b] = a != b && na > 0 && nb > 0 && dot / Math.sqrt(na * nb) >= Selection.LEXRANK_THRESHOLD ? 1 : 0;
            }
        }
        double[] p = new double[n];
        Arrays.fill(p, 1.0 / n);
        for (int round = 0; round < 200; round++) {
            double[] q = new double[n];
            for (int i = 0; i < n; i++) {
                double degree = Arrays.stream(w[i]).sum();
                for (int j = 0; j < n; j++) {
                    q[j] += degree == 0 ? p[i] / n : w[i][j] / degree * p[i];
                }
            }
            for (int j = 0; j < n; j++) {
                p[j] = (1 - Selection.DAMPING) / n + Selection.DAMPING * q[j];
            }
        }
        assertArrayEquals(p, Selection.lexRank(doc), 1e-9);
    }

    @Test
    void aLongDocumentsSampleKeepsItsStatementOfPurpose() {
        // 4,001 candidates: the even sample takes every other one and would skip sentence 1.
        int n = 4001;
        boolean[] purpose = new boolean[n];
        purpose[1] = true;
        Document doc = new Document(Collections.nCopies(n, "a sentence"), new int[n],
                new boolean[n], purpose, new float[n], 1, new double[n]);
        int[] u = Coverage.sample(doc);
        assertEquals(Coverage.MAX_UNIVERSE, u.length);
        assertTrue(Arrays.binarySearch(u, 1) >= 0, "the purpose sentence is a candidate");
        assertTrue(Arrays.equals(u, Arrays.stream(u).sorted().distinct().toArray()), "document order, no repeats");
        assertTrue(u[u.length - 1] >= n - 3, "spread to the end: " + u[u.length - 1]);
    }
}
