package org.ringattention.ring;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;

/**
 * The outputs of a ring job: a cached RDD of {@link OutputBlock}s (each document's tokens grouped by
 * the ring position that computed them), the plan and the statistics. {@link #close()} releases the
 * cache.
 */
public final class RingResult implements AutoCloseable {

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
     * Every document's O {@code (S, Hq, D)} and LSE {@code (Hq, S)} in original token order, gathered on
     * the driver, by document id.
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
        List<OutputBlock> blocks = outputs.collect();
        for (OutputBlock block : blocks) {
            float[] o = out.get(block.document());
            float[] l = lse.get(block.document());
            int length = o.length / qw;
            int n = block.positions().length;
            for (int i = 0; i < n; i++) {
                int pos = block.positions()[i];
                System.arraycopy(block.out(), i * qw, o, pos * qw, qw);
                for (int h = 0; h < hq; h++) {
                    l[h * length + pos] = block.lse()[h * n + i];
                }
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
