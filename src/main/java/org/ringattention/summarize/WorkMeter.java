package org.ringattention.summarize;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.ringattention.progress.TimeLeft;

/**
 * Work done inside documents, added by the stages' tasks as it happens, so that a long document moves
 * the progress line while it runs: tokens as each encoder pass ends, attention as each document (or, on
 * the ring, each ring step) ends. One unit for both, MFLOP, each kind counted apart (encoding, then
 * attention: the job's order), since a MFLOP of one costs other seconds than one of the other and the
 * estimate of time left measures a rate per kind ({@link #timeLeft}). It also keeps the time each
 * document took, for the report's longest document. The job gives each stage a meter
 * ({@code setWorkMeter}); a stage without one (a saved pipeline, loaded elsewhere) counts nothing.
 */
public final class WorkMeter implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * Dense FLOPs of all-MiniLM-L6-v2 per token: six layers of {@code 4 x 384^2 + 2 x 384 x 1536}
     * multiply-adds (BENCHMARKS.md, "Encoder throughput"). Another model has other figures; the estimate of
     * time left divides by measured rates, so only the prior for attention's rate changes.
     */
    static final double ENCODER_FLOPS_PER_TOKEN = 21.2e6;

    /** The kinds of work, indexes into {@link TimeLeft.Sample}'s counts, in the order the job does them. */
    static final int ENCODING = 0;
    static final int ATTENTION = 1;

    /**
     * The work per character assumed until a document's work is known: about 0.25 WordPiece tokens per
     * character of English documentation (0.23-0.26 on the dev corpus), encoding only.
     */
    static final double PRIOR_WORK_PER_CHARACTER = 0.25 * ENCODER_FLOPS_PER_TOKEN / 1e6;

    /**
     * Seconds an attention MFLOP costs against an encoder MFLOP on the CPU, attention's rate until its own
     * is measured. BENCHMARKS.md puts the ratio between 1.5 and 3 on the two cores: the attention kernel
     * runs at 90-114 GFLOP/s (the kernel table; the whole-corpus ring phase about 106), the encoder at
     * 176-178 GFLOP/s (the final embeddings phase of the default corpus) to about 270 (12,700 tokens/s in
     * the whole-corpus night). The low end, since the prior only has to carry the first seconds of
     * attention: replayed, 2.5 (the whole-corpus ring's ratio) put 15 s left with 4 s left at the end of the
     * 1,000-document fixture, whose few seconds of attention were cheaper than that, while 1.5 holds on
     * both fixtures and, simulated on the whole-corpus night, missed 4 times in 182 (2.5: 5; 1: 10; one
     * rate for all work: 36), all in its last 50 s.
     */
    static final double ATTENTION_COST_ON_CPU = 1.5;

    /**
     * The time spent on one document in one place: split and encoded in its task ({@code tokens} its
     * tokens), or attended on the ring ({@code tokens} 0).
     */
    public record DocumentTime(String docId, long tokens, long sentences, double seconds) implements Serializable {
    }

    private final LongAccumulator tokens;
    private final LongAccumulator encoding;
    private final LongAccumulator attention;
    private final CollectionAccumulator<DocumentTime> times;

    /**
     * Adds tokens encoded to {@code tokens}, the work of each kind, in MFLOP, to {@code encoding} and
     * {@code attention}, and documents' times to {@code times}.
     */
    public WorkMeter(LongAccumulator tokens, LongAccumulator encoding, LongAccumulator attention,
                     CollectionAccumulator<DocumentTime> times) {
        this.tokens = tokens;
        this.encoding = encoding;
        this.attention = attention;
        this.times = times;
    }

    /**
     * A new estimate of the job's time left on the CPU from these kinds of work, fed a night's samples;
     * {@code TimeLeftReplayTest} replays recorded nights through it.
     */
    public static TimeLeft timeLeft() {
        return new TimeLeft(PRIOR_WORK_PER_CHARACTER, List.of(new TimeLeft.Kind("encoding", 1),
                new TimeLeft.Kind("attention", ATTENTION_COST_ON_CPU)));
    }

    /** The time spent on one document in one place (in a task, or on the driver for a ring). */
    void timed(DocumentTime time) {
        times.add(time);
    }

    /**
     * The document of the most tokens among those timed, its times added up (its task and its ring); null
     * when none was timed. Tasks time only the largest document they hold (DocumentCounters).
     */
    DocumentTime longest() {
        Map<String, DocumentTime> byId = new LinkedHashMap<>();
        List<DocumentTime> all = times.value();
        synchronized (all) {
            for (DocumentTime t : all) {
                byId.merge(t.docId(), t, (a, b) -> new DocumentTime(a.docId(), Math.max(a.tokens(), b.tokens()),
                        Math.max(a.sentences(), b.sentences()), a.seconds() + b.seconds()));
            }
        }
        return byId.values().stream().max(java.util.Comparator.comparingLong(DocumentTime::tokens)
                .thenComparing(DocumentTime::docId)).orElse(null);
    }

    /** Tokens through the encoder. */
    void encoded(long count) {
        tokens.add(count);
        encoding.add(encodingWork(count));
    }

    /** Attention work done, in MFLOP ({@link #attentionWork}). */
    void attended(long mflop) {
        attention.add(mflop);
    }

    /** MFLOP of encoding {@code tokens} tokens. */
    static long encodingWork(long tokens) {
        return Math.round(tokens * ENCODER_FLOPS_PER_TOKEN / 1e6);
    }

    /**
     * MFLOP of one document's centrality: two attention passes over its {@code n} sentence vectors of
     * dimension {@code d}, {@code 4 n^2 d} FLOPs each
     * ({@code Q K^T} and {@code P V}, {@code n^2 d} multiply-adds apiece, as FlashAttention counts them).
     */
    static long attentionWork(long n, int d) {
        return Math.round(2 * 4.0 * n * n * d / 1e6);
    }
}
