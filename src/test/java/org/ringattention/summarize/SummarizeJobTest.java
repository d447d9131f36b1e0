package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nightly job end to end on local Spark, over the shipped samples plus inputs that must be rejected. */
class SummarizeJobTest {

    /** Inputs that must be rejected: empty, random bytes, too long, a .pdf, two hidden names, one huge file. */
    private static final int REJECTS = 7;

    private static SparkSession spark;
    @TempDir
    static Path dir;
    private static Path input;

    @BeforeAll
    static void setUp() throws IOException {
        spark = SparkSession.builder().master("local[2]").appName("SummarizeJobTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
        input = Files.createDirectory(dir.resolve("in"));
        try (Stream<Path> samples = Files.list(Path.of("jobs/samples"))) {
            for (Path p : samples.toList()) {
                Files.copy(p, input.resolve(p.getFileName()));
            }
        }
        Files.writeString(input.resolve("empty.txt"), "  \n ");
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        noise[0] = (byte) 0xC3;
        noise[1] = (byte) 0x28;
        Files.write(input.resolve("random-bytes.txt"), noise);
        Files.writeString(input.resolve("too-long.txt"), "A sentence that repeats. ".repeat(4000));
        Files.writeString(input.resolve("scan.pdf"), "%PDF-1.4");
        Files.writeString(input.resolve("_draft.txt"), "A hidden draft. It has sentences.");
        Files.writeString(input.resolve(".notes.md"), "Hidden notes. They have sentences.");
        // Over 4 bytes per allowed character: rejected from the listing, never opened.
        Files.writeString(input.resolve("huge.txt"), "x".repeat(4 * 60_000 + 1));
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    private static SummarizeOptions options(String out, String date, String format) {
        return SummarizeOptions.builder(input.toString(), out).date(date).outputFormat(format).sentences(3)
                .maxChars(60_000).quiet(true).build();
    }

    private static Map<String, String> texts() throws IOException {
        Map<String, String> texts = new HashMap<>();
        try (Stream<Path> files = Files.list(input)) {
            for (Path p : files.toList()) {
                texts.put(p.getFileName().toString(), new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
            }
        }
        return texts;
    }

    @Test
    void summariesComeFromTheirDocumentsInOrderAndEveryInputIsAccountedFor() throws IOException {
        String out = dir.resolve("out").toString();
        java.io.ByteArrayOutputStream progress = new java.io.ByteArrayOutputStream();
        SummarizeOptions o = options(out, "2026-11-28", "parquet");
        SummarizeJob.Summary first = SummarizeJob.summarize(spark, o, SummarizeJob.pipeline(o),
                new java.io.PrintStream(progress, true, StandardCharsets.UTF_8));
        String lines = progress.toString(StandardCharsets.UTF_8);
        assertTrue(lines.startsWith("summarize: " + texts().size() + " documents found ("), lines);
        for (String phase : List.of("read and validate", "split, embed, attend and select", "write", "report")) {
            assertTrue(lines.contains("summarize: " + phase + " done in "), phase + " in\n" + lines);
        }
        String report = Files.readString(Path.of(out, "report", "date=2026-11-28", "index.html"));
        assertTrue(report.contains("<td>empty text</td><td class=\"n\">1</td>"), "rejects by reason in the report");
        assertEquals(texts().size() - REJECTS, report.split("<section class=\"doc\"", -1).length - 1, "every summary in the report");
        Dataset<Row> summaries = spark.read().parquet(out + "/summaries/date=2026-11-28");
        Dataset<Row> rejects = spark.read().parquet(out + "/rejects/date=2026-11-28");
        Map<String, String> texts = texts();
        assertEquals(texts.size(), summaries.count() + rejects.count(), "every input row once");
        assertEquals(first.documents(), summaries.count());
        assertEquals(REJECTS, first.rejects());

        Map<String, String> reasons = new HashMap<>();
        for (Row r : rejects.collectAsList()) {
            reasons.put(r.getString(0), r.getString(1));
        }
        assertEquals("empty text", reasons.get("empty.txt"));
        assertTrue(reasons.get("random-bytes.txt").startsWith("undecodable bytes"), reasons.toString());
        assertTrue(reasons.get("too-long.txt").contains("over the maximum of 60000"), reasons.toString());
        assertTrue(reasons.get("scan.pdf").startsWith("unsupported file type"), reasons.toString());
        assertTrue(reasons.get("_draft.txt").startsWith("hidden file name"), reasons.toString());
        assertTrue(reasons.get(".notes.md").startsWith("hidden file name"), reasons.toString());
        assertTrue(reasons.get("huge.txt").contains("not read"), reasons.toString());

        int checked = 0;
        for (Row r : summaries.collectAsList()) {
            String id = r.getAs("doc_id");
            List<String> sentences = SentenceSplitter.split(texts.get(id));
            List<Integer> picked = r.getList(r.fieldIndex("selected_indices"));
            assertTrue(!picked.isEmpty() && picked.size() <= 3, id + " within budget: " + picked);
            List<String> chosen = new ArrayList<>();
            for (int k = 0; k < picked.size(); k++) {
                assertTrue(k == 0 || picked.get(k) > picked.get(k - 1), id + " in document order: " + picked);
                chosen.add(sentences.get(picked.get(k)));
            }
            assertEquals(String.join(" ", chosen), r.getAs("summary"));
            assertEquals(sentences.size(), (int) r.getAs("sentence_count"));
            assertTrue((long) r.getAs("token_count") > sentences.size(), "tokens counted");
            checked++;
        }
        assertEquals(texts.size() - REJECTS, checked);

        // Rerunning the date replaces it with the same rows; another date leaves it alone.
        List<Row> before = sorted(summaries);
        SummarizeJob.summarize(spark, options(out, "2026-11-28", "parquet"));
        Dataset<Row> again = spark.read().parquet(out + "/summaries/date=2026-11-28");
        assertEquals(before, sorted(again));
        SummarizeJob.summarize(spark, options(out, "2026-11-29", "parquet"));
        Dataset<Row> all = spark.read().parquet(out + "/summaries");
        assertEquals(2L * before.size(), all.count());
        assertEquals((long) before.size(), all.filter("date = '2026-11-28'").count());
        assertFalse(Files.exists(Path.of(out, "_staging")), "no staging left behind");
    }

    @Test
    void aDocumentFailingInAStageIsARejectAndTheNightGoesOnUnlessFailFast() {
        String out = dir.resolve("doc-failure").toString();
        String bad = "river-city-water-report.md";
        // The local master runs tasks in this JVM, so a handler installed here reaches every stage's point.
        FaultPoints.install((point, call, docId) -> {
            if (point.equals("SentenceEmbeddings") && bad.equals(docId)) {
                throw new IllegalStateException("a document the encoder cannot take");
            }
        });
        try {
            SummarizeJob.Summary s = SummarizeJob.summarize(spark, options(out, "2026-11-25", "parquet"));
            assertEquals(REJECTS + 1, s.rejects());
            Dataset<Row> rejects = spark.read().parquet(out + "/rejects/date=2026-11-25");
            assertEquals(bad, rejects.where("reason like 'SentenceEmbeddings failed%'").first().getString(0));
            assertEquals(texts().size(), s.documents() + s.rejects(), "every input file once");

            SummarizeOptions o = options(dir.resolve("fail-fast").toString(), "2026-11-25", "parquet");
            SummarizeOptions failFast = o.toBuilder().failFast(true).build();
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> SummarizeJob.summarize(spark, failFast));
            String expected = "SentenceEmbeddings failed on document " + bad + " (java.lang.IllegalStateException)";
            assertTrue(org.apache.commons.lang3.exception.ExceptionUtils.getStackTrace(e).contains(expected),
                    "the job fails naming the stage and the document: " + e);
            assertFalse(org.apache.commons.lang3.exception.ExceptionUtils.getStackTrace(e)
                    .contains("a document the encoder cannot take"), "never the failure's own message");
            assertFalse(Files.exists(Path.of(o.output(), "summaries")), "nothing written");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            FaultPoints.install(null);
        }
    }

    @Test
    void attentionOutputHasOneContextVectorPerSentence() {
        String out = dir.resolve("attention").toString();
        SummarizeOptions o = options(out, "2026-11-26", "parquet");
        SummarizeJob.summarize(spark, o.toBuilder().attention(true).build());
        Dataset<Row> summaries = spark.read().parquet(out + "/summaries/date=2026-11-26");
        Dataset<Row> attention = spark.read().parquet(out + "/attention/date=2026-11-26");
        long sentences = summaries.agg(org.apache.spark.sql.functions.sum("sentence_count")).first().getLong(0);
        assertEquals(sentences, attention.count());
        for (Row r : attention.filter("sentence_index = 0").collectAsList()) {
            assertEquals(384, r.getList(r.fieldIndex("context")).size());
            assertTrue(r.<Double>getAs("centrality") >= 0);
        }
        assertEquals(sentences, attention.select("doc_id", "sentence_index").distinct().count(), "no duplicates");
    }

    @Test
    void jsonOutputIsJsonLines() throws IOException {
        String out = dir.resolve("json").toString();
        SummarizeJob.summarize(spark, options(out, "2026-11-27", "json"));
        try (Stream<Path> files = Files.list(Path.of(out, "summaries", "date=2026-11-27"))) {
            Path part = files.filter(p -> p.getFileName().toString().startsWith("part-")
                    && Files.isRegularFile(p) && p.toFile().length() > 0).findFirst().orElseThrow();
            String line = Files.readAllLines(part).get(0);
            assertTrue(line.startsWith("{\"doc_id\":"), line);
        }
    }

    @Test
    void aTableRepeatingAnIdRejectsEveryRowOfIt() throws IOException {
        Path table = dir.resolve("repeats.json");
        Files.writeString(table, "{\"doc_id\":\"a\",\"text\":\"The first of two rows named a.\"}\n"
                + "{\"doc_id\":\"a\",\"text\":\"The second of two rows named a.\"}\n"
                + "{\"doc_id\":\"b\",\"text\":\"The only row named b.\"}\n");
        Map<String, List<String>> reasons = new HashMap<>();
        for (Row r : Documents.intake(spark, table.toString(), "auto", 60_000).collectAsList()) {
            reasons.computeIfAbsent(r.getString(0), k -> new ArrayList<>()).add(r.getString(3));
        }
        assertEquals(List.of("duplicate doc_id: 2 input rows share it; give each document its own id",
                "duplicate doc_id: 2 input rows share it; give each document its own id"), reasons.get("a"));
        assertEquals(java.util.Collections.singletonList(null), reasons.get("b"));
    }

    @Test
    void savedAndReloadedPipelineGivesIdenticalOutput() {
        Dataset<Row> docs = Documents.validate(Documents.read(spark, input.toString(), "auto", 60_000), 60_000)
                .filter("reject is null").drop("reject");
        PipelineModel model = SummarizeJob.pipeline(options("unused", "2026-11-28", "parquet")).fit(docs);
        String path = dir.resolve("pipeline").toString();
        try {
            model.write().overwrite().save(path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        PipelineModel loaded = PipelineModel.load(path);
        assertEquals(model.stages().length, loaded.stages().length);
        List<Row> a = sorted(model.transform(docs).select("doc_id", "selection", "centrality"));
        List<Row> b = sorted(loaded.transform(docs).select("doc_id", "selection", "centrality"));
        assertEquals(a, b);
        assertArrayEquals(new String[] {"SentenceSplitter", "SentenceEmbeddings", "SentenceCentrality", "SummarySelector"},
                Stream.of(loaded.stages()).map(s -> s.getClass().getSimpleName()).toArray());
    }

    @Test
    void longDocumentsOnTheRingGetTheSameCentralityAsInOneTask() {
        // Tolerance 1e-5 relative to max(1, c): the ring's second pass carries ln(mass) in float32.
        Dataset<Row> docs = Documents.validate(Documents.read(spark, input.toString(), "auto", 60_000), 60_000)
                .filter("reject is null").drop("reject");
        Dataset<Row> embedded = new SentenceEmbeddings().transform(new SentenceSplitter().transform(docs)).cache();
        List<Row> inTask = sorted(new SentenceCentrality().setRingThreshold(0).setContextCol("context")
                .transform(embedded).select("doc_id", "centrality", "context"));
        SentenceCentrality ring = new SentenceCentrality().setRingThreshold(90).setRingPartitions(3)
                .setContextCol("context");
        List<Row> mixed = sorted(ring.transform(embedded).select("doc_id", "centrality", "context"));
        assertEquals(inTask.size(), mixed.size());
        int onRing = 0;
        for (int d = 0; d < inTask.size(); d++) {
            List<Double> want = inTask.get(d).getList(1);
            List<Double> got = mixed.get(d).getList(1);
            assertEquals(want.size(), got.size());
            onRing += want.size() > 90 ? 1 : 0;
            for (int j = 0; j < want.size(); j++) {
                assertTrue(Math.abs(got.get(j) - want.get(j)) <= 1e-5 * Math.max(1, want.get(j)),
                        inTask.get(d).getString(0) + " sentence " + j + ": " + got.get(j) + " vs " + want.get(j));
            }
            float[] a = Floats.fromBytes((byte[]) inTask.get(d).get(2));
            float[] b = Floats.fromBytes((byte[]) mixed.get(d).get(2));
            for (int k = 0; k < a.length; k++) {
                assertTrue(Math.abs(a[k] - b[k]) <= 1e-5, "context " + k);
            }
        }
        assertEquals(2, onRing, "two sample documents have more than 90 sentences");
        embedded.unpersist();
    }

    @Test
    void theJobsLongDocumentsGetTheSummariesTheStagesGive() {
        // The job takes documents over the ring threshold out of the stages' rows (LongDocuments); the
        // stages keep them in rows. Same parts, same rings, same selection: the same bits.
        String out = dir.resolve("long-documents").toString();
        SummarizeOptions o = SummarizeOptions.builder(input.toString(), out).date("2026-11-28").outputFormat("parquet")
                .sentences(3).ringThreshold(90).ringPartitions(3).attention(true).quiet(true).build();
        SummarizeJob.summarize(spark, o);
        Dataset<Row> docs = Documents.validate(Documents.read(spark, input.toString(), "auto", 60_000), 60_000)
                .filter("reject is null").drop("reject");
        Map<String, Row> staged = new HashMap<>();
        for (Row r : SummarizeJob.pipeline(o).fit(docs).transform(docs)
                .filter("selection is not null and size(sentences) > 90")
                .select("doc_id", "selection.summary", "selection.selected_indices", "centrality", "context").collectAsList()) {
            staged.put(r.getString(0), r);
        }
        assertEquals(2, staged.size(), "two sample documents have more than 90 sentences");
        Map<String, Row> written = new HashMap<>();
        for (Row r : spark.read().parquet(out + "/summaries/date=2026-11-28")
                .select("doc_id", "summary", "selected_indices").collectAsList()) {
            written.put(r.getString(0), r);
        }
        for (Row want : staged.values()) {
            Row got = written.get(want.getString(0));
            assertEquals(want.getString(1), got.getString(1), want.getString(0));
            assertEquals(want.getList(2), got.getList(2), want.getString(0));
            List<Row> sentences = spark.read().parquet(out + "/attention/date=2026-11-28")
                    .filter(org.apache.spark.sql.functions.col("doc_id").equalTo(want.getString(0)))
                    .orderBy("sentence_index").select("centrality", "context").collectAsList();
            List<Double> centrality = want.getList(3);
            float[] context = Floats.fromBytes((byte[]) want.get(4));
            assertEquals(centrality.size(), sentences.size());
            int d = context.length / centrality.size();
            for (int i = 0; i < sentences.size(); i++) {
                assertEquals(centrality.get(i), sentences.get(i).getDouble(0), want.getString(0) + " sentence " + i);
                List<Float> v = sentences.get(i).getList(1);
                for (int k = 0; k < d; k++) {
                    assertEquals(context[i * d + k], v.get(k), want.getString(0) + " sentence " + i + " context " + k);
                }
            }
        }
    }

    @Test
    void aDocumentEncodedInPartsGetsTheVectorsOfItEncodedWhole() throws IOException {
        // The job encodes a long document in parts on several tasks; the encoder reads each sentence alone,
        // so the parts' vectors are the whole document's, bit for bit.
        List<String> sentences;
        try (Stream<Path> samples = Files.list(Path.of("jobs/samples"))) {
            Path longest = samples.max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
            sentences = SentenceSplitter.split(Files.readString(longest));
        }
        SentenceEmbeddings.TaskEncoder encoder = SentenceEmbeddings.TaskEncoder.open(
                org.ringattention.backend.Device.CPU, org.ringattention.gpu.Precision.FP32, "",
                org.ringattention.encoder.SentenceEmbedder.DEFAULT_PASS_TOKENS);
        SentenceEmbeddings.TaskEncoder.Encoded whole = encoder.encode(sentences, null);
        int part = 37;
        int d = whole.vectors().length / sentences.size();
        long tokens = 0;
        for (int from = 0; from < sentences.size(); from += part) {
            SentenceEmbeddings.TaskEncoder.Encoded e = encoder.encode(
                    sentences.subList(from, Math.min(sentences.size(), from + part)), null);
            tokens += e.tokens();
            assertArrayEquals(java.util.Arrays.copyOfRange(whole.vectors(), from * d, from * d + e.vectors().length),
                    e.vectors(), "part at sentence " + from);
        }
        assertEquals(whole.tokens(), tokens);
        assertTrue(sentences.size() > 3 * part, sentences.size() + " sentences");
    }

    private static List<Row> sorted(Dataset<Row> rows) {
        return rows.orderBy("doc_id").collectAsList();
    }
}
