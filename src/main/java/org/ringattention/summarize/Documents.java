package org.ringattention.summarize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.ringattention.io.BadInputException;

/**
 * Documents in, as one table {@code (doc_id, text, doc_date, reject)}: a directory of {@code .txt} /
 * {@code .md} files (doc id = file name) or a Parquet / JSON table with {@code doc_id}, {@code text} and
 * optionally {@code date}. A row that cannot be summarized keeps a {@code reject} reason instead of
 * being dropped, so every input row is accounted for. Reasons never quote the text.
 */
public final class Documents {

    /** The intake schema. */
    public static final StructType SCHEMA = new StructType()
            .add("doc_id", DataTypes.StringType, true)
            .add("text", DataTypes.StringType, true)
            .add("doc_date", DataTypes.StringType, true)
            .add("reject", DataTypes.StringType, true);

    private Documents() {
    }

    /** Reads {@code path} as {@code format}: {@code text}, {@code parquet}, {@code json} or {@code auto}. */
    public static Dataset<Row> read(SparkSession spark, String path, String format) {
        String f = format.equals("auto") ? detect(spark, path) : format;
        switch (f) {
            case "text":
                return readTextFiles(spark, path);
            case "parquet":
            case "json":
                return readTable(spark, path, f);
            default:
                throw new BadInputException("--input-format must be auto, text, parquet or json, got '" + format + "'");
        }
    }

    /** Adds reject reasons for missing ids, duplicate ids, empty text and text over {@code maxChars}. */
    public static Dataset<Row> validate(Dataset<Row> docs, long maxChars) {
        Column copies = count(lit(1)).over(Window.partitionBy(col("doc_id")));
        Column length = org.apache.spark.sql.functions.length(col("text"));
        Column reason = when(col("reject").isNotNull(), col("reject"))
                .when(col("doc_id").isNull().or(col("doc_id").equalTo("")), lit("missing doc_id"))
                .when(copies.gt(1), org.apache.spark.sql.functions.concat(lit("duplicate doc_id: "),
                        copies.cast("string"), lit(" input rows share it; give each document its own id")))
                .when(col("text").isNull().or(col("text").rlike("^\\s*$")),
                        lit("empty text"))
                .when(length.gt(maxChars), org.apache.spark.sql.functions.concat(lit("text has "),
                        length.cast("string"), lit(" characters, over the maximum of " + maxChars
                                + " (--max-chars)")));
        return docs.withColumn("reject", reason);
    }

    private static String detect(SparkSession spark, String path) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        try {
            org.apache.hadoop.fs.FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
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
            throw new BadInputException("--input " + path + " is neither a directory of .txt/.md files nor a"
                    + " .parquet or .json table; set --input-format");
        } catch (java.io.IOException e) {
            throw new BadInputException("--input " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static Dataset<Row> readTextFiles(SparkSession spark, String path) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        JavaRDD<Row> rows = jsc.binaryFiles(path).map(file -> {
            String name = new org.apache.hadoop.fs.Path(file._1()).getName();
            String lower = name.toLowerCase(Locale.ROOT);
            if (!lower.endsWith(".txt") && !lower.endsWith(".md")) {
                return RowFactory.create(name, null, null, "unsupported file type; give .txt or .md files");
            }
            byte[] bytes = file._2().toArray();
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
