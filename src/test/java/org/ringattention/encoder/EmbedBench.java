package org.ringattention.encoder;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.ringattention.model.BertCheckpoint;
import org.ringattention.model.BertWeights;

/**
 * Sentences per second of the embed pipeline (tokenize, truncate, encode, pool) against ONNX Runtime on
 * the same model file, same sentences, same thread count, measured in the same run, rounds interleaved
 * so that a noisy neighbour hurts both alike. ONNX Runtime gets the same tokenization and pooling and is
 * run as sentence-transformers runs it: sentences sorted by length, in batches of {@code --batch} (32)
 * padded to the longest, session options left at their defaults but for the thread count. Rates are
 * given per wall second and per CPU-second of the process (all threads, ONNX Runtime's pool included),
 * the second being steadier on a shared machine.
 *
 * <p>{@code jobs/embed-bench [--input SENTENCES.txt | --prose N | --sentences N [--words MIN-MAX]] [--threads T]
 * [--rounds R] [--batch B]}: {@code --prose} draws N seeded sentences of real prose from {@code jobs/samples};
 * otherwise N seeded synthetic sentences of MIN to MAX words (default 3-60).
 */
public final class EmbedBench {

    public static void main(String[] args) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        int rounds = 3;
        int batch = 32;
        int count = 2000;
        int minWords = 3;
        int maxWords = 60;
        Path input = null;
        int prose = 0;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--batch" -> batch = Integer.parseInt(args[i + 1]);
                case "--sentences" -> count = Integer.parseInt(args[i + 1]);
                case "--input" -> input = Path.of(args[i + 1]);
                case "--prose" -> prose = Integer.parseInt(args[i + 1]);
                case "--words" -> {
                    String[] range = args[i + 1].split("-");
                    minWords = Integer.parseInt(range[0]);
                    maxWords = Integer.parseInt(range[1]);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; use --input, --prose, --sentences, --words, --threads, --rounds, --batch");
            }
        }
        List<String> sentences = input != null ? Files.readAllLines(input, StandardCharsets.UTF_8)
                : prose > 0 ? TestSentences.prose(Path.of("jobs", "samples"), prose, 2026)
                : TestSentences.synthetic(count, minWords, maxWords, 2026);
        BertWeights weights = BertCheckpoint.bundledMiniLm();
        try (SentenceTokenizer tokenizer = SentenceTokenizer.bundledMiniLm();
             OrtReference ort = new OrtReference(threads);
             BertEncoder encoder = BertEncoder.create(weights, BertEncoder.DEFAULT_BLOCK_SIZE, 1)) {
            SentenceEmbedder embedder = new SentenceEmbedder(encoder, SentenceEmbedder.DEFAULT_PASS_TOKENS);
            int[][] probe = tokenizer.encode(sentences);
            long tokens = Arrays.stream(probe).mapToLong(s -> Math.min(s.length, 512)).sum();
            System.out.printf(Locale.ROOT, "%d sentences, %d tokens (mean %.1f), %d threads, dense math %s, %s%n",
                    sentences.size(), tokens, (double) tokens / sentences.size(), threads, encoder.mathName(),
                    Runtime.version());
            double[] oursRate = new double[rounds + 1];
            double[] ortRate = new double[rounds + 1];
            float[] oursLast = null;
            float[] ortLast = null;
            double[] oursCpuRate = new double[rounds + 1];
            double[] ortCpuRate = new double[rounds + 1];
            for (int r = 0; r <= rounds; r++) {
                long c0 = processCpuNanos();
                long t0 = System.nanoTime();
                oursLast = ours(tokenizer, embedder, sentences, threads);
                long t1 = System.nanoTime();
                long c1 = processCpuNanos();
                ortLast = ort(tokenizer, ort, sentences, batch, encoder.config().hiddenSize());
                long t2 = System.nanoTime();
                long c2 = processCpuNanos();
                oursRate[r] = sentences.size() / ((t1 - t0) / 1e9);
                ortRate[r] = sentences.size() / ((t2 - t1) / 1e9);
                oursCpuRate[r] = sentences.size() / ((c1 - c0) / 1e9);
                ortCpuRate[r] = sentences.size() / ((c2 - c1) / 1e9);
                System.out.printf(Locale.ROOT, "%s round %d: ours %.1f sentences/s, ONNX Runtime %.1f sentences/s,"
                        + " ratio %.2f; per CPU-second %.1f and %.1f, ratio %.2f%n", r == 0 ? "warm-up" : "timed", r,
                        oursRate[r], ortRate[r], oursRate[r] / ortRate[r], oursCpuRate[r], ortCpuRate[r],
                        oursCpuRate[r] / ortCpuRate[r]);
            }
            double ours = median(Arrays.copyOfRange(oursRate, 1, rounds + 1));
            double theirs = median(Arrays.copyOfRange(ortRate, 1, rounds + 1));
            double minCos = 1;
            int h = encoder.config().hiddenSize();
            for (int i = 0; i < sentences.size(); i++) {
                double dot = 0;
                for (int c = 0; c < h; c++) {
                    dot += (double) oursLast[i * h + c] * ortLast[i * h + c];
                }
                minCos = Math.min(minCos, dot);
            }
            double oursCpu = median(Arrays.copyOfRange(oursCpuRate, 1, rounds + 1));
            double theirsCpu = median(Arrays.copyOfRange(ortCpuRate, 1, rounds + 1));
            System.out.printf(Locale.ROOT, "median of %d rounds: ours %.1f sentences/s, ONNX Runtime %.1f sentences/s,"
                    + " ratio %.2f; per CPU-second %.1f and %.1f, ratio %.2f; min cosine between the two %.7f%n",
                    rounds, ours, theirs, ours / theirs, oursCpu, theirsCpu, oursCpu / theirsCpu, minCos);
        }
    }

    private static float[] ours(SentenceTokenizer tokenizer, SentenceEmbedder embedder, List<String> sentences,
                                int threads) {
        int[][] ids = tokenizer.encode(sentences);
        SentenceEmbedder.fit(ids, 512, SentenceEmbedder.Overlong.TRUNCATE, 1);
        return embedder.embed(ids, threads, done -> { });
    }

    private static float[] ort(SentenceTokenizer tokenizer, OrtReference ort, List<String> sentences, int batch,
                               int h) throws Exception {
        int[][] ids = tokenizer.encode(sentences);
        SentenceEmbedder.fit(ids, 512, SentenceEmbedder.Overlong.TRUNCATE, 1);
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
        int[][] sorted = new int[ids.length][];
        for (int i = 0; i < order.length; i++) {
            sorted[i] = ids[order[i]];
        }
        float[] out = new float[ids.length * h];
        for (int from = 0; from < sorted.length; from += batch) {
            int to = Math.min(sorted.length, from + batch);
            float[][] hidden = ort.lastHiddenStates(sorted, from, to);
            for (int i = from; i < to; i++) {
                SentenceEmbedder.pool(hidden[i - from], 0, sorted[i].length, h, out, order[i] * h);
            }
        }
        return out;
    }

    /** CPU time of this process, all threads (ONNX Runtime's native pool included). */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private EmbedBench() {
    }
}
