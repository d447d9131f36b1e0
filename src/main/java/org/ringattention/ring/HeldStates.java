package org.ringattention.ring;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.HeldState;

/**
 * Ring positions' states held in GPU memory between their ring steps: the documented per-executor cache of
 * the ring. A step's task leaves its position's queries and state on the GPU under (run, position) with a
 * fresh token, and the {@link StepState} it returns names that token; the next step's task, when Spark runs
 * it in the same executor, finds the state by that token and folds its key/value shard straight into it.
 *
 * <p>The cache only saves copies; it never decides a result. A state is used only by the token its step
 * returned, so a task that lands on another executor, a retried or speculative attempt, or a state that an
 * earlier attempt may have changed half-way finds nothing (or a stale entry, which is freed) and rebuilds
 * the state from what Spark persisted ({@link RingStep}): the same kernels on the same inputs in the same
 * order, so the same bits. Entries untouched for {@link #IDLE_LIMIT_NANOS} (a ring whose job failed) are
 * freed; so is an entry replaced under its key, or taken by the ring's finish.
 */
final class HeldStates {

    /** How long a state may wait for its next step before its GPU memory is given back. */
    static final long IDLE_LIMIT_NANOS = 10L * 60 * 1_000_000_000;

    /** This executor's. */
    static final HeldStates EXECUTOR = new HeldStates();

    private record Key(String run, int position) {
    }

    private record Entry(UUID token, HeldState state, long touched) {
    }

    private final Map<Key, Entry> entries = new HashMap<>();

    /**
     * The state held for ring position {@code position} of run {@code run} if it is the one {@code token}
     * names and {@code kernel} can go on with it (it is then the caller's); else null, and whatever was held
     * there is freed.
     */
    synchronized HeldState take(String run, int position, UUID token, AttentionKernel kernel) {
        evictIdle();
        Entry e = entries.remove(new Key(run, position));
        if (e == null) {
            return null;
        }
        if (token != null && e.token().equals(token) && kernel.continues(e.state())) {
            return e.state();
        }
        e.state().close();
        return null;
    }

    /** Keeps {@code state} for the next step of the position; returns the token that names it. */
    synchronized UUID put(String run, int position, HeldState state) {
        evictIdle();
        UUID token = UUID.randomUUID();
        Entry old = entries.put(new Key(run, position), new Entry(token, state, System.nanoTime()));
        if (old != null) {
            old.state().close();
        }
        return token;
    }

    /** Frees the state held for the position, if any: its run no longer needs it. */
    synchronized void discard(String run, int position) {
        Entry e = entries.remove(new Key(run, position));
        if (e != null) {
            e.state().close();
        }
    }

    private void evictIdle() {
        long now = System.nanoTime();
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (now - e.touched() > IDLE_LIMIT_NANOS) {
                e.state().close();
                it.remove();
            }
        }
    }
}
