package org.ringattention.ring;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.HeldState;
import org.ringattention.attention.HeldStateLost;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.TokenIndex;
import org.ringattention.backend.Backend;
import org.ringattention.executor.TaskBackends;

/**
 * A ring step inside a Spark task ({@link #fold}), and the finish that turns the last step's states
 * into outputs ({@link #finish}).
 *
 * <p>Communication hides behind the fold (Ring Attention, arXiv 2310.01889, section 3): the rotation
 * that brings step t+1's KV shard does not depend on the states, so step t's task is handed both the
 * shard it folds (held since the previous step) and the shuffle read of the next one. Creating that
 * read sends the fetch requests, which Spark's network threads serve while the kernel runs; the task
 * drains it after the fold and keeps the shard with the new state.
 *
 * <p>A position's queries and state stay where the kernel computes between steps: on a GPU, in its memory
 * ({@link HeldStates}), so a step copies only its KV shard in and the state comes back at the finish (and
 * every {@link RingConfig#checkpointInterval} steps, for checkpoints and for other executors). When the
 * held state is not there (another executor, a retry), the task rebuilds it from the last host copy and
 * the shards folded since, which {@link StepState} carries.
 *
 * <p>Pure functions of their inputs: nothing Spark persisted is changed (a held state is the task's own,
 * a host copy is copied before it is continued), and the kernels are deterministic for any thread count,
 * so a retried task, and a rebuilt state, give the same bytes.
 */
final class RingStep implements Serializable {

    private static final long serialVersionUID = 1L;

    private final ShippedSpec spec;
    private final RingPlan plan;
    private final RingConfig config;
    private final String run;
    private final Kernels kernels;

    /** How a ring task gets its kernels for a configuration: {@link #backend} in Spark. */
    @FunctionalInterface
    interface Kernels extends Serializable {
        Backend open(RingConfig config);
    }

    /** {@code run} names this run of the ring among others an executor may hold states of. */
    RingStep(ShippedSpec spec, RingPlan plan, RingConfig config, String run) {
        this(spec, plan, config, run, RingStep::backend);
    }

    /** With kernels from {@code kernels}: a test's stand-in GPU, outside Spark. */
    RingStep(ShippedSpec spec, RingPlan plan, RingConfig config, String run, Kernels kernels) {
        this.spec = spec;
        this.plan = plan;
        this.config = config;
        this.run = run;
        this.kernels = kernels;
    }

    /**
     * The one place a ring task opens its kernel: on the CPU the executor's shared kernel, on a GPU the one
     * Spark assigned to this task (its context cached per executor); both through {@link TaskBackends}.
     */
    static Backend backend(RingConfig config) {
        return TaskBackends.open(config.device(), config.precision(), config.blockSize(), config.threads());
    }

    /**
     * Ring step {@code step} at {@code home}'s position: folds {@code held} (the KV shard of position
     * {@code position - step}) into the position's state after {@code previous}, then drains
     * {@code arriving} (the next step's shard, fetched meanwhile; absent after the last step). Step 0
     * starts from the empty state and first folds the local documents' own keys, so the fold order is
     * fixed by the schedule.
     */
    StepState fold(int step, HomeShard home, StepState previous, KvShard held, Iterator<KvShard> arriving)
            throws Exception {
        long start = System.nanoTime();
        KeysValues kv = keysValues(held);
        boolean copy = (step + 1) % config.checkpointInterval() == 0;
        AttentionState[] copied = new AttentionState[1];
        UUID token = null;
        try (Backend backend = kernels.open(config)) {
            AttentionKernel kernel = backend.attention();
            HeldState state = continued(kernel, home, previous, s -> {
                kernel.accumulate(s, kv);
                if (copy || !s.onDevice()) {
                    copied[0] = kernel.state(s);
                }
            });
            if (state.onDevice()) {
                token = HeldStates.EXECUTOR.put(run, home.position(), state);
            } else {
                state.close();
            }
        }
        long nanos = System.nanoTime() - start;
        KvShard next = arriving == null ? null : arriving.next();
        if (config.hook() != null) {
            config.hook().after(StepHook.Phase.STEP, step, home.position());
        }
        if (copied[0] != null) {
            AttentionState c = copied[0];
            return new StepState(c.acc(), c.m(), c.l(), step, List.of(), token, next, held.size(), nanos);
        }
        List<KvShard> since = new ArrayList<>(previous == null ? List.of() : previous.since());
        since.add(held);
        return previous == null || previous.copyStep() < 0
                ? new StepState(null, null, null, -1, List.copyOf(since), token, next, held.size(), nanos)
                : new StepState(previous.acc(), previous.m(), previous.l(), previous.copyStep(), List.copyOf(since), token,
                        next, held.size(), nanos);
    }

    /**
     * The position's state after {@code previous} (before step 0 when null), with {@code work} done on it by
     * {@code kernel}: the state held on this executor's GPU when it is the one {@code previous} names, else
     * rebuilt. When the GPU holding it fails, the state is rebuilt once more (the backend then computes on
     * the CPU, or refuses under {@code --device gpu}) and the work done again. The caller owns the result.
     */
    private HeldState continued(AttentionKernel kernel, HomeShard home, StepState previous, Consumer<HeldState> work) {
        HeldState state = previous == null ? null
                : HeldStates.EXECUTOR.take(run, home.position(), previous.heldToken(), kernel);
        for (boolean retried = false; ; retried = true) {
            try {
                if (state == null) {
                    state = rebuild(kernel, home, previous);
                }
                work.accept(state);
                return state;
            } catch (HeldStateLost lost) {
                state = closed(state);
                if (retried) {
                    throw lost;
                }
            } catch (RuntimeException e) {
                closed(state);
                throw e;
            }
        }
    }

    private static HeldState closed(HeldState state) {
        if (state != null) {
            state.close();
        }
        return null;
    }

    /**
     * The position's state as of {@code previous} (before step 0 when null), held by {@code kernel}: the last
     * host copy (or the empty state and the local documents' keys), then the shards folded since, in order.
     */
    private HeldState rebuild(AttentionKernel kernel, HomeShard home, StepState previous) {
        AttentionSpec attention = spec.spec();
        int rows = home.rows();
        boolean fromCopy = previous != null && previous.copyStep() >= 0;
        AttentionState start = fromCopy
                ? AttentionState.of(attention, rows, previous.acc().clone(), previous.m().clone(), previous.l().clone())
                : AttentionState.empty(attention, rows);
        HeldState state = kernel.hold(attention, home.queries(), start);
        try {
            if (!fromCopy && home.localPositions().length > 0) {
                kernel.accumulate(state, home.localKeysValues());
            }
            for (KvShard shard : previous == null ? List.<KvShard>of() : previous.since()) {
                kernel.accumulate(state, keysValues(shard));
            }
            return state;
        } catch (RuntimeException e) {
            state.close();
            throw e;
        }
    }

    private KeysValues keysValues(KvShard shard) {
        TokenRows kv = shard.decode(spec.kvWidth());
        return new KeysValues(kv.column(KvShard.K).values(), kv.column(KvShard.V).values(),
                new TokenIndex(kv.positions(), kv.segments()));
    }

    /** The position's final state: its last host copy, or the state held on this executor's GPU, or rebuilt. */
    private AttentionState lastState(HomeShard home, StepState last) {
        if (last.copyStep() == plan.partitions() - 1) {
            HeldStates.EXECUTOR.discard(run, home.position());
            return AttentionState.of(spec.spec(), home.rows(), last.acc().clone(), last.m().clone(), last.l().clone());
        }
        AttentionState[] state = new AttentionState[1];
        try (Backend backend = kernels.open(config)) {
            AttentionKernel kernel = backend.attention();
            continued(kernel, home, last, s -> state[0] = kernel.state(s)).close();
        }
        return state[0];
    }

    /** O and LSE of this position's rows, one block per document. */
    Iterator<OutputBlock> finish(HomeShard home, StepState last) throws Exception {
        int rows = home.rows();
        AttentionResult result = lastState(home, last).finish();
        int qw = spec.queryWidth();
        int hq = spec.queryHeads();
        List<OutputBlock> out = new ArrayList<>();
        int[] documents = home.documents();
        for (int from = 0; from < rows; ) {
            int to = from;
            while (to < rows && documents[to] == documents[from]) {
                to++;
            }
            int n = to - from;
            float[] lse = new float[hq * n];
            for (int h = 0; h < hq; h++) {
                System.arraycopy(result.lse(), h * rows + from, lse, h * n, n);
            }
            out.add(new OutputBlock(plan.document(documents[from]).id(),
                    Arrays.copyOfRange(home.positions(), from, to),
                    Arrays.copyOfRange(result.out(), from * qw, to * qw), lse));
            from = to;
        }
        if (config.hook() != null) {
            config.hook().after(StepHook.Phase.FINISH, plan.partitions(), home.position());
        }
        return out.iterator();
    }
}
