package org.ringattention.encoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Sentences for tests and benchmarks: hand-written ones of every kind, then seeded synthetic ones of chosen lengths. */
final class TestSentences {

    private static final List<String> WRITTEN = List.of(
            "Hello, world!",
            "The quick brown fox jumps over the lazy dog.",
            "Ring attention shards a long sequence over devices and rotates key and value blocks.",
            "",
            "a",
            "Numbers like 3.14159, 2026 and 1e-12 tokenize into pieces.",
            "Émile visited Zürich and São Paulo; naïve café owners served crème brûlée.",
            "東京は日本の首都です。",
            "Pneumonoultramicroscopicsilicovolcanoconiosis is a very long word.",
            "   leading and trailing spaces   ",
            "UPPER CASE and MiXeD cAsE are lowercased by this tokenizer.",
            "Emoji 🙂 and symbols like © ™ ≠ ∞ are unknown or split.",
            "What is the capital of France? Paris is the capital of France.",
            "def f(x): return x * 2  # code is text too",
            "Spark runs each ring step as a stage; the slowest task decides its length.",
            "The mitochondria is the powerhouse of the cell.",
            "I can't believe it's not butter, she said, doesn't it taste the same?",
            "Sentence embeddings are the mean of the last hidden states, L2-normalized.",
            "Tabs\tand\nnewlines inside a line are whitespace.",
            "https://example.org/path?query=1&other=two#fragment");

    private static final String[] WORDS = ("time year people way day man thing woman life child world school state "
            + "family student group country problem hand part place case week company system program question work "
            + "government number night point home water room mother area money story fact month lot right study book "
            + "eye job word business issue side kind head house service friend father power hour game line end member "
            + "law car city community name president team minute idea kid body information back parent face others "
            + "level office door health person art war history party result change morning reason research girl guy "
            + "moment air teacher force education attention transformer sequence block partition encoder weight")
            .split(" ");

    private TestSentences() {
    }

    static List<String> written() {
        return WRITTEN;
    }

    /** {@code count} synthetic sentences of about {@code minWords..maxWords} words each, seeded. */
    static List<String> synthetic(int count, int minWords, int maxWords, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int words = minWords + rnd.nextInt(maxWords - minWords + 1);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < words; w++) {
                if (w > 0) {
                    sb.append(rnd.nextInt(12) == 0 ? ", " : " ");
                }
                sb.append(WORDS[rnd.nextInt(WORDS.length)]);
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }

    /**
     * {@code count} sentences of real prose drawn with a seed from the shipped samples in {@code samplesDir}
     * ({@code jobs/samples}), split at end punctuation as {@code make_corpus.py} splits them for the nightly
     * benchmark, sentences of fewer than three words left out.
     */
    static List<String> prose(Path samplesDir, int count, long seed) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(samplesDir)) {
            files = list.sorted().toList();
        }
        StringBuilder text = new StringBuilder();
        for (Path f : files) {
            text.append(Files.readString(f, StandardCharsets.UTF_8)).append(' ');
        }
        List<String> pool = new ArrayList<>();
        for (String s : text.toString().split("(?<=[.!?])\\s+")) {
            String t = s.strip();
            if (t.split("\\s+").length >= 3) {
                pool.add(t);
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(pool.get(rnd.nextInt(pool.size())));
        }
        return out;
    }
}
