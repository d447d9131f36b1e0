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
        checkState(spec, queries, state);
        keysValues.check(spec, queries.index());
        return queries.rows() > 0 && keysValues.rows() > 0;
    }

    /** Q and the state agree with {@code spec} and with each other; fails naming the input otherwise. */
    static void checkState(AttentionSpec spec, Queries queries, AttentionState state) {
        queries.check(spec);
        if (!state.spec().equals(spec) || state.rows() != queries.rows()) {
            throw new IllegalArgumentException("state holds " + state.rows() + " rows of " + state.spec()
                    + "; queries are " + queries.rows() + " rows of " + spec);
        }
    }

    /**
     * Keeps {@code queries} and {@code state} where this kernel computes, for several calls of
     * {@link #accumulate(HeldState, KeysValues)}; the state is taken over (the caller must not change it
     * afterwards). The CPU kernels keep both on the heap as given.
     */
    default HeldState hold(AttentionSpec spec, Queries queries, AttentionState state) {
        checkState(spec, queries, state);
        return new HostHeldState(spec, queries, state);
    }

    /** Whether this kernel can go on with {@code held} (a state in another device's memory it cannot). */
    default boolean continues(HeldState held) {
        return held instanceof HostHeldState;
    }

    /** Updates the held state with the visible keys of {@code keysValues}. */
    default void accumulate(HeldState held, KeysValues keysValues) {
        HostHeldState h = onHost(held);
        accumulate(h.spec(), h.queries(), keysValues, h.state());
    }

    /** A copy of the held state on the host; the held state goes on unchanged. */
    default AttentionState state(HeldState held) {
        AttentionState s = onHost(held).state();
        return AttentionState.of(s.spec(), s.rows(), s.acc().clone(), s.m().clone(), s.l().clone());
    }

    private static HostHeldState onHost(HeldState held) {
        if (held instanceof HostHeldState h) {
            return h;
        }
        throw new IllegalArgumentException("a state held in device memory was given to a kernel on the host;"
                + " ask continues() first");
    }

    /** Attention of {@code queries} over {@code keysValues} in one call. */
    default AttentionResult attend(AttentionSpec spec, Queries queries, KeysValues keysValues) {
        AttentionState state = AttentionState.empty(spec, queries.rows());
        accumulate(spec, queries, keysValues, state);
        return state.finish();
    }
}
