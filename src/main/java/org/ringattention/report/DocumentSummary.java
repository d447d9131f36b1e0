package org.ringattention.report;

import java.util.List;

/**
 * One summarized document as the report shows it.
 *
 * @param docId     the document's id
 * @param summary   the chosen sentences, in document order
 * @param scores    every sentence's centrality, in document order
 * @param chosen    indices of the chosen sentences, ascending
 * @param tokens    encoder tokens of the document
 */
public record DocumentSummary(String docId, String summary, List<Double> scores, List<Integer> chosen, long tokens) {

    public DocumentSummary {
        scores = List.copyOf(scores);
        chosen = List.copyOf(chosen);
    }
}
