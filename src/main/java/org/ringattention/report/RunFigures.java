package org.ringattention.report;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one run did, for its report.
 *
 * @param date           the run's date, YYYY-MM-DD
 * @param input          where the documents came from
 * @param documentsFound input rows (summarized + rejected)
 * @param inputBytes     bytes under {@code input}
 * @param documents      documents summarized
 * @param sentences      sentences of the summarized documents
 * @param tokens         encoder tokens of the summarized documents
 * @param rejects        rejected input rows by reason, in the order to show
 * @param phaseSeconds   wall time of each phase, in order
 * @param seconds        wall time of the whole run
 */
public record RunFigures(String date, String input, long documentsFound, long inputBytes, long documents,
                         long sentences, long tokens, Map<String, Long> rejects, Map<String, Double> phaseSeconds,
                         double seconds) {

    public RunFigures {
        rejects = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rejects));
        phaseSeconds = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(phaseSeconds));
    }

    public long rejected() {
        return rejects.values().stream().mapToLong(Long::longValue).sum();
    }
}
