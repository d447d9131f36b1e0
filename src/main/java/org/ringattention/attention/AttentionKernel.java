package org.ringattention.attention;

/**
 * Folds key/value rows into the running state of query rows. Every backend (scalar, Vector API, GPU)
 * implements this one operation and must agree with {@link ReferenceAttention}; callers decide which
 * keys a state sees and in which order, so the same schedule gives bit-identical results.
 */
public interface AttentionKernel {

    /** Updates {@code state} (rows of {@code queries}) with the visible keys of {@code keysValues}. */
    void accumulate(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState state);

    /** A short name for logs and benchmark lines, e.g. {@code "cpu-vector"}. */
    String name();

    /** Attention of {@code queries} over {@code keysValues} in one call. */
    default AttentionResult attend(AttentionSpec spec, Queries queries, KeysValues keysValues) {
        AttentionState state = AttentionState.empty(spec, queries.rows());
        accumulate(spec, queries, keysValues, state);
        return state.finish();
    }
}
