package org.ringattention.selection;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Lower-cased runs of letters and digits: the words the lexical baselines compare. */
final class Words {

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
}
