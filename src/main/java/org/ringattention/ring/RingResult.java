package org.ringattention.ring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import scala.Tuple2;

/**
 * The outputs of a ring job: a cached RDD of {@link OutputBlock}s (each document's tokens grouped by
 * the ring position that computed them), the plan and the statistics. {@link #close()} releases the
 * cache.
 */
public final class RingResult implements AutoCloseable {

    /** Tokens per part when gathering on the driver: no task holds more of a long document than this. */
    private static final int COLLECT_PART_ROWS = 65536;

    private final AttentionSpec spec;
    private final RingPlan plan;
    private final JavaRDD<OutputBlock> outputs;
    private final RingStats stats;

    RingResult(AttentionSpec spec, RingPlan plan, JavaRDD<OutputBlock> outputs, RingStats stats) {
        this.spec = spec;
        this.plan = plan;
        this.outputs = outputs;
        this.stats = stats;
    }

    /** Output blocks, for writing from the executors without gathering on the driver. */
    public JavaRDD<OutputBlock> outputs() {
        return outputs;
    }

    public RingPlan plan() {
        return plan;
    }

    public RingStats stats() {
        return stats;
    }

    /**
     * The outputs put back in token order, the one way the project does it: each document cut into
     * parts of {@code partRows} consecutive tokens (the last shorter), one {@link OutputBlock} per part
     * with positions {@code [k partRows, ...)} ascending. {@code Integer.MAX_VALUE} gives whole documents;
     * a smaller part keeps any one task from holding a long document's whole output.
     */
    public JavaRDD<OutputBlock> inTokenOrder(int partRows) {
        if (partRows < 1) {
            throw new IllegalArgumentException("parts must hold at least 1 token, got " + partRows);
        }
        int hq = spec.queryHeads();
        int qw = spec.queryRowWidth();
        RingPlan lengths = plan;
        return outputs.flatMapToPair(b -> {
            // Positions ascend within a block, so each part's rows are one run of the block.
            List<Tuple2<Tuple2<String, Integer>, OutputBlock>> runs = new ArrayList<>();
            int n = b.positions().length;
            for (int from = 0; from < n; ) {
                int part = b.positions()[from] / partRows;
                int to = from;
                while (to < n && b.positions()[to] / partRows == part) {
                    to++;
                }
                runs.add(new Tuple2<>(new Tuple2<>(b.document(), part), b.rows(from, to, hq, qw)));
                from = to;
            }
            return runs.iterator();
        }).groupByKey(outputs.getNumPartitions()).map(e -> {
            String document = e._1()._1();
            long first = (long) e._1()._2() * partRows;
            int length = lengths.document(lengths.indexOf(document)).length();
            int rows = (int) Math.min(partRows, length - first);
            int[] positions = new int[rows];
            float[] out = new float[rows * qw];
            float[] lse = new float[rows * hq];
            int placed = 0;
            for (OutputBlock b : e._2()) {
                int n = b.positions().length;
                for (int i = 0; i < n; i++) {
                    int row = (int) (b.positions()[i] - first);
                    positions[row] = b.positions()[i];
                    System.arraycopy(b.out(), i * qw, out, row * qw, qw);
                    for (int h = 0; h < hq; h++) {
                        lse[h * rows + row] = b.lse()[h * n + i];
                    }
                }
                placed += n;
            }
            if (placed != rows) {
                throw new IllegalStateException("document " + document + " part at token " + first + ": " + placed
                        + " rows came back for " + rows);
            }
            return new OutputBlock(document, positions, out, lse);
        });
    }

    /**
     * Every document's O {@code (S, Hq, D)} and LSE {@code (Hq, S)} in original token order, gathered on
     * the driver, by document id (in plan order).
     */
    public Map<String, AttentionResult> collect() {
        int hq = spec.queryHeads();
        int qw = spec.queryRowWidth();
        Map<String, float[]> out = new LinkedHashMap<>();
        Map<String, float[]> lse = new LinkedHashMap<>();
        for (int d = 0; d < plan.documentCount(); d++) {
            RingPlan.DocumentInfo doc = plan.document(d);
            out.put(doc.id(), new float[doc.length() * qw]);
            lse.put(doc.id(), new float[doc.length() * hq]);
        }
        for (OutputBlock part : inTokenOrder(COLLECT_PART_ROWS).collect()) {
            int first = part.positions()[0];
            int n = part.positions().length;
            float[] l = lse.get(part.document());
            int length = l.length / hq;
            System.arraycopy(part.out(), 0, out.get(part.document()), first * qw, n * qw);
            for (int h = 0; h < hq; h++) {
                System.arraycopy(part.lse(), h * n, l, h * length + first, n);
            }
        }
        Map<String, AttentionResult> results = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : out.entrySet()) {
            results.put(e.getKey(), new AttentionResult(spec, e.getValue().length / qw, e.getValue(), lse.get(e.getKey())));
        }
        return results;
    }

    @Override
    public void close() {
        outputs.unpersist(false);
    }
}
