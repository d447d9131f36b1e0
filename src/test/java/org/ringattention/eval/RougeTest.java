package org.ringattention.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RougeTest {

    private static void assertScore(double p, double r, double f, Rouge.Score s, double tolerance) {
        assertEquals(p, s.precision(), tolerance, "precision");
        assertEquals(r, s.recall(), tolerance, "recall");
        assertEquals(f, s.f1(), tolerance, "F1");
    }

    @Test
    void handComputedExample() {
        Rouge.Scores s = Rouge.score("The cat sat on the mat.", "the cat is on the mat");
        // Unigrams: the x2, cat, on, mat shared of 6 each; bigrams: "the cat", "on the", "the mat" of 5;
        // LCS: "the cat on the mat", 5 of 6.
        assertScore(5 / 6.0, 5 / 6.0, 5 / 6.0, s.rouge1(), 1e-12);
        assertScore(3 / 5.0, 3 / 5.0, 3 / 5.0, s.rouge2(), 1e-12);
        assertScore(5 / 6.0, 5 / 6.0, 5 / 6.0, s.rougeL(), 1e-12);
    }

    /** The examples of rouge-score's own tests (rouge/rouge_scorer_test.py): score(target, prediction). */
    @Test
    void rougeScoreSimpleCases() {
        assertScore(1, 1 / 3.0, 1 / 2.0, Rouge.score("testing one two", "testing").rouge1(), 1e-12);
        assertScore(1, 1 / 2.0, 2 / 3.0, Rouge.score("testing one two", "testing one").rouge2(), 1e-12);
        assertScore(1, 2 / 3.0, 4 / 5.0, Rouge.score("testing one two", "testing one").rougeL(), 1e-12);
        assertScore(1, 2 / 3.0, 4 / 5.0, Rouge.score("testing one two", "testing two").rougeL(), 1e-12);
        Rouge.Scores empty = Rouge.score("testing one two", "");
        assertScore(0, 0, 0, empty.rouge1(), 0);
        assertScore(0, 0, 0, empty.rouge2(), 0);
        assertScore(0, 0, 0, empty.rougeL(), 0);
    }

    /** rouge-score's comparison against ROUGE-1.5.5 (its testdata target.txt / prediction.txt), with stemming. */
    @Test
    void rougeScoreAgainstRouge155WithStemming() {
        String target0 = "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM "
                + "EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L";
        String prediction0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi";
        String target1 = "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m "
                + "qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing "
                + "c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN";
        String prediction1 = "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J "
                + "XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD";
        Rouge.Scores s0 = Rouge.score(target0, prediction0);
        Rouge.Scores s1 = Rouge.score(target1, prediction1);
        assertScore(0.68750, 0.40741, 0.51163, s0.rouge1(), 5e-6);
        assertScore(0.69231, 0.42857, 0.52941, s1.rouge1(), 5e-6);
        assertScore(0.53333, 0.30769, 0.39024, s0.rouge2(), 5e-6);
        assertScore(0.48000, 0.29268, 0.36364, s1.rouge2(), 5e-6);
    }

    @Test
    void tokensAreLowerCasedAlphanumericsStemmedAboveThreeCharacters() {
        assertEquals(List.of("the", "cat", "run", "fast", "3", "14", "pi", "caress", "poni"),
                Rouge.tokens("The CATS' running-fast: 3.14 (pi) caresses ponies!"));
    }

    /** Examples from Porter's paper (1980). */
    @Test
    void porterStemmerMatchesThePaper() {
        String[][] pairs = {{"caresses", "caress"}, {"ponies", "poni"}, {"ties", "ti"}, {"cats", "cat"},
            {"agreed", "agre"}, {"plastered", "plaster"}, {"motoring", "motor"}, {"sing", "sing"},
            {"conflated", "conflat"}, {"troubled", "troubl"}, {"sized", "size"}, {"hopping", "hop"},
            {"falling", "fall"}, {"filing", "file"}, {"happy", "happi"}, {"relational", "relat"},
            {"conditional", "condit"}, {"rational", "ration"}, {"digitizer", "digit"}, {"generalization", "gener"},
            {"electrical", "electr"}, {"hopefulness", "hope"}, {"adjustment", "adjust"}, {"adoption", "adopt"},
            {"controlling", "control"}, {"rolling", "roll"}, {"probate", "probat"}, {"cease", "ceas"}};
        for (String[] p : pairs) {
            assertEquals(p[1], PorterStemmer.stem(p[0]), p[0]);
        }
    }

    @Test
    void bootstrapIntervalHoldsTheMeanAndIsRepeatable() {
        double[] x = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
        Bootstrap a = Bootstrap.of(x, 1000, 7);
        assertEquals(0.45, a.mean(), 1e-12);
        assertEquals(a, Bootstrap.of(x, 1000, 7));
        assertEquals(true, a.low() < a.mean() && a.mean() < a.high());
        assertEquals(new Bootstrap(0.3, 0.3, 0.3), Bootstrap.of(new double[] {0.3, 0.3}, 100, 1));
    }
}
