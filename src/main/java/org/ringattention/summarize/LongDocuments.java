package org.ringattention.summarize;

import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.size;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.ringattention.executor.GpuStages;
import org.ringattention.platform.ScalaCollections;
import scala.Tuple2;

/**
 * The job's way for documents over the ring threshold: no Spark row ever holds one's sentence vectors.
 * Its sentences are encoded in parts of {@link RingCentrality#partSentences} spread over the tasks (so one
 * long document's encoder passes run on every executor), the parts' vectors go to its ring as they are,
 * and only its selection gathers them, as plain arrays inside one task. A row holding a whole document's
 * vectors (79 MB for the 51,619 sentences of the Python Library Reference) is copied into Spark's row and
 * cache formats several times over, which ran 1 GiB executors out of memory.
 *
 * <p>The steps follow the stages ({@link #encode}, {@link #attend}, {@link #select}), so that the job's
 * phases time each with the stage it stands for. The ring's parts are those {@link SentenceCentrality} cuts a
 * long document's row into, and the selection is {@link SummarySelector}'s, so a document gets the summary
 * the stages give it.
 */
final class LongDocuments {

    /** A long document: its id, sentences and characters. */
    private record Entry(String id, int sentences, long characters) implements Serializable {
    }

    /** Sentences {@code [offset, ...)} of one document. */
    private record SentencePart(String document, int offset, List<String> sentences) implements Serializable {
    }

    /**
     * A part's vectors {@code (sentences, d)} (null where the encoder failed on it), its tokens and the
     * seconds its task spent encoding it.
     */
    private record EncodedPart(String document, int offset, int sentences, float[] vectors, long tokens, double seconds)
            implements Serializable {
    }

    /** A document's tokens and encoder seconds over its parts; {@code failed} if the encoder failed on any. */
    private record Encoded(long tokens, double seconds, boolean failed) {
    }

    private final Dataset<Row> rows;
    private final List<Entry> documents;
    private final int part;
    private JavaRDD<EncodedPart> encoded;
    private final Map<String, Encoded> byDocument = new HashMap<>();
    private int dimension;
    private JavaRDD<RingCentrality.CentralityPart> scored;

    private LongDocuments(Dataset<Row> rows, String sentencesCol, String textCol, int part) {
        this.rows = rows;
        this.part = part;
        documents = new ArrayList<>();
        for (Row r : rows.select(rows.col("doc_id"), size(rows.col(sentencesCol)), length(rows.col(textCol)))
                .collectAsList()) {
            documents.add(new Entry(r.getString(0), r.getInt(1), r.isNullAt(2) ? 0 : r.getInt(2)));
        }
        documents.sort((a, b) -> a.id().compareTo(b.id()));
    }

    /**
     * The documents of {@code split} (the splitter's output, with {@code doc_id}) of more than
     * {@code threshold} sentences, held persisted until {@link #release}; parts of {@code part} sentences.
     */
    static LongDocuments of(Dataset<Row> split, String sentencesCol, String textCol, int threshold, int part) {
        Dataset<Row> rows = split.filter(size(split.col(sentencesCol)).gt(threshold))
                .persist(StorageLevel.MEMORY_AND_DISK());
        return new LongDocuments(rows, sentencesCol, textCol, part);
    }

    boolean isEmpty() {
        return documents.isEmpty();
    }

    /**
     * Encodes every part, over at most {@code tasks} tasks, and counts each document in {@code counters}
     * (its work and time, for the progress lines and the report). The parts stay persisted until {@link #release}.
     */
    void encode(SentenceEmbeddings.TaskEncoder.Settings settings, String sentencesCol, int tasks,
                DocumentCounters counters) {
        Map<String, Integer> firstPart = new HashMap<>();
        int parts = 0;
        for (Entry d : documents) {
            firstPart.put(d.id(), parts);
            parts += (d.sentences() + part - 1) / part;
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext());
        Broadcast<Map<String, Integer>> numbers = jsc.broadcast(firstPart);
        int idAt = rows.schema().fieldIndex("doc_id");
        int sentencesAt = rows.schema().fieldIndex(sentencesCol);
        int size = part;
        WorkMeter meter = counters.meter();
        // Parts numbered in the night's order, on a hash partitioner of integers, go round the tasks in turn:
        // a document's parts are encoded side by side, and each part lands in the same task on every run.
        JavaRDD<SentencePart> spread = rows.toJavaRDD().flatMapToPair(r -> {
            String doc = r.getString(idAt);
            List<String> all = r.getList(sentencesAt);
            int first = numbers.value().get(doc);
            List<Tuple2<Integer, SentencePart>> out = new ArrayList<>();
            for (int from = 0; from < all.size(); from += size) {
                out.add(new Tuple2<>(first + from / size, new SentencePart(doc, from,
                        new ArrayList<>(all.subList(from, Math.min(all.size(), from + size))))));
            }
            return out.iterator();
        }).partitionBy(new HashPartitioner(Math.max(1, Math.min(tasks, parts)))).values();
        JavaRDD<EncodedPart> vectors = spread.mapPartitions(encoding(settings, meter));
        encoded = GpuStages.onGpus(vectors, settings.device()).persist(StorageLevel.MEMORY_AND_DISK());
        jsc.setJobDescription("sentence embeddings: " + documents.size() + " documents over the ring threshold, in "
                + parts + " parts");
        List<EncodedPart> done = encoded.map(p -> new EncodedPart(p.document(), p.offset(), p.sentences(), null,
                p.vectors() == null ? -1 : p.tokens(), p.seconds())).collect();
        jsc.setJobDescription(null);
        numbers.destroy();
        for (EncodedPart p : done) {
            byDocument.merge(p.document(), new Encoded(Math.max(0, p.tokens()), p.seconds(), p.tokens() < 0),
                    (a, b) -> new Encoded(a.tokens() + b.tokens(), a.seconds() + b.seconds(), a.failed() || b.failed()));
        }
        dimension = encoded.filter(p -> p.vectors() != null).map(p -> p.vectors().length / p.sentences()).take(1)
                .stream().findFirst().orElse(0);
        for (Entry d : documents) {
            Encoded e = byDocument.get(d.id());
            counters.counted(e.failed() ? 0 : e.tokens(), d.sentences(), e.failed() ? 0 : dimension, d.characters());
            if (!e.failed()) {
                // Its parts' encoder seconds (spread over tasks) and, added by the ring, its rings' wall time.
                meter.timed(new WorkMeter.DocumentTime(d.id(), e.tokens(), d.sentences(), e.seconds()));
            }
        }
    }

    /** A task's parts encoded one by one; static, so that the closure holds its arguments only. */
    private static FlatMapFunction<Iterator<SentencePart>, EncodedPart> encoding(
            SentenceEmbeddings.TaskEncoder.Settings settings, WorkMeter meter) {
        return in -> new Iterator<EncodedPart>() {
            private SentenceEmbeddings.TaskEncoder encoder;

            @Override
            public boolean hasNext() {
                return in.hasNext();
            }

            @Override
            public EncodedPart next() {
                SentencePart p = in.next();
                if (encoder == null) {
                    encoder = SentenceEmbeddings.TaskEncoder.open(settings);
                }
                long start = System.nanoTime();
                SentenceEmbeddings.TaskEncoder.Encoded e = DocumentStage.perDocument("SentenceEmbeddings",
                        p.document(), settings.failFast(), () -> encoder.encode(p.sentences(), meter), null);
                return new EncodedPart(p.document(), p.offset(), p.sentences().size(), e == null ? null : e.vectors(),
                        e == null ? 0 : e.tokens(), (System.nanoTime() - start) / 1e9);
            }
        };
    }

    /** Both attention passes of each document the encoder did not fail on, on rings of its own ({@link RingCentrality#rings}). */
    void attend(RingCentrality.Settings settings, boolean withContext, WorkMeter meter) {
        List<Tuple2<String, Integer>> attended = new ArrayList<>();
        for (Entry d : documents) {
            if (!byDocument.get(d.id()).failed()) {
                attended.add(new Tuple2<>(d.id(), d.sentences()));
            }
        }
        if (attended.isEmpty()) {
            return;
        }
        Set<String> ids = new TreeSet<>();
        attended.forEach(t -> ids.add(t._1()));
        JavaRDD<RingCentrality.VectorPart> parts = encoded.filter(p -> ids.contains(p.document()))
                .map(p -> new RingCentrality.VectorPart(p.document(), p.offset(), p.vectors()));
        scored = RingCentrality.rings(parts, attended, dimension, settings, withContext, meter);
    }

    /**
     * The documents' rows as the selector's output, without vectors ({@code schema}: the splitter's columns,
     * then {@code tokenCountCol}, {@code centralityCol}, the context column when there is one (null here: see
     * {@link #attentionRows}), then the selection), persisted and materialized (the caller unpersists it).
     * A document the encoder failed on has a null token count; one the selector failed on, a null selection.
     */
    Dataset<Row> select(SummarySelector.Settings settings, SummarySelector selector, StructType schema) {
        int width = rows.schema().size();
        String sentencesCol = selector.getOrDefault(selector.sentencesCol());
        int sentencesAt = rows.schema().fieldIndex(sentencesCol);
        int sectionsAt = Arrays.asList(rows.schema().fieldNames()).indexOf(selector.getOrDefault(selector.sectionsCol()));
        int fragmentsAt = Arrays.asList(rows.schema().fieldNames()).indexOf(selector.getOrDefault(selector.fragmentsCol()));
        int purposeAt = Arrays.asList(rows.schema().fieldNames()).indexOf(selector.getOrDefault(selector.purposeCol()));
        Map<String, Long> tokens = new HashMap<>();
        byDocument.forEach((id, e) -> tokens.put(id, e.failed() ? null : e.tokens()));
        int idAt = rows.schema().fieldIndex("doc_id");
        JavaPairRDD<String, Row> byId = rows.toJavaRDD().mapToPair(r -> new Tuple2<>(r.getString(idAt), r));
        JavaPairRDD<String, Iterable<EncodedPart>> vectors = encoded.filter(p -> p.vectors() != null)
                .groupBy(EncodedPart::document);
        JavaPairRDD<String, Iterable<RingCentrality.CentralityPart>> centrality = scored == null
                ? JavaPairRDD.fromJavaRDD(JavaSparkContext.fromSparkContext(rows.sparkSession().sparkContext()).emptyRDD())
                : scored.groupBy(RingCentrality.CentralityPart::document);
        JavaRDD<Row> out = byId.leftOuterJoin(vectors.join(centrality)).values().map(v -> {
            Row row = v._1();
            String id = row.getString(idAt);
            Object[] values = Arrays.copyOf(rowValues(row), schema.size());
            values[width] = tokens.get(id);
            if (v._2().isPresent()) {
                List<String> sentences = row.getList(sentencesAt);
                int n = sentences.size();
                double[] c = RingCentrality.centrality(RingCentrality.inOrder(v._2().get()._2()));
                float[] e = gather(v._2().get()._1(), n);
                values[width + 1] = DocumentStage.doubles(c);
                values[schema.size() - 1] = DocumentStage.perDocument("SummarySelector", id, settings.failFast(),
                        () -> SummarySelector.choose(settings, sentences,
                                SummarySelector.sections(sectionsAt < 0 ? null : row.getList(sectionsAt), n),
                                SummarySelector.flags(fragmentsAt < 0 ? null : row.getList(fragmentsAt), n),
                                SummarySelector.flags(purposeAt < 0 ? null : row.getList(purposeAt), n), c, e), null);
            }
            return RowFactory.create(values);
        });
        Dataset<Row> result = rows.sparkSession().createDataFrame(out, schema).persist(StorageLevel.MEMORY_AND_DISK());
        rows.sparkSession().sparkContext().setJobDescription("summary selector: documents over the ring threshold");
        result.count();
        rows.sparkSession().sparkContext().setJobDescription(null);
        return result;
    }

    /**
     * One row per sentence of each of {@code summarized} (ids): its index, centrality and context vector, in
     * the schema of {@code SummarizeJob}'s attention rows, straight from the ring's parts.
     */
    Dataset<Row> attentionRows(Set<String> summarized, StructType schema) {
        if (scored == null) {
            return rows.sparkSession().createDataFrame(List.of(), schema);
        }
        int d = dimension;
        JavaRDD<Row> out = scored.filter(p -> summarized.contains(p.document())).flatMap(p -> {
            List<Row> sentences = new ArrayList<>(p.centrality().length);
            for (int i = 0; i < p.centrality().length; i++) {
                List<Float> v = new ArrayList<>(d);
                for (int k = 0; k < d; k++) {
                    v.add(p.context()[i * d + k]);
                }
                sentences.add(RowFactory.create(p.document(), p.offset() + i, p.centrality()[i], ScalaCollections.asScala(v)));
            }
            return sentences.iterator();
        });
        return rows.sparkSession().createDataFrame(out, schema);
    }

    /** Releases what the steps persisted; the rows {@link #select} returned are the caller's. */
    void release() {
        rows.unpersist(false);
        if (encoded != null) {
            encoded.unpersist(false);
        }
        if (scored != null) {
            scored.unpersist(false);
        }
    }

    private static Object[] rowValues(Row row) {
        Object[] values = new Object[row.size()];
        for (int i = 0; i < row.size(); i++) {
            values[i] = row.get(i);
        }
        return values;
    }

    /** A document's vectors {@code (n, d)} from its parts. */
    private static float[] gather(Iterable<EncodedPart> parts, int n) {
        float[] e = null;
        for (EncodedPart p : parts) {
            int d = p.vectors().length / p.sentences();
            if (e == null) {
                e = new float[n * d];
            }
            System.arraycopy(p.vectors(), 0, e, p.offset() * d, p.vectors().length);
        }
        return e;
    }
}
