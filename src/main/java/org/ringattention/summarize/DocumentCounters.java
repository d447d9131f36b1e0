package org.ringattention.summarize;

import java.util.Iterator;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.util.LongAccumulator;
import org.ringattention.progress.Progress;

/**
 * The job's progress counters: documents and sentences done (a carried document counts as done from the
 * start), tokens encoded and the work done inside documents ({@link WorkMeter}, which the stages count as
 * they go), and, as each document's embedding is done, its whole work of each kind and its characters,
 * from which the estimate of time left sizes the documents not yet split ({@link org.ringattention.progress.TimeLeft}).
 * A retried task counts again, so the counts can run ahead of the truth after a failure; they are for
 * watching, not for the record (the final line counts the written output).
 */
final class DocumentCounters {

    private final LongAccumulator documents;
    private final LongAccumulator sentences;
    private final Progress.Work work;
    private final WorkMeter meter;

    /**
     * Counters of a night that computes {@code toCompute} documents of {@code characters} characters and
     * carries {@code carried} from earlier nights.
     */
    DocumentCounters(SparkContext spark, Progress progress, long toCompute, long carried, long characters) {
        documents = progress.counter("documents", toCompute + carried);
        documents.add(carried);
        sentences = progress.counter("sentences", 0);
        LongAccumulator tokens = progress.counter("tokens", 0);
        work = progress.work(characters, WorkMeter.timeLeft());
        meter = new WorkMeter(tokens, work.done().get(WorkMeter.ENCODING), work.done().get(WorkMeter.ATTENTION),
                spark.collectionAccumulator("summarize document times"));
    }

    /** What the stages count their work with. */
    WorkMeter meter() {
        return meter;
    }

    /**
     * {@code embedded} unchanged, counted row by row as tasks compute it; each task also times the largest
     * document it holds (the time its row took to come out of the splitter and the encoder: from the pull's
     * first {@code hasNext}, since Spark's generated code computes the upstream row there, to its {@code next}).
     */
    Dataset<Row> count(Dataset<Row> embedded) {
        return embedded.mapPartitions(counting(embedded.schema().fieldIndex("doc_id"), embedded.schema().fieldIndex("text"),
                embedded.schema().fieldIndex("sentences"), embedded.schema().fieldIndex("embeddings"),
                embedded.schema().fieldIndex("token_count"), documents, sentences, work.known().get(WorkMeter.ENCODING),
                work.known().get(WorkMeter.ATTENTION), work.knownSize(), meter),
                Encoders.row(embedded.schema()));
    }

    /**
     * One document counted on the driver, as {@link #count} counts a row: a document over the ring threshold,
     * which reaches no row with its vectors ({@link LongDocuments}). {@code dimension} 0 (the encoder failed
     * on it) counts no attention.
     */
    void counted(long tokens, long sentenceCount, int dimension, long characters) {
        documents.add(1);
        sentences.add(sentenceCount);
        work.known().get(WorkMeter.ENCODING).add(WorkMeter.encodingWork(tokens));
        work.known().get(WorkMeter.ATTENTION).add(WorkMeter.attentionWork(sentenceCount, dimension));
        work.knownSize().add(characters);
    }

    /** Static, so that the task closure holds the accumulators and nothing of this object. */
    static MapPartitionsFunction<Row, Row> counting(int idAt, int textAt, int sentencesAt, int embeddingsAt,
                                                    int tokensAt, LongAccumulator d, LongAccumulator s,
                                                    LongAccumulator knownEncoding, LongAccumulator knownAttention,
                                                    LongAccumulator knownSize, WorkMeter meter) {
        return rows -> new Iterator<>() {
            private WorkMeter.DocumentTime largest;
            private boolean told;
            /** When the pull of the next row began, or -1 between rows. */
            private long pullStart = -1;

            @Override
            public boolean hasNext() {
                if (pullStart < 0) {
                    pullStart = System.nanoTime();
                }
                boolean more = rows.hasNext();
                if (!more && !told && largest != null) {
                    meter.timed(largest);
                    told = true;
                }
                return more;
            }

            @Override
            public Row next() {
                long start = pullStart < 0 ? System.nanoTime() : pullStart;
                Row r = rows.next();
                pullStart = -1;
                double seconds = (System.nanoTime() - start) / 1e9;
                long n = r.isNullAt(sentencesAt) ? 0 : r.getList(sentencesAt).size();
                long tokens = r.isNullAt(tokensAt) ? 0 : r.getLong(tokensAt);
                int dimension = n == 0 || r.isNullAt(embeddingsAt) ? 0 : (int) (((byte[]) r.get(embeddingsAt)).length / 4 / n);
                d.add(1);
                s.add(n);
                knownEncoding.add(WorkMeter.encodingWork(tokens));
                knownAttention.add(WorkMeter.attentionWork(n, dimension));
                knownSize.add(r.isNullAt(textAt) ? 0 : r.getString(textAt).length());
                if (largest == null || tokens > largest.tokens()) {
                    largest = new WorkMeter.DocumentTime(r.getString(idAt), tokens, n, seconds);
                }
                return r;
            }
        };
    }
}
