package org.ringattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jobs/show on an output written as JSON lines: the latest date by default, one document, refusals. */
class ShowCommandTest {

    private static void night(Path out, String date, String summary) throws IOException {
        Path s = Files.createDirectories(out.resolve("summaries/date=" + date));
        Files.writeString(s.resolve("part-00000-x.json"), "{\"doc_id\":\"a.txt\",\"summary\":\"" + summary
                + "\",\"selected_indices\":[1,4],\"selected_scores\":[0.25,0.5],\"token_count\":120,"
                + "\"sentence_count\":9,\"doc_date\":null}\n");
        Path r = Files.createDirectories(out.resolve("rejects/date=" + date));
        Files.writeString(r.resolve("part-00000-x.json"), "{\"doc_id\":\"empty.txt\",\"reason\":\"empty text\"}\n");
    }

    private static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new ShowCommand().execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {String.valueOf(status), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void showsTheLatestNightOneDocumentAndRefusesWhatIsNotThere(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("nightly");
        night(out, "2026-11-28", "Older summary.");
        night(out, "2026-11-29", "Newer summary.");

        String[] latest = run(out.toString());
        assertEquals("0", latest[0], latest[2]);
        assertTrue(latest[1].startsWith("2026-11-29: 1 summaries, 1 rejects"), latest[1]);
        assertTrue(latest[1].contains("a.txt  (9 sentences, 120 tokens; summary 2 words)\n  Newer summary."), latest[1]);
        assertTrue(latest[1].contains("empty.txt: empty text"), latest[1]);

        String[] doc = run(out.toString(), "--date", "2026-11-28", "--doc", "a.txt");
        assertEquals("0", doc[0], doc[2]);
        assertTrue(doc[1].contains("Older summary.") && doc[1].contains("  4: 0.5000"), doc[1]);
        assertFalse(doc[1].contains("Newer"), doc[1]);

        String[] noDate = run(out.toString(), "--date", "2026-01-01");
        assertEquals("2", noDate[0]);
        assertTrue(noDate[2].contains("it has 2026-11-28, 2026-11-29"), noDate[2]);
        assertEquals("2", run(out.toString(), "--doc", "missing.txt")[0]);
        assertEquals("2", run(dir.resolve("nothing").toString())[0]);
    }
}
