package org.ringattention.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.function.IntConsumer;
import java.util.logging.Logger;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;

/**
 * {@link AttentionKernel} on one NVIDIA GPU: the FlashAttention-2 forward of src/main/cuda/attention.cu,
 * continued from the caller's running state, so a GPU block merges with CPU blocks exactly like any
 * other (the state stays fp32 on both sides).
 *
 * <p>One call moves the block's Q, K, V, positions, segment ids and state into pinned host memory, to
 * the device in one asynchronous copy on this kernel's stream, runs (optional bf16/fp16 conversion,)
 * tile bounds and the forward kernel, and copies the state back. A block that does not fit is split
 * ({@link SplitPolicy}) and retried; a sticky CUDA error is handed to {@link FatalCudaErrors}.
 *
 * <p>Not thread-safe: one instance per thread (it owns a stream and its buffers), as for the CPU kernel.
 * Buffers are kept between calls and grow to the largest block seen; {@link #close()} frees them.
 */
public final class GpuAttentionKernel implements AttentionKernel, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(GpuAttentionKernel.class.getName());

    /** Pinned staging is addressed through one ByteBuffer, whose positions are ints. */
    static final long MAX_STAGING_BYTES = Integer.MAX_VALUE;

    private final GpuRuntime.Device device;
    private final Precision precision;
    private final IntConsumer halt;
    private final CUstream stream = new CUstream();
    private DevicePointer arena;
    private long arenaBytes;
    private Pointer pinned;
    private long pinnedBytes;

    private GpuAttentionKernel(GpuRuntime.Device device, Precision precision, IntConsumer halt) {
        this.device = device;
        this.precision = precision;
        this.halt = halt;
        device.makeCurrent();
        GpuRuntime.check(JCudaDriver.cuStreamCreate(stream, 0), "cuStreamCreate");
    }

    /** A kernel on the GPU Spark assigned to this task (device 0 outside Spark). */
    public static GpuAttentionKernel open(Precision precision) {
        return open(GpuAssignment.deviceOrdinal(), precision);
    }

    /** A kernel on CUDA device {@code ordinal}; fails with the reason when it cannot be used. */
    public static GpuAttentionKernel open(int ordinal, Precision precision) {
        return new GpuAttentionKernel(GpuRuntime.device(ordinal), precision, Runtime.getRuntime()::halt);
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
            DeviceLayout layout = DeviceLayout.of(spec.queryHeads(), spec.kvHeads(), spec.headDim(), precision, shape,
                    block.queryRows(), block.keyRows(), segmented);
            if (layout.inputBytes() > MAX_STAGING_BYTES) {
                throw new SplitPolicy.TooLarge("the block needs " + layout.inputBytes() + " bytes of staging, over "
                        + MAX_STAGING_BYTES, null);
            }
            try {
                run(spec, shape, layout, queries, keysValues, state, block);
            } catch (CudaFailure failure) {
                if (failure.outOfMemory()) {
                    releaseBuffers();
                    throw new SplitPolicy.TooLarge("GPU " + device.ordinal() + ": " + failure.getMessage(), failure);
                }
                if (failure.sticky()) {
                    GpuRuntime.markLost(failure);
                }
                throw FatalCudaErrors.handle(failure, GpuAssignment.inSparkTask(), halt);
            }
        }, message -> LOG.info(message));
    }

    /** One block: state rows [qFrom, qTo) updated with keys [kFrom, kTo). */
    private void run(AttentionSpec spec, LaunchShape shape, DeviceLayout layout, Queries queries, KeysValues kv,
                     AttentionState state, SplitPolicy.Block b) {
        int hq = spec.queryHeads();
        int d = spec.headDim();
        int qRows = b.queryRows();
        int kRows = b.keyRows();
        int sq = queries.rows();
        boolean segmented = queries.index().segments() != null;
        ensureBuffers(layout);

        ByteBuffer host = pinned.getByteBuffer(0, layout.inputBytes()).order(ByteOrder.nativeOrder());
        int qw = spec.queryRowWidth();
        int kw = spec.kvRowWidth();
        putFloats(host, layout.q(), queries.q(), b.qFrom() * qw, qRows * qw);
        putFloats(host, layout.k(), kv.k(), b.kFrom() * kw, kRows * kw);
        putFloats(host, layout.v(), kv.v(), b.kFrom() * kw, kRows * kw);
        TokenIndex qi = queries.index();
        TokenIndex ki = kv.index();
        putInts(host, layout.qPos(), qi.positions(), b.qFrom(), qRows);
        putInts(host, layout.kPos(), ki.positions(), b.kFrom(), kRows);
        if (segmented) {
            putInts(host, layout.qSeg(), qi.segments(), b.qFrom(), qRows);
            putInts(host, layout.kSeg(), ki.segments(), b.kFrom(), kRows);
        }
        putFloats(host, layout.acc(), state.acc(), b.qFrom() * qw, qRows * qw);
        for (int h = 0; h < hq; h++) {
            // m and l are (Hq, rows): the block's rows are one run per head.
            putFloats(host, layout.m() + h * qRows * 4L, state.m(), h * sq + b.qFrom(), qRows);
            putFloats(host, layout.l() + h * qRows * 4L, state.l(), h * sq + b.qFrom(), qRows);
        }
        GpuRuntime.check(JCudaDriver.cuMemcpyHtoDAsync(arena, pinned, layout.inputBytes(), stream), "cuMemcpyHtoDAsync");

        long base = arena.address();
        if (precision != Precision.FP32) {
            long qn = (long) qRows * qw;
            long kn = (long) kRows * kw;
            convert(base + layout.q(), base + layout.q16(), qn);
            convert(base + layout.k(), base + layout.k16(), kn);
            convert(base + layout.v(), base + layout.v16(), kn);
        }
        KernelParams.Addresses a = layout.addresses(base);
        tileBounds(a.qPos(), a.qSeg(), qRows, shape.blockM(), a.qTiles());
        tileBounds(a.kPos(), a.kSeg(), kRows, shape.blockN(), a.kTiles());
        byte[] params = KernelParams.pack(a, qRows, kRows, hq, spec.kvHeads(), d, spec.scale(), spec.causal(),
                segmented, true, false);
        launch(shape.function(), shape.sharedBytes(), shape.queryTiles(qRows), hq, shape.threads(),
                Pointer.to(Pointer.to(params)));

        GpuRuntime.check(JCudaDriver.cuMemcpyDtoHAsync(pinned.withByteOffset(layout.acc()),
                arena.withByteOffset(layout.acc()), layout.stateBytes(), stream), "cuMemcpyDtoHAsync");
        GpuRuntime.check(JCudaDriver.cuStreamSynchronize(stream), "attention kernel " + shape.function());

        getFloats(host, layout.acc(), state.acc(), b.qFrom() * qw, qRows * qw);
        for (int h = 0; h < hq; h++) {
            getFloats(host, layout.m() + h * qRows * 4L, state.m(), h * sq + b.qFrom(), qRows);
            getFloats(host, layout.l() + h * qRows * 4L, state.l(), h * sq + b.qFrom(), qRows);
        }
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
                threads, 1, 1, sharedBytes, stream, params, null), "cuLaunchKernel(" + kernel + ")");
    }

    private void ensureBuffers(DeviceLayout layout) {
        if (arena == null || arenaBytes < layout.totalBytes()) {
            freeArena();
            DevicePointer p = new DevicePointer();
            GpuRuntime.check(JCudaDriver.cuMemAlloc(p, layout.totalBytes()), "cuMemAlloc(" + layout.totalBytes() + " bytes)");
            arena = p;
            arenaBytes = layout.totalBytes();
        }
        if (pinned == null || pinnedBytes < layout.inputBytes()) {
            freePinned();
            Pointer p = new Pointer();
            GpuRuntime.check(JCudaDriver.cuMemAllocHost(p, layout.inputBytes()),
                    "cuMemAllocHost(" + layout.inputBytes() + " bytes)");
            pinned = p;
            pinnedBytes = layout.inputBytes();
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
        releaseBuffers();
        GpuRuntime.check(JCudaDriver.cuStreamDestroy(stream), "cuStreamDestroy");
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
