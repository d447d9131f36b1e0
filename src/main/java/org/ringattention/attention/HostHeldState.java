package org.ringattention.attention;

/** A {@link HeldState} on the heap: the CPU kernels' (see {@link AttentionKernel#hold}). */
record HostHeldState(AttentionSpec spec, Queries queries, AttentionState state) implements HeldState {

    @Override
    public int rows() {
        return queries.rows();
    }

    @Override
    public boolean onDevice() {
        return false;
    }

    @Override
    public void close() {
        // Heap memory: the collector takes it.
    }
}
