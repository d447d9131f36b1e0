package org.ringattention.ring;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
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
 * <p>Pure functions of their inputs: states are copied before a fold (a cached state must not change
 * if a task is retried) and the kernel is deterministic for any thread count, so a retried task gives
 * the same bytes.
 */
final class RingStep implements Serializable {

    private static final long serialVersionUID = 1L;

    private final ShippedSpec spec;
    private final RingPlan plan;
    private final RingConfig config;

    RingStep(ShippedSpec spec, RingPlan plan, RingConfig config) {
        this.spec = spec;
        this.plan = plan;
        this.config = config;
    }

    /**
     * The one place a ring task opens its kernel: on the CPU the executor's shared kernel, on a GPU the one
     * Spark assigned to this task (its context cached per executor); both through {@link TaskBackends}.
     */
    static Backend backend(RingConfig config) {
        return TaskBackends.open(config.device(), config.blockSize(), config.threads());
    }

    /**
     * Ring step {@code step} at {@code home}'s position: folds {@code held} (the KV shard of position
     * {@code position - step}) into a copy of {@code previous}, then drains {@code arriving} (the next
     * step's shard, fetched meanwhile; absent after the last step). Step 0 starts from the empty state
     * and first folds the local documents' own keys, so the fold order is fixed by the schedule.
     */
    StepState fold(int step, HomeShard home, StepState previous, KvShard held, Iterator<KvShard> arriving)
            throws Exception {
        AttentionSpec attention = spec.spec();
        int rows = home.rows();
        long start = System.nanoTime();
        AttentionState state = previous == null ? AttentionState.empty(attention, rows)
                : AttentionState.of(attention, rows, previous.acc().clone(), previous.m().clone(), previous.l().clone());
        TokenRows kv = held.decode(spec.kvWidth());
        try (Backend backend = backend(config)) {
            AttentionKernel kernel = backend.attention();
            if (step == 0 && home.localPositions().length > 0) {
                kernel.accumulate(attention, home.queries(), home.localKeysValues(), state);
            }
            kernel.accumulate(attention, home.queries(), new KeysValues(kv.column(KvShard.K).values(),
                    kv.column(KvShard.V).values(), new TokenIndex(kv.positions(), kv.segments())), state);
        }
        long nanos = System.nanoTime() - start;
        KvShard next = arriving == null ? null : arriving.next();
        if (config.hook() != null) {
            config.hook().after(StepHook.Phase.STEP, step, home.position());
        }
        return new StepState(state.acc(), state.m(), state.l(), next, held.size(), nanos);
    }

    /** O and LSE of this position's rows, one block per document. */
    Iterator<OutputBlock> finish(HomeShard home, StepState last) throws Exception {
        AttentionSpec attention = spec.spec();
        int rows = home.rows();
        AttentionResult result = AttentionState.of(attention, rows, last.acc().clone(), last.m().clone(),
                last.l().clone()).finish();
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
