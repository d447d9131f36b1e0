package org.ringattention.attention;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs numbered work items on up to {@code threads} threads, the caller included, each thread pulling
 * the next item from a shared counter (dynamic scheduling: uneven items, such as causal tiles, still
 * balance). An item is computed start to end by one thread, so as long as items write disjoint
 * outputs the result does not depend on the schedule or the thread count. With one thread nothing
 * is started and items run on the caller.
 */
public final class WorkerPool implements AutoCloseable {

    /** One work item; {@code scratch} is the calling thread's own, made once per thread and call. */
    public interface Item<S> {
        void run(int item, S scratch);
    }

    private final int threads;
    private final ForkJoinPool pool;

    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads - 1) : null;
    }

    public int threads() {
        return threads;
    }

    /** Runs items {@code 0..items-1} and returns when all are done. */
    public <S> void run(int items, Supplier<S> scratch, Item<S> item) {
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            S own = scratch.get();
            for (int t = next.getAndIncrement(); t < items; t = next.getAndIncrement()) {
                item.run(t, own);
            }
        };
        if (pool == null || items < 2) {
            worker.run();
            return;
        }
        int helpers = Math.min(threads - 1, items - 1);
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[helpers];
        for (int i = 0; i < helpers; i++) {
            tasks[i] = pool.submit(worker);
        }
        worker.run();
        for (ForkJoinTask<?> task : tasks) {
            task.join();
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
