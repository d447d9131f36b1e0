package org.ringattention.ring;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.TokenIndex;
import org.ringattention.backend.Backend;
import org.ringattention.backend.BackendFactory;
import scala.Tuple2;

/**
 * The work done inside Spark tasks: scatter document blocks to ring positions, assemble each
 * position's {@link HomeShard}, fold one KV block per ring step, finish states into outputs.
 * Serializable and free of Spark driver objects, so the driver ships it in every closure.
 *
 * <p>Every function is a pure function of its inputs: pieces are sorted before use (shuffle order is
 * arbitrary), states are copied before a fold (a cached state must not change if a task is retried),
 * and the kernel is deterministic for any thread count, so a retried task gives the same bytes.
 */
final class RingTasks implements Serializable {

    private static final long serialVersionUID = 1L;

    private static final String Q = "q";
    private static final String K = "k";
    private static final String V = "v";

    private final int queryHeads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final boolean causal;
    private final RingPlan plan;
    private final RingConfig config;

    RingTasks(AttentionSpec spec, RingPlan plan, RingConfig config) {
        // AttentionSpec is not Serializable (the math package knows nothing of Spark): ship its fields.
        this.queryHeads = spec.queryHeads();
        this.kvHeads = spec.kvHeads();
        this.headDim = spec.headDim();
        this.scale = spec.scale();
        this.causal = spec.causal();
        this.plan = plan;
        this.config = config;
    }

    AttentionSpec spec() {
        return new AttentionSpec(queryHeads, kvHeads, headDim, scale, causal);
    }

    /** The pieces of one document block, keyed by the ring position that receives them. */
    Iterator<Tuple2<Integer, ArrowBlock>> scatter(DocumentBlock block) {
        int qw = queryHeads * headDim;
        int kw = kvHeads * headDim;
        int d = plan.indexOf(block.document());
        int rows = block.q().length / qw;
        int length = plan.document(d).length();
        List<Tuple2<Integer, ArrowBlock>> out = new ArrayList<>();
        if (!plan.onRing(d)) {
            int[] all = new int[rows];
            Arrays.setAll(all, i -> block.offset() + i);
            out.add(new Tuple2<>(plan.home(d), piece(d, block, all, qw, kw)));
            return out.iterator();
        }
        for (int r = 0; r < plan.partitions(); r++) {
            int[] tokens = plan.layout().tokens(r, length, plan.partitions(), block.offset(), block.offset() + rows);
            if (tokens.length > 0) {
                out.add(new Tuple2<>(r, piece(d, block, tokens, qw, kw)));
            }
        }
        return out.iterator();
    }

    private ArrowBlock piece(int d, DocumentBlock block, int[] tokens, int qw, int kw) {
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
        return ArrowBlock.encode(new TokenRows(documents, tokens, segments, List.of(
                new TokenRows.FloatColumn(Q, qw, q), new TokenRows.FloatColumn(K, kw, k),
                new TokenRows.FloatColumn(V, kw, v))), config.compression());
    }

    /** Ring position {@code position}'s shard from the pieces it received, in (document, position) order. */
    Iterator<HomeShard> assemble(int position, Iterator<Tuple2<Integer, ArrowBlock>> received) {
        List<TokenRows> pieces = new ArrayList<>();
        long bytes = 0;
        while (received.hasNext()) {
            ArrowBlock block = received.next()._2();
            bytes += block.size();
            pieces.add(block.decode());
        }
        // Pieces of one document come from disjoint contiguous blocks, so sorting pieces by their
        // first row orders the rows; the shuffle delivered them in no particular order.
        pieces.sort(Comparator.<TokenRows>comparingInt(p -> p.documents()[0]).thenComparingInt(p -> p.positions()[0]));
        TokenRows all = concat(pieces, Q, K, V);
        TokenRows local = select(all, false, K, V);
        TokenRows ring = select(all, true, K, V);
        HomeShard shard = new HomeShard(position, all.column(Q).values(), all.documents(), all.positions(),
                all.segments(), local.column(K).values(), local.column(V).values(), local.positions(),
                local.segments(), ArrowBlock.encode(new TokenRows(ring.documents(), ring.positions(), ring.segments(),
                List.of(ring.column(K), ring.column(V))), config.compression()), bytes);
        return List.of(shard).iterator();
    }

    private TokenRows concat(List<TokenRows> pieces, String... names) {
        int n = pieces.stream().mapToInt(TokenRows::rows).sum();
        int[] documents = new int[n];
        int[] positions = new int[n];
        int[] segments = new int[n];
        List<TokenRows.FloatColumn> columns = new ArrayList<>();
        int at = 0;
        for (TokenRows p : pieces) {
            System.arraycopy(p.documents(), 0, documents, at, p.rows());
            System.arraycopy(p.positions(), 0, positions, at, p.rows());
            System.arraycopy(p.segments(), 0, segments, at, p.rows());
            at += p.rows();
        }
        for (String name : names) {
            int width = name.equals(Q) ? queryHeads * headDim : kvHeads * headDim;
            float[] values = new float[n * width];
            at = 0;
            for (TokenRows p : pieces) {
                float[] src = p.column(name).values();
                System.arraycopy(src, 0, values, at, src.length);
                at += src.length;
            }
            columns.add(new TokenRows.FloatColumn(name, width, values));
        }
        return new TokenRows(documents, positions, segments, columns);
    }

    /** The rows of documents on the ring ({@code ring}) or of local ones, with columns {@code names}. */
    private TokenRows select(TokenRows all, boolean ring, String... names) {
        int[] keep = java.util.stream.IntStream.range(0, all.rows())
                .filter(i -> plan.onRing(all.documents()[i]) == ring).toArray();
        List<TokenRows.FloatColumn> columns = new ArrayList<>();
        for (String name : names) {
            TokenRows.FloatColumn c = all.column(name);
            float[] values = new float[keep.length * c.width()];
            for (int i = 0; i < keep.length; i++) {
                System.arraycopy(c.values(), keep[i] * c.width(), values, i * c.width(), c.width());
            }
            columns.add(new TokenRows.FloatColumn(c.name(), c.width(), values));
        }
        return new TokenRows(pick(all.documents(), keep), pick(all.positions(), keep), pick(all.segments(), keep),
                columns);
    }

    private static int[] pick(int[] values, int[] keep) {
        int[] out = new int[keep.length];
        for (int i = 0; i < keep.length; i++) {
            out[i] = values[keep[i]];
        }
        return out;
    }

    /**
     * Ring step {@code step}: folds the KV block now at this position (from position
     * {@code position - step}) into a copy of the previous state. Step 0 starts from the empty state
     * and first folds the local documents' own keys, so the fold order is fixed by the schedule.
     */
    StepState fold(int step, int position, HomeShard home, StepState previous, ArrowBlock kv) throws Exception {
        AttentionSpec spec = spec();
        int rows = home.rows();
        AttentionState state = previous == null ? AttentionState.empty(spec, rows)
                : AttentionState.of(spec, rows, previous.acc().clone(), previous.m().clone(), previous.l().clone());
        long start = System.nanoTime();
        TokenRows ring = kv.decode();
        try (Backend backend = BackendFactory.openInTask(config.device(), config.blockSize(), config.threads())) {
            AttentionKernel kernel = backend.attention();
            if (step == 0 && home.localPositions().length > 0) {
                kernel.accumulate(spec, home.queries(), home.localKeysValues(), state);
            }
            kernel.accumulate(spec, home.queries(), new KeysValues(ring.column(K).values(), ring.column(V).values(),
                    new TokenIndex(ring.positions(), ring.segments())), state);
        }
        long nanos = System.nanoTime() - start;
        if (config.hook() != null) {
            config.hook().afterFold(step, position);
        }
        return new StepState(state.acc(), state.m(), state.l(), kv.size(), nanos);
    }

    /** O and LSE of this position's rows, one block per document. */
    Iterator<OutputBlock> finish(HomeShard home, StepState last) {
        AttentionSpec spec = spec();
        int rows = home.rows();
        AttentionResult result = AttentionState.of(spec, rows, last.acc().clone(), last.m().clone(), last.l().clone())
                .finish();
        int qw = queryHeads * headDim;
        List<OutputBlock> out = new ArrayList<>();
        int[] documents = home.documents();
        for (int from = 0; from < rows; ) {
            int to = from;
            while (to < rows && documents[to] == documents[from]) {
                to++;
            }
            int n = to - from;
            float[] lse = new float[queryHeads * n];
            for (int h = 0; h < queryHeads; h++) {
                System.arraycopy(result.lse(), h * rows + from, lse, h * n, n);
            }
            out.add(new OutputBlock(plan.document(documents[from]).id(),
                    Arrays.copyOfRange(home.positions(), from, to),
                    Arrays.copyOfRange(result.out(), from * qw, to * qw), lse));
            from = to;
        }
        return out.iterator();
    }
}
