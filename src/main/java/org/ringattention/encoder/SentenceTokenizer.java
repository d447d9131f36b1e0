package org.ringattention.encoder;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.ringattention.io.BadInputException;
import org.ringattention.model.BertCheckpoint;

/**
 * A Hugging Face {@code tokenizer.json} run by the Rust tokenizers library (through DJL, whose jar bundles
 * the native library for linux-x86_64, so nothing is downloaded: on first use DJL copies it into its cache
 * directory, {@code ~/.djl.ai} or {@code $DJL_CACHE_DIR}, which must therefore be writable on executors).
 * Truncation and padding configured in the file (the bundled one pads and truncates to 128) are turned
 * off: the encoder packs sentences without padding, and truncation is decided and counted by the caller.
 */
public final class SentenceTokenizer implements AutoCloseable {

    private static final Map<String, String> OPTIONS = Map.of(
            "addSpecialTokens", "true", "truncation", "false", "padding", "false");

    private final HuggingFaceTokenizer tokenizer;

    private SentenceTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The tokenizer of the bundled all-MiniLM-L6-v2. */
    public static SentenceTokenizer bundledMiniLm() {
        try (InputStream in = BertCheckpoint.resource(BertCheckpoint.BUNDLED_TOKENIZER)) {
            return new SentenceTokenizer(HuggingFaceTokenizer.newInstance(in, OPTIONS));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled tokenizer", e);
        }
    }

    /** The tokenizer of a model directory ({@code tokenizer.json}) or a tokenizer.json file. */
    public static SentenceTokenizer of(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(file)) {
            throw new BadInputException("tokenizer " + file + " does not exist; pass the model's tokenizer.json");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return new SentenceTokenizer(HuggingFaceTokenizer.newInstance(in, OPTIONS));
        } catch (IOException | RuntimeException e) {
            throw new BadInputException("tokenizer " + file + " cannot be loaded; is it a Hugging Face tokenizer.json?", e);
        }
    }

    /** Token ids of each sentence, special tokens included, not truncated. */
    public int[][] encode(List<String> sentences) {
        Encoding[] encodings = tokenizer.batchEncode(sentences);
        int[][] ids = new int[encodings.length][];
        for (int i = 0; i < encodings.length; i++) {
            long[] e = encodings[i].getIds();
            ids[i] = new int[e.length];
            for (int j = 0; j < e.length; j++) {
                ids[i][j] = Math.toIntExact(e[j]);
            }
        }
        return ids;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
