package org.ringattention.report;

import java.util.List;

/**
 * One summarized document as the report shows it.
 *
 * @param docId       the document's id
 * @param summary     the chosen sentences, in document order
 * @param scores      every sentence's centrality, in document order; empty for a carried document (its
 *                    scores are in the report of the night that computed it)
 * @param chosen      indices of the chosen sentences, ascending
 * @param tokens      encoder tokens of the document
 * @param sentences   sentences of the document
 * @param carriedFrom the date its summary was carried from, or null when this run computed it
 */
public record DocumentSummary(String docId, String summary, List<Double> scores, List<Integer> chosen, long tokens,
                              long sentences, String carriedFrom) {

    public DocumentSummary {
        scores = List.copyOf(scores);
        chosen = List.copyOf(chosen);
    }

    /** A document this run computed: its sentences are its scores. */
    public static DocumentSummary computed(String docId, String summary, List<Double> scores, List<Integer> chosen,
                                           long tokens) {
        return new DocumentSummary(docId, summary, scores, chosen, tokens, scores.size(), null);
    }
}
