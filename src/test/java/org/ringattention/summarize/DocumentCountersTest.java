package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.ringattention.platform.ScalaCollections;

/** The time a task gives its largest document, whichever of the pull's calls computes the row. */
class DocumentCountersTest {

    private static final long WORK_MILLIS = 200;

    /** Two documents whose rows take {@link #WORK_MILLIS} to compute, in {@code hasNext} as Spark's generated code does. */
    private static Iterator<Row> computedInHasNext() {
        Iterator<Row> rows = List.of(row("small", 3, 40), row("large", 5, 900)).iterator();
        return new Iterator<>() {
            private Row ready;

            @Override
            public boolean hasNext() {
                if (ready == null && rows.hasNext()) {
                    sleep();
                    ready = rows.next();
                }
                return ready != null;
            }

            @Override
            public Row next() {
                hasNext();
                Row r = ready;
                ready = null;
                return r;
            }
        };
    }

    /** The same rows computed in {@code next}. */
    private static Iterator<Row> computedInNext() {
        Iterator<Row> rows = List.of(row("small", 3, 40), row("large", 5, 900)).iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                sleep();
                return rows.next();
            }
        };
    }

    @Test
    void theLargestDocumentsTimeIsTheTimeItsRowTookToCompute() throws Exception {
        for (Iterator<Row> upstream : List.of(computedInHasNext(), computedInNext())) {
            CollectionAccumulator<WorkMeter.DocumentTime> times = new CollectionAccumulator<>();
            WorkMeter meter = new WorkMeter(new LongAccumulator(), new LongAccumulator(), new LongAccumulator(), times);
            Iterator<Row> counted = DocumentCounters.counting(0, 1, 2, 3, 4, new LongAccumulator(), new LongAccumulator(),
                    new LongAccumulator(), new LongAccumulator(), new LongAccumulator(), meter).call(upstream);
            while (counted.hasNext()) {
                counted.next();
            }
            WorkMeter.DocumentTime largest = meter.longest();
            assertEquals("large", largest.docId());
            assertEquals(900, largest.tokens());
            assertTrue(largest.seconds() >= WORK_MILLIS / 1e3 * 0.9 && largest.seconds() < 5,
                    "the largest document's row took " + WORK_MILLIS + " ms to compute; timed " + largest.seconds() + " s");
        }
    }

    /** {@code doc_id, text, sentences, embeddings (2-dimensional), token_count}. */
    private static Row row(String id, int sentences, long tokens) {
        List<String> s = Collections.nCopies(sentences, "A sentence.");
        return RowFactory.create(id, "text of " + id, ScalaCollections.asScala(s), new byte[sentences * 2 * 4], tokens);
    }

    private static void sleep() {
        try {
            Thread.sleep(WORK_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
