package org.ringattention.ring;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import scala.Tuple2;

/**
 * The scatter, inside Spark tasks: every document block is cut into the pieces that each ring position
 * holds ({@link #pieces}), one shuffle brings them to their positions, and each position assembles its
 * {@link HomeShard} ({@link #assemble}). A piece's queries and its keys and values are encoded to Arrow
 * once, separately: queries are decoded at home for good, while the keys and values of documents on
 * the ring stay encoded and ride the ring as they are ({@link KvShard}).
 *
 * <p>Pure functions of their inputs: received pieces are sorted (shuffle order is arbitrary), so a
 * retried task gives the same bytes.
 */
final class Scatter implements Serializable {

    private static final long serialVersionUID = 1L;

    static final String Q = "q";

    /** Rows of one document block bound for one position, starting at token {@code first}. */
    record Piece(int document, int first, ArrowBlock queries, ArrowBlock keysValues) implements Serializable {
        long size() {
            return queries.size() + keysValues.size();
        }
    }

    private final ShippedSpec spec;
    private final RingPlan plan;
    private final RingConfig config;

    Scatter(ShippedSpec spec, RingPlan plan, RingConfig config) {
        this.spec = spec;
        this.plan = plan;
        this.config = config;
    }

    /** The pieces of one document block, keyed by the ring position that receives them. */
    Iterator<Tuple2<Integer, Piece>> pieces(DocumentBlock block) {
        int d = plan.indexOf(block.document());
        int rows = block.q().length / spec.queryWidth();
        int length = plan.document(d).length();
        List<Tuple2<Integer, Piece>> out = new ArrayList<>();
        if (!plan.onRing(d)) {
            int[] all = new int[rows];
            Arrays.setAll(all, i -> block.offset() + i);
            out.add(new Tuple2<>(plan.home(d), piece(d, block, all)));
            return out.iterator();
        }
        for (int r = 0; r < plan.partitions(); r++) {
            int[] tokens = plan.layout().tokens(r, length, plan.partitions(), block.offset(), block.offset() + rows);
            if (tokens.length > 0) {
                out.add(new Tuple2<>(r, piece(d, block, tokens)));
            }
        }
        return out.iterator();
    }

    private Piece piece(int d, DocumentBlock block, int[] tokens) {
        int qw = spec.queryWidth();
        int kw = spec.kvWidth();
        int n = tokens.length;
        float[] q = new float[n * qw];
        float[] k = new float[n * kw];
        float[] v = new float[n * kw];
        int[] documents = new int[n];
        int[] segments = new int[n];
        Arrays.fill(documents, d);
        for (int i = 0; i < n; i++) {
            int row = tokens[i] - block.offset();
            System.arraycopy(block.q(), row * qw, q, i * qw, qw);
            System.arraycopy(block.k(), row * kw, k, i * kw, kw);
            System.arraycopy(block.v(), row * kw, v, i * kw, kw);
            segments[i] = plan.segment(d, block.segments() == null ? 0 : block.segments()[row]);
        }
        ArrowBlock queries = ArrowBlock.encode(new TokenRows(documents, tokens, segments,
                List.of(new TokenRows.FloatColumn(Q, qw, q))), config.compression());
        ArrowBlock keysValues = ArrowBlock.encode(new TokenRows(documents, tokens, segments, List.of(
                new TokenRows.FloatColumn(KvShard.K, kw, k), new TokenRows.FloatColumn(KvShard.V, kw, v))),
                config.compression());
        return new Piece(d, tokens[0], queries, keysValues);
    }

    /** Ring position {@code position}'s shard from the pieces it received, in (document, position) order. */
    Iterator<HomeShard> assemble(int position, Iterator<Tuple2<Integer, Piece>> received) throws Exception {
        List<Piece> pieces = new ArrayList<>();
        long bytes = 0;
        while (received.hasNext()) {
            Piece piece = received.next()._2();
            bytes += piece.size();
            pieces.add(piece);
        }
        // Pieces of one document come from disjoint contiguous blocks, so sorting pieces by their
        // first row orders the rows; the shuffle delivered them in no particular order.
        pieces.sort(Comparator.comparingInt(Piece::document).thenComparingInt(Piece::first));
        TokenRows queries = TokenRows.concat(pieces.stream().map(p -> p.queries().decode()).toList(),
                List.of(Q), new int[] {spec.queryWidth()});
        int kw = spec.kvWidth();
        TokenRows local = TokenRows.concat(pieces.stream().filter(p -> !plan.onRing(p.document()))
                .map(p -> p.keysValues().decode()).toList(), List.of(KvShard.K, KvShard.V), new int[] {kw, kw});
        KvShard ring = new KvShard(pieces.stream().filter(p -> plan.onRing(p.document()))
                .map(Piece::keysValues).collect(java.util.stream.Collectors.toCollection(ArrayList::new)));
        HomeShard shard = new HomeShard(position, queries.column(Q).values(), queries.documents(),
                queries.positions(), queries.segments(), local.column(KvShard.K).values(),
                local.column(KvShard.V).values(), local.positions(), local.segments(), ring, bytes);
        if (config.hook() != null) {
            config.hook().after(StepHook.Phase.SCATTER, -1, position);
        }
        return List.of(shard).iterator();
    }
}
