package org.ringattention.selection;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Lower-cased runs of letters and digits: the words the lexical baselines compare. */
final class Words {

    /** English function words and the nouns that name a document's parts, which say nothing of its topic. */
    private static final Set<String> FUNCTION_WORDS = Set.of(("a an the and or but nor not no of to in on at by for with "
            + "from as into onto over under about than then so if is are was were be been being am do does did has have "
            + "had it its this that these those there here he she they them their his her we our you your i my me what "
            + "which who whom whose when where why how all any each some such can could will would shall should may might "
            + "must chapter section part appendix").split(" "));

    private Words() {
    }

    static List<String> of(String sentence) {
        List<String> words = new ArrayList<>();
        String s = sentence.toLowerCase(Locale.ROOT);
        int start = -1;
        for (int k = 0; k <= s.length(); k++) {
            boolean word = k < s.length() && Character.isLetterOrDigit(s.charAt(k));
            if (word && start < 0) {
                start = k;
            } else if (!word && start >= 0) {
                words.add(s.substring(start, k));
                start = -1;
            }
        }
        return words;
    }

    /** The distinct words of {@code sentence} that carry content: no function word, bare number or single character. */
    static Set<String> content(String sentence) {
        Set<String> words = new HashSet<>();
        for (String w : of(sentence)) {
            if (w.length() > 1 && !FUNCTION_WORDS.contains(w) && !w.chars().allMatch(Character::isDigit)) {
                words.add(w);
            }
        }
        return words;
    }

    /** Jaccard overlap of two sentences' word sets at or above which one repeats the other. */
    static final double NEAR_DUPLICATE = 0.8;

    /**
     * Whether two sentences' word sets overlap by at least {@link #NEAR_DUPLICATE} (Jaccard): a summary
     * never holds both, whatever the method (a changelog repeats "New upstream release." every entry).
     */
    static boolean nearDuplicates(Set<String> a, Set<String> b) {
        if (a.isEmpty() || b.isEmpty()) {
            return a.equals(b);
        }
        int shared = 0;
        for (String w : a) {
            if (b.contains(w)) {
                shared++;
            }
        }
        return shared >= NEAR_DUPLICATE * (a.size() + b.size() - shared);
    }
}
