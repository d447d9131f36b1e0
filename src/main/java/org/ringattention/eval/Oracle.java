package org.ringattention.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.ringattention.selection.Budget;
import org.ringattention.selection.Document;

/**
 * The greedy ROUGE oracle, the usual upper bound for extractive summaries (Nallapati et al. 2017):
 * knowing the reference, add the candidate sentence that most raises the mean of ROUGE-1 and ROUGE-2
 * F1 among those that fit the budget, and stop when it is full or no sentence raises it.
 */
final class Oracle {

    private Oracle() {
    }

    static int[] select(Document doc, String reference, Budget budget) {
        List<String> ref = Rouge.tokens(reference);
        List<List<String>> tokens = new ArrayList<>();
        for (String s : doc.sentences()) {
            tokens.add(Rouge.tokens(s));
        }
        List<Integer> chosen = new ArrayList<>();
        double best = 0;
        int held = 0;
        while (!budget.full(chosen.size(), held)) {
            int pick = -1;
            for (int i : doc.candidates()) {
                if (chosen.contains(i) || !budget.fits(chosen.size(), held, doc.words(i))) {
                    continue;
                }
                List<String> summary = new ArrayList<>();
                chosen.stream().sorted().forEach(c -> summary.addAll(tokens.get(c)));
                summary.addAll(tokens.get(i));
                Rouge.Scores s = Rouge.score(ref, summary);
                double value = (s.rouge1().f1() + s.rouge2().f1()) / 2;
                if (value > best) {
                    best = value;
                    pick = i;
                }
            }
            if (pick < 0) {
                break;
            }
            chosen.add(pick);
            held += doc.words(pick);
        }
        return chosen.stream().sorted().mapToInt(Integer::intValue).toArray();
    }

    static String joined(Document doc, int[] picked) {
        List<String> parts = new ArrayList<>();
        for (int i : picked) {
            parts.add(doc.sentences().get(i));
        }
        return parts.stream().collect(Collectors.joining(" "));
    }
}
