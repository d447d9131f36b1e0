package org.ringattention.gpu;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;

/**
 * Device memory of one GPU, kept for reuse instead of freed (a caching allocator, as PyTorch's CUDA
 * allocator): a block given back waits for the next request of about its size, so a ring position's held
 * state, a kernel's key slots, an encoder's pass buffers and a mass call's buffers cost a {@code cuMemAlloc}
 * only while the process warms up, and never a {@code cuMemFree}, which synchronizes the whole device.
 * Idle blocks are freed only when an allocation fails for want of memory, and the allocation is then
 * tried once more.
 *
 * <p>Shared by every thread using the GPU (one per {@link GpuRuntime.Device}); a block is used by one
 * thread at a time and must have no device work pending when it is given back.
 */
public final class DeviceMemory {

    /** Requests are rounded up to this, so that blocks of nearly equal size are interchangeable. */
    static final long GRANULE = 1 << 20;

    /** A block of device memory; {@code bytes} may exceed what was asked for. */
    public record Block(long address, long bytes) {
    }

    private final CudaApi api;
    /** Idle blocks by size. */
    private final TreeMap<Long, Deque<Block>> idle = new TreeMap<>();

    DeviceMemory(CudaApi api) {
        this.api = api;
    }

    /**
     * A block of at least {@code bytes}: an idle one of at most twice that size, else a new allocation.
     * Throws the {@link CudaFailure} of the allocation when even freeing every idle block leaves too little.
     */
    public synchronized Block take(long bytes) {
        long size = (Math.max(bytes, 1) + GRANULE - 1) / GRANULE * GRANULE;
        Map.Entry<Long, Deque<Block>> fit = idle.ceilingEntry(size);
        if (fit != null && fit.getKey() <= 2 * size) {
            Block b = fit.getValue().pop();
            if (fit.getValue().isEmpty()) {
                idle.remove(fit.getKey());
            }
            return b;
        }
        try {
            return new Block(api.alloc(size), size);
        } catch (CudaFailure e) {
            if (!e.outOfMemory() || idle.isEmpty()) {
                throw e;
            }
            releaseIdle();
            return new Block(api.alloc(size), size);
        }
    }

    /** Gives {@code block} back for reuse. */
    public synchronized void give(Block block) {
        idle.computeIfAbsent(block.bytes(), k -> new ArrayDeque<>()).push(block);
    }

    /** Frees every idle block. */
    synchronized void releaseIdle() {
        for (Deque<Block> blocks : idle.values()) {
            for (Block b : blocks) {
                api.free(b.address());
            }
        }
        idle.clear();
    }
}
