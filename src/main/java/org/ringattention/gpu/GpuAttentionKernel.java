package org.ringattention.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link AttentionKernel} on one NVIDIA GPU: the FlashAttention-2 forward of src/main/cuda/attention.cu,
 * continued from the caller's running state, so a GPU block merges with CPU blocks exactly like any
 * other (the state stays fp32 on both sides).
 *
 * <p>One call puts the block's queries and state on the device once, then streams the keys through in
 * chunks ({@link KeyChunks}): through pinned host memory, on a copy stream, the next chunk travelling
 * while the current one is computed on a compute stream (optional bf16/fp16 conversion, tile bounds,
 * the forward kernel). The state comes back after the last chunk. A block that does not fit is split
 * ({@link SplitPolicy}) and retried; after a sticky CUDA error the runtime is marked lost and the
 * {@link CudaFailure} thrown: the backend layer decides what the caller does next.
 *
 * <p>Not thread-safe: one instance per thread (it owns two streams and its buffers), as for the CPU
 * kernel. Buffers are kept between calls and grow to the largest block seen; {@link #close()} frees them.
 */
public final class GpuAttentionKernel implements AttentionKernel, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GpuAttentionKernel.class);

    /** Pinned staging is addressed through one ByteBuffer, whose positions are ints. */
    static final long MAX_STAGING_BYTES = Integer.MAX_VALUE;

    private final GpuRuntime.Device device;
    private final Precision precision;
    private final int chunkKeys;
    private final CUstream copy = new CUstream();
    private final CUstream compute = new CUstream();
    private final CUevent residentReady = new CUevent();
    private final CUevent[] slotReady = new CUevent[DeviceLayout.SLOTS];
    private final CUevent[] slotFree = new CUevent[DeviceLayout.SLOTS];
    private DevicePointer arena;
    private long arenaBytes;
    private Pointer pinned;
    private long pinnedBytes;

    private GpuAttentionKernel(GpuRuntime.Device device, Precision precision, int chunkKeys) {
        this.device = device;
        this.precision = precision;
        this.chunkKeys = chunkKeys;
        device.makeCurrent();
        GpuRuntime.check(JCudaDriver.cuStreamCreate(copy, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        GpuRuntime.check(JCudaDriver.cuStreamCreate(compute, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        createEvent(residentReady);
        for (int i = 0; i < DeviceLayout.SLOTS; i++) {
            slotReady[i] = createEvent(new CUevent());
            slotFree[i] = createEvent(new CUevent());
        }
    }

    private static CUevent createEvent(CUevent event) {
        GpuRuntime.check(JCudaDriver.cuEventCreate(event, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        return event;
    }

    /** A kernel on CUDA device {@code ordinal}; fails with the reason when it cannot be used. */
    public static GpuAttentionKernel open(int ordinal, Precision precision) {
        return open(ordinal, precision, KeyChunks.MAX_KEYS);
    }

    /**
     * With keys streamed in chunks of at most {@code chunkKeys}: small chunks let the self-check and tests
     * reach chunk boundaries and the slot reuse with small problems.
     */
    public static GpuAttentionKernel open(int ordinal, Precision precision, int chunkKeys) {
        KeyChunks.of(1, chunkKeys);
        return new GpuAttentionKernel(GpuRuntime.device(ordinal), precision, chunkKeys);
    }

    @Override
    public String name() {
        return "gpu-" + precision.name().toLowerCase(Locale.ROOT);
    }

    /** The GPU this kernel runs on. */
    public GpuRuntime.Device device() {
        return device;
    }

    @Override
    public void accumulate(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState state) {
        if (!AttentionKernel.checkArguments(spec, queries, keysValues, state)) {
            return;
        }
        LaunchShape shape = LaunchShape.of(precision, spec.headDim());
        device.makeCurrent();
        boolean segmented = queries.index().segments() != null;
        SplitPolicy.runSplitting(new SplitPolicy.Block(0, queries.rows(), 0, keysValues.rows()), shape, block -> {
            KeyChunks chunks = KeyChunks.of(block.keyRows(), chunkKeys);
            DeviceLayout layout = DeviceLayout.of(spec.queryHeads(), spec.kvHeads(), spec.headDim(), precision, shape,
                    block.queryRows(), chunks.size(), segmented);
            if (layout.pinnedBytes() > MAX_STAGING_BYTES) {
                throw new SplitPolicy.TooLarge("the block needs " + layout.pinnedBytes() + " bytes of staging, over "
                        + MAX_STAGING_BYTES, null);
            }
            try {
                run(spec, shape, layout, chunks, queries, keysValues, state, block);
            } catch (CudaFailure failure) {
                if (failure.outOfMemory()) {
                    // Chunks already queued must finish before their buffers go; the host state is untouched
                    // until a block completes, so the halves start from it again.
                    JCudaDriver.cuStreamSynchronize(compute);
                    JCudaDriver.cuStreamSynchronize(copy);
                    releaseBuffers();
                    throw new SplitPolicy.TooLarge("GPU " + device.ordinal() + ": " + failure.getMessage(), failure);
                }
                if (failure.sticky()) {
                    GpuRuntime.markLost(failure);
                }
                throw failure;
            }
        }, LOG::info);
    }

    /**
     * One block: state rows [qFrom, qTo) updated with keys [kFrom, kTo). The query side and state go in
     * once on the copy stream; key chunks alternate between two slots, chunk c+1 filled and copied on
     * the copy stream while chunk c is computed on the compute stream (events order the two); the state
     * comes back after the last chunk.
     */
    private void run(AttentionSpec spec, LaunchShape shape, DeviceLayout layout, KeyChunks chunks, Queries queries,
                     KeysValues kv, AttentionState state, SplitPolicy.Block b) {
        int hq = spec.queryHeads();
        int d = spec.headDim();
        int qRows = b.queryRows();
        int sq = queries.rows();
        int qw = spec.queryRowWidth();
        int kw = spec.kvRowWidth();
        TokenIndex qi = queries.index();
        TokenIndex ki = kv.index();
        boolean segmented = qi.segments() != null;
        ensureBuffers(layout);
        ByteBuffer host = pinned.getByteBuffer(0, layout.pinnedBytes()).order(ByteOrder.nativeOrder());
        long base = arena.address();

        putFloats(host, layout.q(), queries.q(), b.qFrom() * qw, qRows * qw);
        putInts(host, layout.qPos(), qi.positions(), b.qFrom(), qRows);
        if (segmented) {
            putInts(host, layout.qSeg(), qi.segments(), b.qFrom(), qRows);
        }
        putFloats(host, layout.acc(), state.acc(), b.qFrom() * qw, qRows * qw);
        for (int h = 0; h < hq; h++) {
            // m and l are (Hq, rows): the block's rows are one run per head.
            putFloats(host, layout.m() + h * qRows * 4L, state.m(), h * sq + b.qFrom(), qRows);
            putFloats(host, layout.l() + h * qRows * 4L, state.l(), h * sq + b.qFrom(), qRows);
        }
        copyIn(0, 0, layout.residentInputBytes(), residentReady);
        GpuRuntime.check(JCudaDriver.cuStreamWaitEvent(compute, residentReady, 0), "cuStreamWaitEvent");
        KernelParams.Addresses first = layout.addresses(base, 0);
        if (precision != Precision.FP32) {
            convert(base + layout.q(), first.q(), (long) qRows * qw);
        }
        tileBounds(first.qPos(), first.qSeg(), qRows, shape.blockM(), first.qTiles());

        for (int c = 0; c < chunks.count(); c++) {
            int slot = c % DeviceLayout.SLOTS;
            int kFrom = b.kFrom() + chunks.from(c);
            int kRows = chunks.rows(c);
            if (c >= DeviceLayout.SLOTS) {
                // The slot's pinned and device buffers still hold chunk c - 2 until its kernel is done.
                GpuRuntime.check(JCudaDriver.cuEventSynchronize(slotFree[slot]), "chunk " + (c - 2) + " of " + shape.function());
            }
            long p = layout.pinnedSlot(slot);
            putFloats(host, p + layout.k(), kv.k(), kFrom * kw, kRows * kw);
            putFloats(host, p + layout.v(), kv.v(), kFrom * kw, kRows * kw);
            putInts(host, p + layout.kPos(), ki.positions(), kFrom, kRows);
            if (segmented) {
                putInts(host, p + layout.kSeg(), ki.segments(), kFrom, kRows);
            }
            copyIn(p, layout.deviceSlot(slot), layout.slotInputBytes(), slotReady[slot]);
            GpuRuntime.check(JCudaDriver.cuStreamWaitEvent(compute, slotReady[slot], 0), "cuStreamWaitEvent");

            KernelParams.Addresses a = layout.addresses(base, slot);
            if (precision != Precision.FP32) {
                long s = base + layout.deviceSlot(slot);
                convert(s + layout.k(), a.k(), (long) kRows * kw);
                convert(s + layout.v(), a.v(), (long) kRows * kw);
            }
            tileBounds(a.kPos(), a.kSeg(), kRows, shape.blockN(), a.kTiles());
            byte[] params = KernelParams.pack(a, qRows, kRows, hq, spec.kvHeads(), d, spec.scale(), spec.causal(),
                    segmented, true, false);
            launch(shape.function(), shape.sharedBytes(), shape.queryTiles(qRows), hq, shape.threads(),
                    Pointer.to(Pointer.to(params)));
            GpuRuntime.check(JCudaDriver.cuEventRecord(slotFree[slot], compute), "cuEventRecord");
        }

        GpuRuntime.check(JCudaDriver.cuMemcpyDtoHAsync(pinned.withByteOffset(layout.acc()),
                arena.withByteOffset(layout.acc()), layout.stateBytes(), compute), "cuMemcpyDtoHAsync");
        GpuRuntime.check(JCudaDriver.cuStreamSynchronize(compute), "attention kernel " + shape.function());
        getFloats(host, layout.acc(), state.acc(), b.qFrom() * qw, qRows * qw);
        for (int h = 0; h < hq; h++) {
            getFloats(host, layout.m() + h * qRows * 4L, state.m(), h * sq + b.qFrom(), qRows);
            getFloats(host, layout.l() + h * qRows * 4L, state.l(), h * sq + b.qFrom(), qRows);
        }
    }

    /**
     * The attention each key receives, {@code mass[h][j] = sum_i exp(s_ij - LSE_i)} over visible pairs, as
     * {@code CpuAttentionKernel.attentionMass} defines it, by the {@code ra_mass_f32} kernels: Q, K, the
     * positions and segments and LSE go to the device in plain synchronous copies (centrality's documents
     * are small next to attention's sequences), the result comes back as {@code (Hq, keys)}.
     */
    public float[] attentionMass(AttentionSpec spec, Queries queries, float[] lse, KeysValues keysValues) {
        int sq = queries.rows();
        int sk = keysValues.rows();
        int hq = spec.queryHeads();
        if (lse.length != hq * sq) {
            throw new IllegalArgumentException("LSE has " + lse.length + " values; " + sq + " rows of " + hq
                    + " heads need " + hq * sq);
        }
        if (queries.q().length != (long) sq * spec.queryRowWidth()
                || keysValues.k().length != (long) sk * spec.kvRowWidth()) {
            throw new IllegalArgumentException("Q has " + queries.q().length + " and K " + keysValues.k().length
                    + " values; " + sq + " and " + sk + " tokens of " + spec + " do not match");
        }
        float[] mass = new float[hq * sk];
        if (sq == 0 || sk == 0) {
            return mass;
        }
        LaunchShape shape = LaunchShape.mass(spec.headDim());
        boolean segmented = queries.index().segments() != null && keysValues.index().segments() != null;
        device.makeCurrent();
        long[] sizes = {queries.q().length * 4L, keysValues.k().length * 4L, sq * 4L, sk * 4L,
            segmented ? sq * 4L : 0, segmented ? sk * 4L : 0, lse.length * 4L, mass.length * 4L};
        long[] at = new long[sizes.length];
        long total = 0;
        for (int i = 0; i < sizes.length; i++) {
            at[i] = total;
            total += (sizes[i] + DeviceLayout.ALIGN - 1) / DeviceLayout.ALIGN * DeviceLayout.ALIGN;
        }
        DevicePointer buffer = new DevicePointer();
        try {
            GpuRuntime.check(JCudaDriver.cuMemAlloc(buffer, total), "cuMemAlloc(" + total + " bytes)");
            try {
                copyTo(buffer, at[0], Pointer.to(queries.q()), sizes[0]);
                copyTo(buffer, at[1], Pointer.to(keysValues.k()), sizes[1]);
                copyTo(buffer, at[2], Pointer.to(queries.index().positions()), sizes[2]);
                copyTo(buffer, at[3], Pointer.to(keysValues.index().positions()), sizes[3]);
                if (segmented) {
                    copyTo(buffer, at[4], Pointer.to(queries.index().segments()), sizes[4]);
                    copyTo(buffer, at[5], Pointer.to(keysValues.index().segments()), sizes[5]);
                }
                copyTo(buffer, at[6], Pointer.to(lse), sizes[6]);
                long b = buffer.address();
                KernelParams.Addresses a = new KernelParams.Addresses(b + at[0], b + at[1], 0, b + at[2], b + at[3],
                        segmented ? b + at[4] : 0, segmented ? b + at[5] : 0, 0, 0, b + at[7], b + at[6], 0);
                byte[] params = KernelParams.pack(a, sq, sk, hq, spec.kvHeads(), spec.headDim(), spec.scale(),
                        spec.causal(), segmented, false, false);
                // On the legacy default stream, like the synchronous copies around it: a copy from pageable
                // memory may return before its DMA lands, and only that stream is ordered after it.
                GpuRuntime.check(JCudaDriver.cuLaunchKernel(device.function(shape.function(), shape.sharedBytes()),
                        shape.queryTiles(sk), hq, 1, shape.threads(), 1, 1, shape.sharedBytes(), null,
                        Pointer.to(Pointer.to(params)), null), "cuLaunchKernel(" + shape.function() + ")");
                GpuRuntime.check(JCudaDriver.cuMemcpyDtoH(Pointer.to(mass), buffer.withByteOffset(at[7]), sizes[7]),
                        "attention mass kernel " + shape.function());
            } finally {
                GpuRuntime.check(JCudaDriver.cuMemFree(buffer), "cuMemFree");
            }
        } catch (CudaFailure failure) {
            if (failure.sticky()) {
                GpuRuntime.markLost(failure);
            }
            throw failure;
        }
        return mass;
    }

    private static void copyTo(CUdeviceptr buffer, long offset, Pointer from, long bytes) {
        GpuRuntime.check(JCudaDriver.cuMemcpyHtoD(buffer.withByteOffset(offset), from, bytes), "cuMemcpyHtoD(" + bytes + " bytes)");
    }

    /** Pinned bytes [from, from + bytes) to the device at {@code to}, on the copy stream; {@code done} marks the end. */
    private void copyIn(long from, long to, long bytes, CUevent done) {
        GpuRuntime.check(JCudaDriver.cuMemcpyHtoDAsync(arena.withByteOffset(to), pinned.withByteOffset(from), bytes, copy),
                "cuMemcpyHtoDAsync(" + bytes + " bytes)");
        GpuRuntime.check(JCudaDriver.cuEventRecord(done, copy), "cuEventRecord");
    }

    private void convert(long from, long to, long n) {
        String kernel = precision == Precision.BF16 ? "ra_f32_to_bf16" : "ra_f32_to_f16";
        int blocks = (int) Math.max(1, Math.min(4096, (n + 255) / 256));
        launch(kernel, 0, blocks, 1, 256, Pointer.to(Pointer.to(new long[] {from}), Pointer.to(new long[] {to}),
                Pointer.to(new long[] {n})));
    }

    private void tileBounds(long positions, long segments, int rows, int tile, long out) {
        launch("ra_tile_bounds", 0, (rows + tile - 1) / tile, 1, 32, Pointer.to(Pointer.to(new long[] {positions}),
                Pointer.to(new long[] {segments}), Pointer.to(new int[] {rows}), Pointer.to(new int[] {tile}),
                Pointer.to(new long[] {out})));
    }

    private void launch(String kernel, int sharedBytes, int gridX, int gridY, int threads, Pointer params) {
        GpuRuntime.check(JCudaDriver.cuLaunchKernel(device.function(kernel, sharedBytes), gridX, gridY, 1,
                threads, 1, 1, sharedBytes, compute, params, null), "cuLaunchKernel(" + kernel + ")");
    }

    private void ensureBuffers(DeviceLayout layout) {
        if (arena == null || arenaBytes < layout.totalBytes()) {
            freeArena();
            DevicePointer p = new DevicePointer();
            GpuRuntime.check(JCudaDriver.cuMemAlloc(p, layout.totalBytes()), "cuMemAlloc(" + layout.totalBytes() + " bytes)");
            arena = p;
            arenaBytes = layout.totalBytes();
        }
        if (pinned == null || pinnedBytes < layout.pinnedBytes()) {
            freePinned();
            Pointer p = new Pointer();
            GpuRuntime.check(JCudaDriver.cuMemAllocHost(p, layout.pinnedBytes()),
                    "cuMemAllocHost(" + layout.pinnedBytes() + " bytes)");
            pinned = p;
            pinnedBytes = layout.pinnedBytes();
        }
    }

    private void releaseBuffers() {
        freeArena();
        freePinned();
    }

    private void freeArena() {
        if (arena != null) {
            GpuRuntime.check(JCudaDriver.cuMemFree(arena), "cuMemFree");
            arena = null;
            arenaBytes = 0;
        }
    }

    private void freePinned() {
        if (pinned != null) {
            GpuRuntime.check(JCudaDriver.cuMemFreeHost(pinned), "cuMemFreeHost");
            pinned = null;
            pinnedBytes = 0;
        }
    }

    @Override
    public void close() {
        device.makeCurrent();
        GpuRuntime.check(JCudaDriver.cuStreamSynchronize(compute), "cuStreamSynchronize");
        GpuRuntime.check(JCudaDriver.cuStreamSynchronize(copy), "cuStreamSynchronize");
        releaseBuffers();
        JCudaDriver.cuEventDestroy(residentReady);
        for (int i = 0; i < DeviceLayout.SLOTS; i++) {
            JCudaDriver.cuEventDestroy(slotReady[i]);
            JCudaDriver.cuEventDestroy(slotFree[i]);
        }
        GpuRuntime.check(JCudaDriver.cuStreamDestroy(copy), "cuStreamDestroy");
        GpuRuntime.check(JCudaDriver.cuStreamDestroy(compute), "cuStreamDestroy");
    }

    private static void putFloats(ByteBuffer host, long offset, float[] src, int from, int count) {
        host.position(Math.toIntExact(offset));
        host.asFloatBuffer().put(src, from, count);
    }

    private static void getFloats(ByteBuffer host, long offset, float[] dst, int from, int count) {
        host.position(Math.toIntExact(offset));
        host.asFloatBuffer().get(dst, from, count);
    }

    private static void putInts(ByteBuffer host, long offset, int[] src, int from, int count) {
        host.position(Math.toIntExact(offset));
        host.asIntBuffer().put(src, from, count);
    }

    /** A device pointer whose address can be written into the kernel's argument struct. */
    private static final class DevicePointer extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }
}
