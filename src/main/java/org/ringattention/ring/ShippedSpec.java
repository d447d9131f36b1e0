package org.ringattention.ring;

import java.io.Serializable;
import org.ringattention.attention.AttentionSpec;

/** The fields of an {@link AttentionSpec}, which is not Serializable (the math package knows nothing of Spark). */
record ShippedSpec(int queryHeads, int kvHeads, int headDim, float scale, boolean causal) implements Serializable {

    static ShippedSpec of(AttentionSpec spec) {
        return new ShippedSpec(spec.queryHeads(), spec.kvHeads(), spec.headDim(), spec.scale(), spec.causal());
    }

    AttentionSpec spec() {
        return new AttentionSpec(queryHeads, kvHeads, headDim, scale, causal);
    }

    int queryWidth() {
        return queryHeads * headDim;
    }

    int kvWidth() {
        return kvHeads * headDim;
    }
}
