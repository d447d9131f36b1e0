package org.ringattention.selection;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a summary's sentences are chosen among a document's non-fragment sentences ({@link Document}).
 * <ul>
 *   <li>{@code coverage}: the set that best represents every sentence and every section, by facility
 *       location over attention weights plus a per-section reward (Lin &amp; Bilmes 2011), with LexRank's
 *       score, a lead prior and a title cue added per sentence, see {@link Coverage};</li>
 *   <li>{@code centrality}: the sentences that receive the most attention, skipping near-duplicates;</li>
 *   <li>{@code lead}: the first K (the Lead-K baseline);</li>
 *   <li>{@code lexrank}: PageRank on the tf-idf cosine graph thresholded at 0.1 (Erkan &amp; Radev 2004);</li>
 *   <li>{@code textrank}: PageRank on the word-overlap graph (Mihalcea &amp; Tarau 2004).</li>
 * </ul>
 */
public enum SelectionMethod {
    COVERAGE, CENTRALITY, LEAD, LEXRANK, TEXTRANK;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static String labels() {
        return Arrays.stream(values()).map(SelectionMethod::label).collect(Collectors.joining(", "));
    }

    /** The method named {@code label}; refuses others, naming the choices. */
    public static SelectionMethod of(String label) {
        for (SelectionMethod m : values()) {
            if (m.label().equals(label)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown selection method '" + label + "'; choose one of " + labels());
    }
}
