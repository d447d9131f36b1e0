package org.ringattention.encoder;

import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;

/**
 * The one place where an encoder layer looks beyond its own sequence block: attention of every query of
 * the sequence over every key and value of it. Everything else in a layer (projections, residuals,
 * LayerNorm, feed-forward) is computed per block. The sentence encoder's is
 * {@link BertEncoder#segmentAttention}: each packed sentence attends to itself only.
 */
public interface SequenceAttention {

    /** O {@code (rows, Hq, D)} of layer {@code layer}'s attention; masks come from the token indexes. */
    float[] attend(int layer, AttentionSpec spec, Queries queries, KeysValues keysValues);
}
