package org.ringattention.attention;

/**
 * What is computed, independent of sequence length: head counts, head dimension, logit scale, causal mask.
 *
 * <p>Tensors follow FlashAttention's variable-length layout: Q is {@code (S, Hq, D)}, K and V are
 * {@code (S, Hkv, D)}, row-major float32. {@code Hq} must be a multiple of {@code Hkv}: query head
 * {@code h} reads key/value head {@code h / (Hq / Hkv)} (MHA when equal, GQA between, MQA when
 * {@code Hkv = 1}).
 */
public record AttentionSpec(int queryHeads, int kvHeads, int headDim, float scale, boolean causal)
        implements java.io.Serializable {

    public AttentionSpec {
        if (queryHeads < 1 || kvHeads < 1 || headDim < 1) {
            throw new IllegalArgumentException("heads and head dimension must be positive, got Hq="
                    + queryHeads + " Hkv=" + kvHeads + " D=" + headDim);
        }
        if (queryHeads % kvHeads != 0) {
            throw new IllegalArgumentException("K and V have " + kvHeads + " heads; Q's " + queryHeads
                    + " heads must be a multiple of it");
        }
        if (!(scale > 0f) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("scale must be a positive finite number, got " + scale);
        }
    }

    /** The default scale 1/sqrt(D). */
    public static AttentionSpec of(int queryHeads, int kvHeads, int headDim, boolean causal) {
        return new AttentionSpec(queryHeads, kvHeads, headDim, (float) (1.0 / Math.sqrt(headDim)), causal);
    }

    /** Query heads that share one key/value head. */
    public int groupSize() {
        return queryHeads / kvHeads;
    }

    /** Floats in one token's row of Q. */
    public int queryRowWidth() {
        return queryHeads * headDim;
    }

    /** Attention FLOPs of one {@code tokens}-token document: {@code 4 S^2 D Hq}, half under a causal mask (the count of FlashAttention-2, Dao 2023, arXiv 2307.08691). */
    public double flops(long tokens) {
        double f = 4.0 * tokens * tokens * headDim * queryHeads;
        return causal ? f / 2 : f;
    }

    /** Floats in one token's row of K (or V). */
    public int kvRowWidth() {
        return kvHeads * headDim;
    }
}
