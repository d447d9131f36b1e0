package org.ringattention.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ringattention.io.Npy;
import org.ringattention.io.NpyArray;

/** {@code jobs/embed} end to end on the bundled model, and its refusals. */
class EmbedCommandTest {

    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new EmbedCommand().execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String longSentence() {
        return "confidential ".repeat(600).trim();
    }

    @Test
    void embedsEachLineTruncatingAndCountingLongOnes() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "The cat sat on the mat.\r\n\n" + longSentence() + "\nA cat sat on a mat.\n");
        Path output = dir.resolve("emb.npy");
        Run r = run("--input", input.toString(), "--out", output.toString(), "--threads", "2", "--pass-tokens", "64");
        assertEquals(0, r.status, r.err);
        assertTrue(r.out.contains("embedded 4 sentences") && r.out.contains("1 truncated to 512"), r.out);
        NpyArray e = Npy.readFloat32(output, "embeddings");
        assertArrayEquals(new int[] {4, 384}, e.shape());
        double cosNear = 0;
        double cosFar = 0;
        for (int c = 0; c < 384; c++) {
            cosNear += e.data()[c] * e.data()[3 * 384 + c];
            cosFar += e.data()[c] * e.data()[2 * 384 + c];
        }
        assertTrue(cosNear > 0.8 && cosNear > cosFar + 0.3, "paraphrases must be close: " + cosNear + " vs " + cosFar);
    }

    @Test
    void refusesLongSentenceOnRequestWithoutQuotingIt() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.writeString(input, "short\n" + longSentence() + "\n");
        Path output = dir.resolve("emb.npy");
        Run r = run("--input", input.toString(), "--out", output.toString(), "--refuse-long");
        assertEquals(2, r.status);
        assertTrue(r.err.contains("sentence 2 has") && r.err.contains("at most 512"), r.err);
        assertFalse(r.err.contains("confidential"), "sentence text leaked into the error");
        assertFalse(Files.exists(output));
    }

    @Test
    void refusesMalformedUtf8NamingTheLine() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.write(input, new byte[] {'o', 'k', '\n', 'o', 'k', '\n', (byte) 0xff, 'x', '\n'});
        Run r = run("--input", input.toString(), "--out", dir.resolve("e.npy").toString());
        assertEquals(2, r.status);
        assertTrue(r.err.contains("not valid UTF-8 at line 3"), r.err);
    }

    @Test
    void refusesMissingOrEmptyInputAndUnwritableOutput() throws Exception {
        assertTrue(run("--input", dir.resolve("none.txt").toString(), "--out", dir.resolve("e.npy").toString())
                .err.contains("does not exist"));
        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        assertTrue(run("--input", empty.toString(), "--out", dir.resolve("e.npy").toString()).err.contains("no lines"));
        Path input = Files.writeString(dir.resolve("in.txt"), "x\n");
        Run r = run("--input", input.toString(), "--out", dir.resolve("missing/e.npy").toString());
        assertEquals(2, r.status);
        assertTrue(r.err.contains("does not exist; create it first"), r.err);
        assertEquals(2, run("--input", input.toString()).status);
    }

    @Test
    void linesKeepTheirNumbersWithCrLfBomAndNoFinalNewline() throws Exception {
        Path input = dir.resolve("in.txt");
        Files.write(input, new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, 'a', '\r', '\n', '\n', 'b'});
        assertEquals(List.of("a", "", "b"), EmbedCommand.readLines(input));
    }
}
