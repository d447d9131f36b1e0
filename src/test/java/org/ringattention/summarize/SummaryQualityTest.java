package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ringattention.selection.Budget;
import org.ringattention.selection.Document;
import org.ringattention.selection.Selection;
import org.ringattention.selection.SelectionMethod;

/**
 * Summaries a reader would keep, for every selection method, on shipped excerpts of each kind of document
 * the job meets: a licence (legal prose), a manual page rendered as text, a Markdown build guide, a
 * reStructuredText primer, a Debian changelog, Vim's user manual, its function list and its release notes.
 * Each goes through the job's stages with their defaults; every method then picks within the default word
 * budget, and every picked unit must read as a sentence: 4 to 60 words (more only for a sentence of the
 * text's prose), at least half letters, no markup, no page furniture, not a lead-in ending in ':'; the
 * summary stays within the budget's 1.5 times; no two picks repeat each other.
 */
class SummaryQualityTest {

    private static final List<String> DOCUMENTS = List.of("apache-license-2.0.txt", "curl-1-excerpt.txt",
            "node-building-excerpt.md", "docutils-policies.rst", "debian-changelog-excerpt.txt",
            "vim-usr_41-excerpt.txt", "vim-usr_41-function-list-excerpt.txt", "vim-version8-excerpt.txt");

    /** Markup a summary sentence must not carry: links, emphasis and code markers, tags, table rules. */
    private static final Pattern MARKUP = Pattern.compile(
            "\\]\\(|\\]\\[|\\[[^\\]]*\\]\\(|`|\\*\\*|__\\w|<[a-zA-Z/!][^>]*>|\\|[^|]*\\||^\\s*[-=]{3,}|:\\w+:`|\\.\\. \\w");
    /** A manual page's running head or foot: {@code NAME(1) ... NAME(1)} or a bare page name with a section. */
    private static final Pattern FURNITURE = Pattern.compile("\\b[\\w.-]+\\(\\d\\w?\\)\\s.*\\b[\\w.-]+\\(\\d\\w?\\)");

    private static SparkSession spark;
    private static final Map<String, Document> DOCS = new LinkedHashMap<>();

    static String resource(String name) throws IOException {
        try (InputStream in = SummaryQualityTest.class.getResourceAsStream("/org/ringattention/text/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void attend() throws IOException {
        spark = SparkSession.builder().master("local[2]").appName("SummaryQualityTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        List<Row> docs = new ArrayList<>();
        for (String name : DOCUMENTS) {
            docs.add(RowFactory.create(name, resource(name)));
        }
        Dataset<Row> input = spark.createDataFrame(docs,
                new StructType().add("doc_id", DataTypes.StringType).add("text", DataTypes.StringType));
        Pipeline p = new Pipeline().setStages(new PipelineStage[] {new SentenceSplitter(), new SentenceEmbeddings(),
            new SentenceCentrality()});
        for (Row r : p.fit(input).transform(input).select("doc_id", "sentences", "sentence_sections",
                "sentence_fragments", "sentence_purpose", "embeddings", "centrality").orderBy("doc_id").collectAsList()) {
            List<String> sentences = r.getList(1);
            int n = sentences.size();
            int[] sections = new int[n];
            boolean[] fragments = new boolean[n];
            boolean[] purpose = new boolean[n];
            double[] centrality = new double[n];
            for (int i = 0; i < n; i++) {
                sections[i] = r.<Integer>getList(2).get(i);
                fragments[i] = r.<Boolean>getList(3).get(i);
                purpose[i] = r.<Boolean>getList(4).get(i);
                centrality[i] = r.<Double>getList(6).get(i);
            }
            float[] e = Floats.fromBytes((byte[]) r.get(5));
            DOCS.put(r.getString(0), new Document(sentences, sections, fragments, purpose, e, e.length / n, centrality));
        }
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    @Test
    void everyMethodPicksReadableSentencesWithinTheBudget() {
        Budget budget = Budget.words(SummarizeOptions.WORDS);
        int checked = 0;
        for (Map.Entry<String, Document> d : DOCS.entrySet()) {
            Document doc = d.getValue();
            for (SelectionMethod m : SelectionMethod.values()) {
                String where = d.getKey() + ", " + m.label();
                int[] picked = Selection.select(m, doc, budget, SummarizeOptions.REDUNDANCY);
                assertTrue(picked.length > 0, where + ": an empty summary");
                int words = 0;
                List<Set<String>> seen = new ArrayList<>();
                for (int i : picked) {
                    String s = doc.sentences().get(i);
                    readable(s, doc.fragments()[i], where);
                    words += Budget.words(s);
                    Set<String> w = wordSet(s);
                    for (Set<String> earlier : seen) {
                        assertFalse(overlap(w, earlier) >= 0.8, where + ": two picks repeat each other: " + s);
                    }
                    seen.add(w);
                }
                assertTrue(words <= Budget.OVERSHOOT * budget.words(), where + ": " + words + " words");
                checked++;
            }
        }
        assertEquals(DOCUMENTS.size() * SelectionMethod.values().length, checked);
    }

    @Test
    void aManualPageSummaryStartsWithWhatTheProgramIs() {
        Document curl = DOCS.get("curl-1-excerpt.txt");
        int[] picked = Selection.select(SummarizeOptions.METHOD, curl, Budget.words(SummarizeOptions.WORDS),
                SummarizeOptions.REDUNDANCY);
        assertTrue(curl.sentences().get(picked[0]).startsWith("curl is a tool for transferring data"),
                "the summary opens with DESCRIPTION's first sentence: " + curl.sentences().get(picked[0]));
    }

    @Test
    void aReleaseHistoryIsNotSummarizedByItsPatchTemplate() {
        Document vim = DOCS.get("vim-version8-excerpt.txt");
        int[] picked = Selection.select(SummarizeOptions.METHOD, vim, Budget.words(SummarizeOptions.WORDS),
                SummarizeOptions.REDUNDANCY);
        int patches = 0;
        for (int i : picked) {
            // A patch entry is the sentence that follows its "Problem:" or "Solution:" label.
            String label = i > 0 ? vim.sentences().get(i - 1) : "";
            patches += label.startsWith("Problem:") || label.startsWith("Solution:") ? 1 : 0;
        }
        assertTrue(patches <= 1, patches + " of " + picked.length + " sentences are patch entries");
    }

    /** The readability rules of a summary unit. */
    private static void readable(String s, boolean fragment, String where) {
        String quoted = where + ": '" + s + "'";
        assertFalse(fragment, quoted + " is a fragment");
        int words = Budget.words(s);
        assertTrue(words >= 4, quoted + " has fewer than 4 words");
        assertTrue(words <= 60 || s.matches("(?s).*[.!?][\"')\\]]*$"), quoted + " is over 60 words and no sentence");
        long letters = s.chars().filter(Character::isLetter).count();
        long visible = s.chars().filter(c -> !Character.isWhitespace(c)).count();
        assertTrue(letters * 2 >= visible, quoted + " is less than half letters");
        assertFalse(MARKUP.matcher(s).find(), quoted + " carries markup");
        assertFalse(FURNITURE.matcher(s).find(), quoted + " is page furniture");
        assertFalse(s.strip().endsWith(":"), quoted + " is a lead-in");
    }

    private static Set<String> wordSet(String s) {
        Set<String> words = new HashSet<>();
        for (String w : s.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                words.add(w);
            }
        }
        return words;
    }

    private static double overlap(Set<String> a, Set<String> b) {
        Set<String> shared = new HashSet<>(a);
        shared.retainAll(b);
        return (double) shared.size() / (a.size() + b.size() - shared.size());
    }
}
