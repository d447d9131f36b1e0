package org.ringattention.summarize;

import java.util.Iterator;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.ringattention.progress.Progress;

/**
 * The job's progress counters: documents, sentences and tokens done, and characters done (for the
 * estimated time left), added to by tasks as embedded documents pass. A retried task counts again, so
 * the counts can run ahead of the truth after a failure; they are for watching, not for the record
 * (the final line counts the written output).
 */
final class DocumentCounters {

    private final LongAccumulator documents;
    private final LongAccumulator sentences;
    private final LongAccumulator tokens;
    private final LongAccumulator characters;

    DocumentCounters(Progress progress, long documentsToDo, long charactersToDo) {
        documents = progress.counter("documents", documentsToDo);
        sentences = progress.counter("sentences", 0);
        tokens = progress.counter("tokens", 0);
        characters = progress.work(charactersToDo);
    }

    /** {@code embedded} unchanged, counted row by row as tasks compute it. */
    Dataset<Row> count(Dataset<Row> embedded) {
        return embedded.mapPartitions(counting(embedded.schema().fieldIndex("text"),
                embedded.schema().fieldIndex("sentences"), embedded.schema().fieldIndex("token_count"),
                documents, sentences, tokens, characters), Encoders.row(embedded.schema()));
    }

    /** Static, so that the task closure holds the accumulators and nothing of this object. */
    private static MapPartitionsFunction<Row, Row> counting(int textAt, int sentencesAt, int tokensAt,
                                                            LongAccumulator d, LongAccumulator s,
                                                            LongAccumulator t, LongAccumulator c) {
        return rows -> new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row r = rows.next();
                d.add(1);
                s.add(r.isNullAt(sentencesAt) ? 0 : r.getList(sentencesAt).size());
                t.add(r.isNullAt(tokensAt) ? 0 : r.getLong(tokensAt));
                c.add(r.isNullAt(textAt) ? 0 : r.getString(textAt).length());
                return r;
            }
        };
    }
}
