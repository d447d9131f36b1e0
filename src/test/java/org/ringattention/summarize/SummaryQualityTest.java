package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
import org.ringattention.text.TextStructure;

/**
 * The summaries a user saw fail (issue: the Apache License 2.0 summarized as "3. 4. 5. 6. 7.", Vim's
 * release notes as five patch entries, Vim's manual as "Example: >"), run through the job's stages with
 * their defaults: readable sentences only, from distinct sections.
 */
class SummaryQualityTest {

    private static SparkSession spark;
    private static List<Row> summaries;

    static String resource(String name) throws IOException {
        try (InputStream in = SummaryQualityTest.class.getResourceAsStream("/org/ringattention/text/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void summarize() throws IOException {
        spark = SparkSession.builder().master("local[2]").appName("SummaryQualityTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        List<Row> docs = new ArrayList<>();
        for (String name : new String[] {"apache-license-2.0.txt", "vim-usr_41-excerpt.txt", "vim-version8-excerpt.txt"}) {
            docs.add(RowFactory.create(name, resource(name)));
        }
        Dataset<Row> input = spark.createDataFrame(docs,
                new StructType().add("doc_id", DataTypes.StringType).add("text", DataTypes.StringType));
        Pipeline p = new Pipeline().setStages(new PipelineStage[] {new SentenceSplitter(), new SentenceEmbeddings(),
            new SentenceCentrality(), new SummarySelector()});
        summaries = p.fit(input).transform(input)
                .select("doc_id", "sentences", "sentence_sections", "sentence_fragments", "selection.selected_indices")
                .orderBy("doc_id").collectAsList();
    }

    @AfterAll
    static void tearDown() {
        spark.stop();
    }

    @Test
    void readableSentencesFromDistinctSections() {
        int checked = 0;
        for (Row r : summaries) {
            String id = r.getString(0);
            List<String> sentences = r.getList(1);
            List<Integer> sections = r.getList(2);
            List<Boolean> fragments = r.getList(3);
            List<Integer> picked = r.getList(4);
            assertEquals(6, picked.size(), id);
            Set<Integer> fromSections = new HashSet<>();
            for (int i : picked) {
                String s = sentences.get(i);
                assertFalse(fragments.get(i), id + ": picked a fragment");
                assertFalse(TextStructure.isFragment(s), id + ": picked '" + s + "'");
                assertFalse(s.endsWith(">"), id + ": picked a Vim example opener");
                fromSections.add(sections.get(i));
            }
            assertTrue(fromSections.size() >= 3, id + ": sentences from " + fromSections.size() + " sections");
            checked++;
        }
        assertEquals(3, checked);
    }

    @Test
    void aReleaseHistoryIsNotSummarizedByItsPatchTemplate() {
        Row r = summaries.stream().filter(x -> x.getString(0).startsWith("vim-version8")).findFirst().orElseThrow();
        List<String> sentences = r.getList(1);
        long template = r.<Integer>getList(4).stream().map(sentences::get)
                .filter(s -> s.startsWith("Patch ") || s.startsWith("Solution:") || s.startsWith("Problem:")).count();
        assertTrue(template <= 2, template + " of 6 sentences are patch entries");
    }
}
