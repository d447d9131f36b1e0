package org.ringattention.attention;

/**
 * Folds key/value rows into the running state of query rows. Every backend (scalar, Vector API, GPU)
 * implements this one operation and must agree with the float64 reference the tests hold; callers decide which
 * keys a state sees and in which order, so the same schedule gives bit-identical results.
 */
public interface AttentionKernel {

    /** Updates {@code state} (rows of {@code queries}) with the visible keys of {@code keysValues}. */
    void accumulate(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState state);

    /** A short name for logs and benchmark lines, e.g. {@code "cpu-vector"}. */
    String name();

    /**
     * The checks every {@link #accumulate} starts with: Q, K, V and the state agree with {@code spec} and
     * with each other (failing with a message that names the input). Returns false when there is nothing
     * to fold in (no query or no key rows).
     */
    static boolean checkArguments(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState state) {
        queries.check(spec);
        keysValues.check(spec, queries.index());
        if (!state.spec().equals(spec) || state.rows() != queries.rows()) {
            throw new IllegalArgumentException("state holds " + state.rows() + " rows of " + state.spec()
                    + "; queries are " + queries.rows() + " rows of " + spec);
        }
        return queries.rows() > 0 && keysValues.rows() > 0;
    }

    /** Attention of {@code queries} over {@code keysValues} in one call. */
    default AttentionResult attend(AttentionSpec spec, Queries queries, KeysValues keysValues) {
        AttentionState state = AttentionState.empty(spec, queries.rows());
        accumulate(spec, queries, keysValues, state);
        return state.finish();
    }
}
