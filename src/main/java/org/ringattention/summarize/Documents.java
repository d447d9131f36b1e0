package org.ringattention.summarize;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import org.ringattention.io.BadInputException;

/**
 * Documents in, as one table {@code (doc_id, text, doc_date, reject)}: a directory of text files
 * ({@link #TEXT_EXTENSIONS}: plain text, Markdown, R Markdown, Quarto, reStructuredText; doc id = file
 * name) or a Parquet / JSON table with {@code doc_id}, {@code text} and optionally {@code date}. A row
 * that cannot be summarized keeps a {@code reject} reason instead of being dropped, so every input row
 * is accounted for. Reasons never quote the text.
 *
 * <p>Intake is bounded: a directory is listed on the driver and every entry judged from the listing
 * first (hidden names, sub-directories, other file types, files larger than {@code 4 * maxChars} bytes,
 * the most UTF-8 can spend on {@code maxChars} characters, are rejects and never opened); only the files
 * that pass are read, each by the task that holds it. Duplicate ids (possible in tables only) are found
 * by counting ids alone, and a rejected row's text is dropped before anything is shuffled.
 */
public final class Documents {

    /** The intake schema. */
    public static final StructType SCHEMA = new StructType()
            .add("doc_id", DataTypes.StringType, true)
            .add("text", DataTypes.StringType, true)
            .add("doc_date", DataTypes.StringType, true)
            .add("reject", DataTypes.StringType, true);

    /** File name endings read as text (lower-cased): plain text, Markdown (R Markdown, Quarto) and reStructuredText. */
    static final List<String> TEXT_EXTENSIONS = List.of(".txt", ".text", ".md", ".markdown", ".rmd", ".qmd", ".rst");

    /** UTF-8 spends at most 4 bytes on a character. */
    static final int MAX_BYTES_PER_CHAR = 4;

    private Documents() {
    }

    /**
     * Reads {@code path} as {@code format}: {@code text}, {@code parquet}, {@code json} or {@code auto};
     * text files over {@code maxChars} characters' worth of bytes are rejected from the listing, unread.
     */
    public static Dataset<Row> read(SparkSession spark, String path, String format, long maxChars) {
        String f = format.equals("auto") ? detect(spark, path) : format;
        switch (f) {
            case "text":
                return readTextFiles(spark, path, maxChars);
            case "parquet":
            case "json":
                return readTable(spark, path, f);
            default:
                throw new BadInputException("--input-format must be auto, text, parquet or json, got '" + format + "'");
        }
    }

    /**
     * The documents at {@code path} ({@link #read}), validated ({@link #validate}). Duplicate ids are
     * looked for in tables only: a directory listing cannot hold two files of one name, and the search
     * costs the night a shuffle and a join.
     */
    public static Dataset<Row> intake(SparkSession spark, String path, String format, long maxChars) {
        String f = format.equals("auto") ? detect(spark, path) : format;
        return validate(read(spark, path, f, maxChars), maxChars, !f.equals("text"));
    }

    /**
     * Adds reject reasons for missing ids, duplicate ids, empty text and text over {@code maxChars}; a
     * rejected row's text becomes null.
     */
    public static Dataset<Row> validate(Dataset<Row> docs, long maxChars) {
        return validate(docs, maxChars, true);
    }

    private static Dataset<Row> validate(Dataset<Row> docs, long maxChars, boolean idsMayRepeat) {
        Dataset<Row> counted;
        if (idsMayRepeat) {
            Dataset<Row> duplicated = docs.where(col("doc_id").isNotNull()).groupBy("doc_id")
                    .agg(count(lit(1)).as("copies")).where(col("copies").gt(1))
                    .select(col("doc_id").as("duplicated_id"), col("copies"));
            counted = docs.join(broadcast(duplicated), col("doc_id").equalTo(col("duplicated_id")), "left")
                    .drop("duplicated_id");
        } else {
            counted = docs.withColumn("copies", lit(null).cast("long"));
        }
        Column length = org.apache.spark.sql.functions.length(col("text"));
        Column reason = when(col("reject").isNotNull(), col("reject"))
                .when(col("doc_id").isNull().or(col("doc_id").equalTo("")), lit("missing doc_id"))
                .when(col("copies").isNotNull(), concat(lit("duplicate doc_id: "),
                        col("copies").cast("string"), lit(" input rows share it; give each document its own id")))
                .when(col("text").isNull().or(col("text").rlike("^\\s*$")),
                        lit("empty text"))
                .when(length.gt(maxChars), concat(lit("text has "),
                        length.cast("string"), lit(" characters, over the maximum of " + maxChars
                                + " (--max-chars)")));
        return counted.withColumn("reject", reason)
                .withColumn("text", when(col("reject").isNull(), col("text")))
                .select("doc_id", "text", "doc_date", "reject");
    }

    private static String detect(SparkSession spark, String path) {
        Path p = new Path(path);
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(p)) {
                throw new BadInputException("--input " + path + " does not exist");
            }
            String name = p.getName().toLowerCase(Locale.ROOT);
            if (name.endsWith(".parquet")) {
                return "parquet";
            }
            if (name.endsWith(".json") || name.endsWith(".jsonl")) {
                return "json";
            }
            if (fs.getFileStatus(p).isDirectory()) {
                boolean parquet = Arrays.stream(fs.listStatus(p))
                        .anyMatch(s -> s.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".parquet"));
                boolean json = Arrays.stream(fs.listStatus(p))
                        .anyMatch(s -> s.getPath().getName().toLowerCase(Locale.ROOT).matches(".*\\.jsonl?"));
                return parquet ? "parquet" : json ? "json" : "text";
            }
            throw new BadInputException("--input " + path + " is neither a directory of text files nor a"
                    + " .parquet or .json table; set --input-format");
        } catch (IOException e) {
            throw new BadInputException("--input " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The reason a listed entry is rejected without being opened, or null when it is to be read. */
    static String listingReject(FileStatus entry, long maxChars) {
        String name = entry.getPath().getName();
        String lower = name.toLowerCase(Locale.ROOT);
        if (name.startsWith("_") || name.startsWith(".")) {
            return "hidden file name (starts with '_' or '.'); rename the file to have it summarized";
        }
        if (entry.isDirectory()) {
            return "a directory; the input directory is read one level deep";
        }
        if (name.contains(":")) {
            // Hadoop reads a name's colon as a URI scheme (the local file system's checksum path fails).
            return "a ':' in the file name, which Hadoop's file systems cannot open; rename the file to have it summarized";
        }
        if (TEXT_EXTENSIONS.stream().noneMatch(lower::endsWith)) {
            return "unsupported file type; give text files (" + String.join(", ", TEXT_EXTENSIONS) + ")";
        }
        long maxBytes = MAX_BYTES_PER_CHAR * maxChars;
        if (entry.getLen() > maxBytes) {
            return "file has " + entry.getLen() + " bytes, more than " + maxChars + " characters (--max-chars) can"
                    + " take in UTF-8 (" + maxBytes + " bytes); not read";
        }
        return null;
    }

    private static Dataset<Row> readTextFiles(SparkSession spark, String path, long maxChars) {
        Path dir = new Path(path);
        List<Row> listing = new ArrayList<>();
        try {
            FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
            for (FileStatus entry : fs.listStatus(dir)) {
                listing.add(RowFactory.create(entry.getPath().getName(), entry.getPath().toString(), entry.getLen(),
                        listingReject(entry, maxChars)));
            }
        } catch (IOException e) {
            throw new BadInputException("--input " + path + " cannot be listed: " + e.getMessage(), e);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SerializableConfiguration conf = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
        List<List<Row>> slices = slices(listing, spark.sparkContext().defaultParallelism());
        JavaRDD<Row> rows = jsc.parallelize(slices, slices.size()).flatMap(List::iterator).map(entry -> {
            String name = entry.getString(0);
            if (!entry.isNullAt(3)) {
                return RowFactory.create(name, null, null, entry.getString(3));
            }
            byte[] bytes = readListed(new Path(entry.getString(1)), entry.getLong(2), conf.value());
            if (bytes == null) {
                return RowFactory.create(name, null, null, "file changed size after it was listed; rerun the date");
            }
            try {
                String text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
                return RowFactory.create(name, text, null, null);
            } catch (CharacterCodingException e) {
                return RowFactory.create(name, null, null, "undecodable bytes: the file is not valid UTF-8 text");
            }
        });
        return spark.createDataFrame(rows, SCHEMA);
    }

    /**
     * The listing (name, path, bytes, reject) in slices of about equal bytes, one task each: at least two
     * per core, one per {@link #SLICE_BYTES} of input beyond that. Files go largest first to the slice
     * with the fewest bytes so far (LPT), each slice lists its files largest first, and the slices are
     * ordered by their largest file, so the night's longest documents start first and the last tasks
     * are short ones: a large file last in a slice of many would leave the other cores idle at the end.
     */
    static List<List<Row>> slices(List<Row> listing, int cores) {
        long total = listing.stream().mapToLong(r -> r.getLong(2)).sum();
        int count = (int) Math.max(1, Math.min(listing.size(), Math.max(2L * cores, (total + SLICE_BYTES - 1) / SLICE_BYTES)));
        List<Row> bySize = new ArrayList<>(listing);
        bySize.sort(java.util.Comparator.<Row>comparingLong(r -> -r.getLong(2)).thenComparing(r -> r.getString(0)));
        List<List<Row>> slices = new ArrayList<>();
        long[] bytes = new long[count];
        for (int i = 0; i < count; i++) {
            slices.add(new ArrayList<>());
        }
        for (Row r : bySize) {
            int lightest = 0;
            for (int i = 1; i < count; i++) {
                if (bytes[i] < bytes[lightest]) {
                    lightest = i;
                }
            }
            slices.get(lightest).add(r);
            bytes[lightest] += r.getLong(2);
        }
        slices.removeIf(List::isEmpty);
        return slices;
    }

    /** Input bytes per intake slice beyond two slices per core: about a minute of encoding on one core. */
    static final long SLICE_BYTES = 1L << 20;

    /** Reads exactly the listed number of bytes; null when the file now holds a different number. */
    private static byte[] readListed(Path file, long size, Configuration conf) throws IOException {
        byte[] bytes = new byte[Math.toIntExact(size)];
        try (FSDataInputStream in = file.getFileSystem(conf).open(file)) {
            in.readFully(bytes);
            return in.read() == -1 ? bytes : null;
        } catch (java.io.EOFException e) {
            return null;
        }
    }

    private static Dataset<Row> readTable(SparkSession spark, String path, String format) {
        Dataset<Row> table = spark.read().format(format).load(path);
        StructType schema = table.schema();
        for (String required : new String[] {"doc_id", "text"}) {
            if (!Arrays.asList(schema.fieldNames()).contains(required)) {
                throw new BadInputException("--input " + path + " has no '" + required + "' column; the table needs"
                        + " doc_id and text (and optionally date); it has " + Arrays.toString(schema.fieldNames()));
            }
        }
        if (!schema.apply("text").dataType().equals(DataTypes.StringType)) {
            throw new BadInputException("--input " + path + ": column 'text' is "
                    + schema.apply("text").dataType().simpleString() + "; it must be a string");
        }
        Column date = Arrays.asList(schema.fieldNames()).contains("date") ? col("date").cast("string")
                : lit(null).cast("string");
        return table.select(col("doc_id").cast("string").as("doc_id"), col("text"), date.as("doc_date"),
                lit(null).cast("string").as("reject"));
    }
}
