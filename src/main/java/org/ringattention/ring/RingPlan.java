package org.ringattention.ring;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Which document goes where, decided on the driver from lengths alone. A document either rides the
 * ring (sharded over all P positions by the layout, its KV blocks rotated) or is local: attended
 * whole on one partition with its own keys, never shuffled round the ring.
 *
 * <p>Balance: the work of a partition is its visible (query, key) pairs ({@link Layout#visiblePairs}).
 * Documents no longer than {@code localLimit} tokens are candidates to stay local; they are placed
 * heaviest first on the least loaded partition (LPT). If the busiest partition then exceeds
 * {@value #TARGET_IMBALANCE} x the mean, the heaviest candidates are moved onto the ring one at a
 * time (a balanced layout spreads a ring document evenly) until it does not; if no split reaches the
 * target, the most balanced one is kept and {@link #imbalance()} reports it. The number moved grows
 * by half at each try once past 4, so planning stays O(n log n) for corpora of many documents.
 *
 * <p>Segment ids are made unique across documents: a document's ids {@code [min, max]} map to
 * {@code base + (id - min)} with disjoint bases, so one kernel call can hold rows of many documents.
 */
public final class RingPlan implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Busiest partition / mean partition, in visible pairs, that the plan aims for. */
    public static final double TARGET_IMBALANCE = 1.25;

    /** What the driver learns about one document before planning. */
    public record DocumentInfo(String id, int length, int minSegment, int maxSegment) implements Serializable {
    }

    private final int partitions;
    private final Layout layout;
    private final boolean causal;
    private final DocumentInfo[] documents;
    private final int[] segmentBase;
    /** Partition of a local document, -1 for a document on the ring. */
    private final int[] home;
    private final long[] work;

    private RingPlan(int partitions, Layout layout, boolean causal, DocumentInfo[] documents, int[] segmentBase,
                     int[] home, long[] work) {
        this.partitions = partitions;
        this.layout = layout;
        this.causal = causal;
        this.documents = documents;
        this.segmentBase = segmentBase;
        this.home = home;
        this.work = work;
    }

    /** Plans {@code documents} (any order; ids unique) over {@code partitions} ring positions. */
    public static RingPlan of(List<DocumentInfo> documents, int partitions, Layout layout, boolean causal,
                              int localLimit) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        DocumentInfo[] docs = documents.stream().sorted(Comparator.comparing(DocumentInfo::id))
                .toArray(DocumentInfo[]::new);
        int[] base = new int[docs.length];
        long next = 0;
        for (int d = 0; d < docs.length; d++) {
            if (d > 0 && docs[d].id().equals(docs[d - 1].id())) {
                throw new IllegalArgumentException("document " + docs[d].id() + " is listed twice; ids must be unique");
            }
            base[d] = (int) next;
            next += (long) docs[d].maxSegment() - docs[d].minSegment() + 1;
            if (next > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("documents up to " + docs[d].id() + " span more than 2^31 segment ids;"
                        + " number each document's segments from 0");
            }
        }
        long[][] ringWork = new long[docs.length][partitions];
        long[] wholeWork = new long[docs.length];
        for (int d = 0; d < docs.length; d++) {
            for (int r = 0; r < partitions; r++) {
                ringWork[d][r] = layout.visiblePairs(r, docs[d].length(), partitions, causal);
                wholeWork[d] += ringWork[d][r];
            }
        }
        Integer[] candidates = IntStream.range(0, docs.length).filter(d -> docs[d].length() <= localLimit)
                .boxed().sorted(Comparator.<Integer>comparingLong(d -> -wholeWork[d]).thenComparingInt(d -> d))
                .toArray(Integer[]::new);
        long[] ringLoad = new long[partitions];
        boolean[] candidate = new boolean[docs.length];
        for (int d : candidates) {
            candidate[d] = true;
        }
        for (int d = 0; d < docs.length; d++) {
            if (!candidate[d]) {
                add(ringLoad, ringWork[d]);
            }
        }
        int[] bestHome = null;
        long[] bestWork = null;
        double bestImbalance = Double.POSITIVE_INFINITY;
        int onRing = 0;
        for (int demoted = 0; demoted <= candidates.length; demoted = next(demoted, candidates.length)) {
            for (; onRing < demoted; onRing++) {
                add(ringLoad, ringWork[candidates[onRing]]);
            }
            long[] load = ringLoad.clone();
            int[] placed = new int[docs.length];
            Arrays.fill(placed, -1);
            for (int i = demoted; i < candidates.length; i++) {
                int lightest = 0;
                for (int r = 1; r < partitions; r++) {
                    if (load[r] < load[lightest]) {
                        lightest = r;
                    }
                }
                placed[candidates[i]] = lightest;
                load[lightest] += wholeWork[candidates[i]];
            }
            double imbalance = imbalance(load);
            if (imbalance < bestImbalance) {
                bestImbalance = imbalance;
                bestHome = placed;
                bestWork = load;
            }
            if (imbalance <= TARGET_IMBALANCE || demoted == candidates.length) {
                break;
            }
        }
        return new RingPlan(partitions, layout, causal, docs, base, bestHome, bestWork);
    }

    /** The next number of candidates to try on the ring: 0..4 one by one, then 1.5x, ending at all. */
    private static int next(int demoted, int candidates) {
        return Math.min(candidates, demoted < 4 ? demoted + 1 : demoted + demoted / 2);
    }

    private static void add(long[] into, long[] values) {
        for (int i = 0; i < into.length; i++) {
            into[i] += values[i];
        }
    }

    private static double imbalance(long[] load) {
        long max = Arrays.stream(load).max().orElse(0);
        double mean = Arrays.stream(load).sum() / (double) load.length;
        return mean == 0 ? 1.0 : max / mean;
    }

    public int partitions() {
        return partitions;
    }

    public Layout layout() {
        return layout;
    }

    public boolean causal() {
        return causal;
    }

    public int documentCount() {
        return documents.length;
    }

    /** The document at plan index {@code d} (plan order is by id). */
    public DocumentInfo document(int d) {
        return documents[d];
    }

    /** Plan index of the document called {@code id}, or a negative number. */
    public int indexOf(String id) {
        return Arrays.binarySearch(documents, new DocumentInfo(id, 0, 0, 0), Comparator.comparing(DocumentInfo::id));
    }

    /** Whether document {@code d} rides the ring (else it is local to {@link #home}). */
    public boolean onRing(int d) {
        return home[d] < 0;
    }

    /** The partition of local document {@code d}. */
    public int home(int d) {
        return home[d];
    }

    /** The segment id that the kernel sees for segment {@code segment} of document {@code d}. */
    public int segment(int d, int segment) {
        return segmentBase[d] + (segment - documents[d].minSegment());
    }

    public long tokens() {
        return Arrays.stream(documents).mapToLong(DocumentInfo::length).sum();
    }

    public int ringDocuments() {
        return (int) IntStream.range(0, documents.length).filter(this::onRing).count();
    }

    /** Estimated visible pairs per partition. */
    public long[] work() {
        return work.clone();
    }

    /** Busiest partition's work over the mean (1 = perfectly balanced). */
    public double imbalance() {
        return imbalance(work);
    }
}
