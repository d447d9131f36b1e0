package org.ringattention.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ringattention.backend.BackendFactory;
import org.ringattention.backend.Device;
import org.ringattention.gpu.Precision;
import org.ringattention.backend.EmbeddingBackend;
import org.ringattention.encoder.SentenceEmbedder;
import org.ringattention.encoder.SentenceTokenizer;
import org.ringattention.io.BadInputException;
import org.ringattention.io.Npy;

/** {@code jobs/embed}: sentence embeddings of a text file, one sentence per line, on this machine. */
public final class EmbedCommand extends Command {

    private static final List<String> VALUED = List.of("--input", "--out", "--model", "--tokenizer", "--threads",
            "--pass-tokens", "--device", "--precision");
    private static final List<String> FLAGS = List.of("--refuse-long", "--quiet");

    /** Sentences tokenized at a time: bounds the token ids in memory and lets progress start early. */
    private static final int CHUNK = 8192;
    private static final long PROGRESS_EVERY_NANOS = 2_000_000_000L;

    public static void main(String[] args) {
        System.exit(new EmbedCommand().execute(args, System.out, System.err));
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/embed --input SENTENCES.txt --out EMB.npy [options]",
                "",
                "Sentence embeddings: mean of the encoder's last hidden states over each sentence's tokens, L2-normalized",
                "(sentence-transformers' definition). One sentence per line, UTF-8; row i of the output is line i.",
                "",
                "  --out EMB.npy       float32 (lines, hidden size); written complete or not at all",
                "  --model PATH        BERT checkpoint: a directory with config.json + model.safetensors (and",
                "                      tokenizer.json), or an .onnx file (default: bundled all-MiniLM-L6-v2)",
                "  --tokenizer PATH    tokenizer.json (default: the model directory's, or the bundled one)",
                "  --refuse-long       fail on a sentence longer than the model's positions (default: truncate and count)",
                "  --threads N         encoder threads (default: all cores)",
                "  --pass-tokens N     tokens packed into one encoder pass (default " + SentenceEmbedder.DEFAULT_PASS_TOKENS + ")",
                "  --device D          cpu (default), gpu (the whole encoder on the GPU; fails without one) or auto",
                "  --precision P       the GPU encoder's GEMM inputs: fp32 (default) or bf16 (tensor cores)",
                "  --quiet             no progress lines",
                "",
                "Exit status: 0 done, 2 bad input, 1 other failure.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(argv, VALUED, FLAGS);
        Path input = Path.of(a.required("--input"));
        Path output = Path.of(a.required("--out"));
        checkWritable(output, "--out");
        int threads = a.intValue("--threads", Runtime.getRuntime().availableProcessors(), 1);
        int passTokens = a.intValue("--pass-tokens", SentenceEmbedder.DEFAULT_PASS_TOKENS, 1);
        SentenceEmbedder.Overlong overlong = a.flag("--refuse-long")
                ? SentenceEmbedder.Overlong.REFUSE : SentenceEmbedder.Overlong.TRUNCATE;
        boolean quiet = a.flag("--quiet");
        Device device = Device.parse(a.get("--device"));
        Precision precision = Precision.parse(a.get("--precision"));

        List<String> lines = readLines(input);
        long start = System.nanoTime();
        String model = a.get("--model") == null ? "" : a.get("--model");
        SentenceTokenizer tokenizer;
        if (a.get("--tokenizer") != null) {
            tokenizer = SentenceTokenizer.of(Path.of(a.get("--tokenizer")));
        } else if (model.isEmpty()) {
            tokenizer = SentenceTokenizer.bundledMiniLm();
        } else {
            Path m = Path.of(model);
            tokenizer = SentenceTokenizer.of(Files.isDirectory(m) ? m : m.toAbsolutePath().getParent());
        }
        long tokens = 0;
        int truncated = 0;
        float[] embeddings;
        int maxPositions;
        int h;
        try (tokenizer; EmbeddingBackend encoder = BackendFactory.openEncoder(device, precision, model, passTokens, threads, err::println)) {
            maxPositions = encoder.maxPositions();
            h = encoder.dimension();
            embeddings = new float[Math.multiplyExact(lines.size(), h)];
            long[] lastReport = {System.nanoTime()};
            for (int from = 0; from < lines.size(); from += CHUNK) {
                int to = Math.min(lines.size(), from + CHUNK);
                int[][] ids = tokenizer.encode(lines.subList(from, to));
                truncated += SentenceEmbedder.fit(ids, maxPositions, overlong, from + 1L);
                for (int[] s : ids) {
                    tokens += s.length;
                }
                final int base = from;
                float[] e = encoder.embed(ids, done -> {
                    long now = System.nanoTime();
                    synchronized (lastReport) {
                        if (!quiet && now - lastReport[0] > PROGRESS_EVERY_NANOS) {
                            lastReport[0] = now;
                            double s = (now - start) / 1e9;
                            err.printf(Locale.ROOT, "embedded %d/%d sentences, %.1f s, %.1f sentences/s%n",
                                    base + done, lines.size(), s, (base + done) / s);
                        }
                    }
                });
                System.arraycopy(e, 0, embeddings, from * h, e.length);
            }
        }
        Npy.writeFloat32(output, embeddings, lines.size(), h);
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "embedded %d sentences (%d tokens, %d truncated to %d) in %.2f s, %.1f sentences/s,"
                        + " %d threads -> %s (%d, %d)%n",
                lines.size(), tokens, truncated, maxPositions, seconds, lines.size() / seconds, threads, output,
                lines.size(), h);
        return OK;
    }

    /**
     * Lines of a UTF-8 file ({@code \n} or {@code \r\n}; a final newline ends the last line, it does not start
     * an empty one). Malformed UTF-8 is refused with its line number, never its text.
     */
    static List<String> readLines(Path input) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(input);
        } catch (NoSuchFileException e) {
            throw new BadInputException("--input " + input + " does not exist");
        } catch (IOException e) {
            throw new BadInputException("--input " + input + " cannot be read: " + e.getMessage(), e);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        List<String> lines = new ArrayList<>();
        boolean bom = bytes.length >= 3 && bytes[0] == (byte) 0xef && bytes[1] == (byte) 0xbb && bytes[2] == (byte) 0xbf;
        int from = bom ? 3 : 0;
        while (from < bytes.length) {
            int end = from;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            int to = end > from && bytes[end - 1] == '\r' ? end - 1 : end;
            try {
                lines.add(decoder.decode(ByteBuffer.wrap(bytes, from, to - from)).toString());
            } catch (CharacterCodingException e) {
                throw new BadInputException("--input " + input + " is not valid UTF-8 at line " + (lines.size() + 1)
                        + "; convert it (iconv -t UTF-8)");
            }
            from = end + 1;
        }
        if (lines.isEmpty()) {
            throw new BadInputException("--input " + input + " has no lines; give one sentence per line");
        }
        return lines;
    }
}
