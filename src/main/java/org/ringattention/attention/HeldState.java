package org.ringattention.attention;

/**
 * Query rows and their running state kept by a kernel between calls, where that kernel computes: in GPU
 * memory for a GPU kernel, on the heap for the CPU's. A ring position holds its queries and state this way
 * across its ring steps (Ring Attention, arXiv 2310.01889, section 3: queries stay, key/value blocks
 * travel), so a GPU does not copy them in and out at every step. Made by
 * {@link AttentionKernel#hold}, used through that kernel family's {@code accumulate} and {@code state},
 * owned by one thread at a time; {@link #close} frees what it holds.
 */
public interface HeldState extends AutoCloseable {

    AttentionSpec spec();

    /** Query rows held. */
    int rows();

    /** Whether the state lives in device memory, lost with the device (false: on the heap). */
    boolean onDevice();

    @Override
    void close();
}
