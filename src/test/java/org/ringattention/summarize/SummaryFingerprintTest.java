package org.ringattention.summarize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.backend.Device;
import org.ringattention.gpu.Precision;

/**
 * Every option of the job is classified, and the classification is what the fingerprint does: an option
 * that changes a summary changes the fingerprint, one that does not leaves it as it was. A new option
 * fails {@link #everyOptionIsClassified} until it is put in one of {@link SummarizeOptions}'s three lists
 * and given a changed value in {@link #changes}.
 */
class SummaryFingerprintTest {

    /** For each option (builder field), a builder change that gives it another value than the default. */
    private static Map<String, UnaryOperator<SummarizeOptions.Builder>> changes(Path model) {
        Map<String, UnaryOperator<SummarizeOptions.Builder>> c = new LinkedHashMap<>();
        c.put("input", b -> b.input("elsewhere"));
        c.put("inputFormat", b -> b.inputFormat("json"));
        c.put("output", b -> b.output("another-output"));
        c.put("date", b -> b.date("2026-01-02"));
        c.put("outputFormat", b -> b.outputFormat("parquet"));
        c.put("words", b -> b.words(SummarizeOptions.WORDS + 25));
        c.put("sentences", b -> b.sentences(SummarizeOptions.SENTENCES + 1));
        c.put("ratio", b -> b.ratio(0.2));
        c.put("redundancy", b -> b.redundancy(0.5));
        c.put("temperature", b -> b.temperature(0.2));
        c.put("maxChars", b -> b.maxChars(1000));
        c.put("model", b -> b.model(model.toString()));
        c.put("attention", b -> b.attention(true));
        c.put("savePipeline", b -> b.savePipeline("saved"));
        c.put("phaseTimes", b -> b.phaseTimes(true));
        c.put("quiet", b -> b.quiet(true));
        c.put("failFast", b -> b.failFast(true));
        c.put("method", b -> b.method("lead"));
        c.put("device", b -> b.device(Device.AUTO));
        // bf16 needs a GPU device: the change is measured against the fp32 default on the same device below.
        c.put("precision", b -> b.device(Device.AUTO).precision(Precision.BF16));
        c.put("ringThreshold", b -> b.ringThreshold(100));
        c.put("ringPartitions", b -> b.ringPartitions(3));
        c.put("full", b -> b.full(true));
        return c;
    }

    private static List<String> builderFields() {
        List<String> fields = new ArrayList<>();
        for (Field f : SummarizeOptions.Builder.class.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers())) {
                fields.add(f.getName());
            }
        }
        return fields;
    }

    @Test
    void everyOptionIsClassified(@TempDir Path dir) {
        List<String> fields = builderFields();
        Set<String> classified = new HashSet<>();
        for (List<String> list : List.of(SummarizeOptions.CHANGE_A_SUMMARY, SummarizeOptions.CHANGE_A_RING_SUMMARY,
                SummarizeOptions.KEEP_SUMMARIES)) {
            for (String name : list) {
                assertTrue(classified.add(name), name + " is in two of SummarizeOptions' lists");
            }
        }
        for (String f : fields) {
            assertTrue(classified.contains(f), "option " + f + " is in none of SummarizeOptions.CHANGE_A_SUMMARY,"
                    + " CHANGE_A_RING_SUMMARY, KEEP_SUMMARIES: decide whether it changes a summary");
        }
        assertEquals(new TreeSet<>(fields), new TreeSet<>(classified), "the lists name only options");
        assertEquals(new TreeSet<>(fields), new TreeSet<>(changes(dir).keySet()), "a changed value for every option");
    }

    @Test
    void anOptionThatChangesASummaryChangesTheFingerprintAndNoOtherDoes(@TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{}");
        SummarizeOptions base = SummarizeOptions.builder("in", "out").date("2026-01-01").build();
        SummaryFingerprint before = SummaryFingerprint.of(base, 2);
        int checked = 0;
        for (Map.Entry<String, UnaryOperator<SummarizeOptions.Builder>> c : changes(model).entrySet()) {
            SummarizeOptions changed = c.getValue().apply(base.toBuilder()).build();
            SummaryFingerprint after = SummaryFingerprint.of(changed, 2);
            String name = c.getKey();
            if (SummarizeOptions.CHANGE_A_SUMMARY.contains(name)) {
                assertNotEquals(base.summarySettings(), changed.summarySettings(), name);
                assertNotEquals(before.inOneTask(), after.inOneTask(), name);
                assertNotEquals(before.onRing(), after.onRing(), name);
            } else if (SummarizeOptions.KEEP_SUMMARIES.contains(name)) {
                assertEquals(before.inOneTask(), after.inOneTask(), name);
                assertEquals(before.onRing(), after.onRing(), name);
            } else {
                // The ring's options decide which documents ride it (the threshold) and how (its positions).
                assertEquals(before.inOneTask(), after.inOneTask(), name);
            }
            checked++;
        }
        assertEquals(builderFields().size(), checked);
        SummarizeOptions auto = base.toBuilder().device(Device.AUTO).build();
        assertNotEquals(SummaryFingerprint.of(auto, 2).inOneTask(),
                SummaryFingerprint.of(auto.toBuilder().precision(Precision.BF16).build(), 2).inOneTask(), "bf16 alone");
        assertNotEquals(before.onRing(), SummaryFingerprint.of(base, 3).onRing(), "a ring of 3 sums in another order");
        assertNotEquals(before.inOneTask(), before.onRing(), "the ring sums in another order than one task");
    }

    @Test
    void aModelIsFingerprintedByItsFilesNotItsName(@TempDir Path dir) throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        Files.writeString(a.resolve("config.json"), "{\"hidden_size\": 384}");
        Files.writeString(b.resolve("config.json"), "{\"hidden_size\": 384}");
        assertEquals(SummaryFingerprint.modelHash(a.toString()), SummaryFingerprint.modelHash(b.toString()));
        Files.writeString(b.resolve("config.json"), "{\"hidden_size\": 768}");
        assertNotEquals(SummaryFingerprint.modelHash(a.toString()), SummaryFingerprint.modelHash(b.toString()));
        assertEquals(64, SummaryFingerprint.modelHash("").length(), "the bundled model's SHA-256");
    }
}
