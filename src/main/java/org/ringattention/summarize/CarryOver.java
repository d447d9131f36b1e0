package org.ringattention.summarize;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.struct;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.ringattention.output.NightlyTables;

/**
 * An incremental night: which documents are carried from an earlier night and which are computed. A
 * document is carried when its most recent summary (the latest date up to the night's own, so a rerun
 * date's previous rows count) has the same id, the same SHA-256 of its text, the same input date and the
 * fingerprint this night would give it ({@link SummaryFingerprint}, which holds the route its attention
 * takes: that depends on its sentence count, the same as then since its text is); with {@code --attention},
 * only when that night also wrote its attention rows. Everything else is computed: new documents, changed
 * ones, those whose settings changed, and those whose latest outcome was a reject (a reject is not
 * carried: intake rejects cost a file read, which the content hash needs anyway, and a stage's failure
 * may not recur, so it is tried again each night).
 *
 * <p>The carried rows are read from the earlier nights' own rows, not recomputed, and committed with the
 * new ones in the night's one transaction (or swap); {@link #summaries} and {@link #attention} give them
 * in the night's schema.
 */
final class CarryOver {

    /** The column of a document's text hash: SHA-256 of its UTF-8 bytes, in hex. */
    static final String CONTENT_HASH = "content_sha256";
    /** The column of the fingerprint a summary was made with. */
    static final String SETTINGS = "settings";
    /** The column of {@link #carried} naming the date a document's rows are copied from. */
    static final String FROM = "carried_from";

    private final Dataset<Row> toCompute;
    private final Dataset<Row> carried;
    private final long carriedCount;
    private final List<String> fromDates;
    private final Dataset<Row> summaryHistory;
    private final Dataset<Row> attentionHistory;

    private CarryOver(Dataset<Row> toCompute, Dataset<Row> carried, long carriedCount, List<String> fromDates,
                      Dataset<Row> summaryHistory, Dataset<Row> attentionHistory) {
        this.toCompute = toCompute;
        this.carried = carried;
        this.carriedCount = carriedCount;
        this.fromDates = fromDates;
        this.summaryHistory = summaryHistory;
        this.attentionHistory = attentionHistory;
    }

    /**
     * The night's decision for {@code accepted} ({@code doc_id, text, doc_date, content_sha256}): nothing
     * carried under {@code --full}, on a first night, or where the earlier nights predate fingerprints.
     */
    static CarryOver plan(SparkSession spark, SummarizeOptions o, Dataset<Row> accepted, SummaryFingerprint fingerprint) {
        Optional<Dataset<Row>> history = o.full() ? Optional.empty()
                : NightlyTables.history(spark, o.output(), "summaries");
        if (history.isEmpty() || !hasColumns(history.get(), CONTENT_HASH, SETTINGS, "sentence_count")) {
            return new CarryOver(accepted, null, 0, List.of(), null, null);
        }
        // A JSON export leaves out null fields, so a night where no document had an input date has no doc_date.
        Dataset<Row> summaries = withNulls(history.get(), new StructType().add("doc_date", DataTypes.StringType))
                .where(col("date").leq(o.date()));
        Dataset<Row> latest = summaries.groupBy("doc_id")
                .agg(max(struct(col("date"), col(CONTENT_HASH), col(SETTINGS), col("sentence_count"), col("doc_date")))
                        .as("latest"))
                .select(col("doc_id"), col("latest.*"));
        Dataset<Row> keys = accepted.select("doc_id", CONTENT_HASH, "doc_date").as("now")
                .join(latest.as("then"), "doc_id")
                .where(col("now." + CONTENT_HASH).equalTo(col("then." + CONTENT_HASH))
                        .and(col("now.doc_date").eqNullSafe(col("then.doc_date")))
                        .and(col("then." + SETTINGS).equalTo(fingerprint.of(col("then.sentence_count")))))
                .select(col("doc_id"), col("then.date").as(FROM));
        Dataset<Row> attention = null;
        if (o.attention()) {
            Optional<Dataset<Row>> written = NightlyTables.history(spark, o.output(), "attention");
            if (written.isEmpty()) {
                return new CarryOver(accepted, null, 0, List.of(), null, null);
            }
            attention = written.get();
            keys = keys.join(attention.select(col("doc_id"), col("date").as(FROM)).distinct(),
                    new String[] {"doc_id", FROM}).select("doc_id", FROM);
        }
        spark.sparkContext().setJobDescription("summarize: find the documents unchanged since their last summary");
        // On the driver: an id and a date per carried document (about 100 bytes), used three times tonight.
        List<Row> found = keys.collectAsList();
        Dataset<Row> carried = spark.createDataFrame(found, keys.schema());
        List<String> dates = found.stream().map(r -> r.getString(1)).distinct().sorted().toList();
        // Broadcast: the documents keep their partitions, no shuffle.
        Dataset<Row> toCompute = found.isEmpty() ? accepted
                : accepted.join(broadcast(carried), accepted.col("doc_id").equalTo(carried.col("doc_id")), "left_anti");
        return new CarryOver(toCompute, carried, found.size(), dates, summaries, attention);
    }

    /** The accepted documents to split, encode and attend. */
    Dataset<Row> toCompute() {
        return toCompute;
    }

    /** How many documents are carried. */
    long carried() {
        return carriedCount;
    }

    /** {@code doc_id, carried_from} of the carried documents, or null when none are. */
    Dataset<Row> carriedDocuments() {
        return carriedCount == 0 ? null : carried;
    }

    /** The carried documents' summary rows as written then, in {@code schema} (the night's), or null when none are. */
    Dataset<Row> summaries(StructType schema) {
        return carriedCount == 0 ? null : rowsOf(summaryHistory, schema);
    }

    /** The carried documents' attention rows as written then, in {@code schema}, or null when none are. */
    Dataset<Row> attention(StructType schema) {
        return carriedCount == 0 || attentionHistory == null ? null : rowsOf(attentionHistory, schema);
    }

    /** The rows of {@code history} of the carried documents, from the date each is carried from. */
    private Dataset<Row> rowsOf(Dataset<Row> history, StructType schema) {
        Dataset<Row> rows = withNulls(history, schema).where(col("date").isin(fromDates.toArray()))
                .join(broadcast(carried), history.col("doc_id").equalTo(carried.col("doc_id"))
                        .and(history.col("date").equalTo(carried.col(FROM))), "left_semi");
        // In the night's own types (a JSON export reads integers back as longs), nullable as what is read back is.
        Column[] columns = new Column[schema.size()];
        for (int i = 0; i < schema.size(); i++) {
            StructField f = schema.fields()[i];
            columns[i] = rows.col(f.name()).cast(nullable(f.dataType())).as(f.name());
        }
        return rows.select(columns);
    }

    /** {@code type} with null elements allowed: a table read back allows them, and a cast cannot take that away. */
    private static DataType nullable(DataType type) {
        return type instanceof ArrayType a ? DataTypes.createArrayType(nullable(a.elementType()), true) : type;
    }

    /** {@code rows} with a null column for each field of {@code schema} it lacks (JSON leaves out null fields). */
    private static Dataset<Row> withNulls(Dataset<Row> rows, StructType schema) {
        Dataset<Row> out = rows;
        for (StructField f : schema.fields()) {
            if (!Arrays.asList(out.columns()).contains(f.name())) {
                out = out.withColumn(f.name(), org.apache.spark.sql.functions.lit(null).cast(f.dataType()));
            }
        }
        return out;
    }

    private static boolean hasColumns(Dataset<Row> rows, String... names) {
        return Arrays.asList(rows.columns()).containsAll(Arrays.asList(names));
    }
}
