package org.ringattention.gpu;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.function.Supplier;
import org.ringattention.attention.AttentionKernel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.AttentionState;
import org.ringattention.attention.HeldState;
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
 * <p>Queries and their state are held in device memory ({@link #hold}): copied in once, then any number of
 * {@link #accumulate(HeldState, KeysValues)} calls stream keys past them, and {@link #state} brings the
 * state back. A ring position holds its queries this way across all its ring steps, so a step copies only
 * its key/value shard in. Keys go through in chunks ({@link KeyChunks}) via pinned memory on a copy stream,
 * chunk c+1 travelling while chunk c is computed on a compute stream (optional bf16/fp16 conversion, tile
 * bounds, the forward kernel). The one-call {@link #accumulate(AttentionSpec, Queries, KeysValues,
 * AttentionState)} is hold, fold, bring back.
 *
 * <p>Device memory comes from the GPU's {@link DeviceMemory} and pinned memory is kept, so after warm-up
 * no call allocates or frees. When a side does not fit it is split ({@link SplitPolicy}); after a sticky
 * CUDA error the runtime is marked lost and the {@link CudaFailure} thrown: the backend layer decides what
 * the caller does next.
 *
 * <p>Not thread-safe: one instance per thread (it owns two streams and its staging), as for the CPU
 * kernel. A held state may move between instances on the same GPU (a ring position's next step may run
 * in another task), since each call ends with its work complete.
 */
public final class GpuAttentionKernel implements AttentionKernel, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GpuAttentionKernel.class);

    /** Pinned staging is addressed through one ByteBuffer, whose positions are ints. */
    static final long MAX_STAGING_BYTES = Integer.MAX_VALUE;

    private static final int NEG_INF_BITS = Float.floatToRawIntBits(Float.NEGATIVE_INFINITY);

    private final GpuRuntime.Device device;
    private final CudaApi api;
    private final Precision precision;
    private final int chunkKeys;
    private final CudaApi.Stream copy;
    private final CudaApi.Stream compute;
    /** Recorded on the copy stream after queries (and a state) were copied from the host area. */
    private final CudaApi.Event hostAreaRead;
    private final CudaApi.Event queriesIn;
    private final CudaApi.Event queriesConverted;
    private final CudaApi.Event[] slotReady = new CudaApi.Event[DeviceLayout.SLOTS];
    private final CudaApi.Event[] slotFree = new CudaApi.Event[DeviceLayout.SLOTS];
    /** Copies from the host area may be in flight (until a compute-stream synchronization, which follows them). */
    private boolean hostAreaBusy;
    /** Work may be queued on the streams (until the end-of-call synchronization). */
    private boolean queued;
    private DeviceMemory.Block slots;
    /** Bytes from one slot to the next: in the device block, and in pinned memory (the copied part only). */
    private long slotDevice;
    private long slotPinned;
    private CudaApi.Pinned pinned;
    /** Pinned memory: key slots' copied parts in [0, slotArea), the host area for queries and states after. */
    private long slotArea;
    private long hostArea;

    private GpuAttentionKernel(GpuRuntime.Device device, Precision precision, int chunkKeys) {
        this.device = device;
        this.api = device.api();
        this.precision = precision;
        this.chunkKeys = chunkKeys;
        device.makeCurrent();
        copy = api.createStream();
        compute = api.createStream();
        hostAreaRead = api.createEvent();
        queriesIn = api.createEvent();
        queriesConverted = api.createEvent();
        for (int i = 0; i < DeviceLayout.SLOTS; i++) {
            slotReady[i] = api.createEvent();
            slotFree[i] = api.createEvent();
        }
    }

    /** A kernel on CUDA device {@code ordinal}; fails with the reason when it cannot be used. */
    public static GpuAttentionKernel open(int ordinal, Precision precision) {
        return open(GpuRuntime.device(ordinal), precision, KeyChunks.MAX_KEYS);
    }

    /**
     * With keys streamed in chunks of at most {@code chunkKeys}: small chunks let the self-check and tests
     * reach chunk boundaries and the slot reuse with small problems.
     */
    public static GpuAttentionKernel open(int ordinal, Precision precision, int chunkKeys) {
        return open(GpuRuntime.device(ordinal), precision, chunkKeys);
    }

    /** On {@code device}, however it is reached (a GPU, or a device that computes on the CPU in tests). */
    public static GpuAttentionKernel open(GpuRuntime.Device device, Precision precision) {
        return open(device, precision, KeyChunks.MAX_KEYS);
    }

    /** On {@code device}, keys streamed in chunks of at most {@code chunkKeys}. */
    public static GpuAttentionKernel open(GpuRuntime.Device device, Precision precision, int chunkKeys) {
        KeyChunks.of(1, chunkKeys);
        return new GpuAttentionKernel(device, precision, chunkKeys);
    }

    @Override
    public String name() {
        return "gpu-" + precision.name().toLowerCase(Locale.ROOT);
    }

    /** The GPU this kernel runs on. */
    public GpuRuntime.Device device() {
        return device;
    }

    /**
     * Query rows {@code rows} of a state and their queries in one device block laid out as {@code layout}
     * (no block for no rows).
     */
    private static final class Held implements HeldState {
        final GpuRuntime.Device device;
        final AttentionSpec spec;
        final LaunchShape shape;
        final boolean segmented;
        final SplitPolicy.Rows rows;
        final DeviceLayout.QuerySide layout;
        final DeviceMemory.Block block;
        private boolean closed;

        Held(GpuRuntime.Device device, AttentionSpec spec, LaunchShape shape, boolean segmented, SplitPolicy.Rows rows,
             DeviceLayout.QuerySide layout, DeviceMemory.Block block) {
            this.device = device;
            this.spec = spec;
            this.shape = shape;
            this.segmented = segmented;
            this.rows = rows;
            this.layout = layout;
            this.block = block;
        }

        long base() {
            return block.address();
        }

        @Override
        public AttentionSpec spec() {
            return spec;
        }

        @Override
        public int rows() {
            return rows == null ? 0 : rows.count();
        }

        @Override
        public boolean onDevice() {
            return true;
        }

        /** Gives the block back to the GPU's pool: every call that used it ended with its work done. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (block != null) {
                    device.memory().give(block);
                }
            }
        }
    }

    @Override
    public boolean continues(HeldState held) {
        return held instanceof Held h ? h.device == device && !h.closed : AttentionKernel.super.continues(held);
    }

    /**
     * The queries and state on this GPU, ready for {@link #accumulate(HeldState, KeysValues)}. Queries whose
     * block does not fit in GPU memory are held on the host instead: each call then copies them and the
     * state in and out, in parts that fit ({@link SplitPolicy}), as the one-call accumulate does.
     */
    @Override
    public HeldState hold(AttentionSpec spec, Queries queries, AttentionState state) {
        AttentionKernel.checkState(spec, queries, state);
        device.makeCurrent();
        try {
            return run(() -> {
                Held held = enqueueHold(spec, queries, state,
                        queries.rows() == 0 ? null : new SplitPolicy.Rows(0, queries.rows()));
                finished("holding " + queries.rows() + " query rows");
                return held;
            });
        } catch (SplitPolicy.TooLarge e) {
            LOG.info("{}: {} query rows are held on the host and copied in at every call", e.getMessage(), queries.rows());
            return AttentionKernel.super.hold(spec, queries, state);
        }
    }

    @Override
    public void accumulate(HeldState held, KeysValues keysValues) {
        if (!(held instanceof Held)) {
            AttentionKernel.super.accumulate(held, keysValues);
            return;
        }
        Held h = mine(held);
        keysValues.check(h.spec, h.segmented);
        if (h.rows() == 0 || keysValues.rows() == 0) {
            return;
        }
        device.makeCurrent();
        run(() -> {
            enqueueFold(h, keysValues);
            finished("attention kernel " + h.shape.function());
            return null;
        });
    }

    @Override
    public AttentionState state(HeldState held) {
        if (!(held instanceof Held)) {
            return AttentionKernel.super.state(held);
        }
        Held h = mine(held);
        AttentionState out = AttentionState.empty(h.spec, h.rows());
        if (h.rows() == 0) {
            return out;
        }
        device.makeCurrent();
        run(() -> {
            download(h, out);
            return null;
        });
        return out;
    }

    /**
     * Hold, fold, bring back, for rows that fit on the device at once: query rows that do not are done in
     * parts, one after the other ({@link SplitPolicy}), each holding only its own rows.
     */
    @Override
    public void accumulate(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState state) {
        if (!AttentionKernel.checkArguments(spec, queries, keysValues, state)) {
            return;
        }
        device.makeCurrent();
        LaunchShape shape = LaunchShape.serving(precision, spec.headDim());
        SplitPolicy.runSplitting(new SplitPolicy.Rows(0, queries.rows()), shape.blockM(), rows -> {
            Held h = run(() -> enqueueHold(spec, queries, state, rows));
            try {
                run(() -> {
                    enqueueFold(h, keysValues);
                    download(h, state);
                    return null;
                });
            } finally {
                h.close();
            }
        }, LOG::info);
    }

    private Held mine(HeldState held) {
        if (!continues(held)) {
            throw new IllegalArgumentException("the state is not held on " + device.name() + " (GPU " + device.ordinal()
                    + ") or was closed; hold it on this GPU first");
        }
        return (Held) held;
    }

    /**
     * Runs {@code work}. When it fails, the work it queued is waited for first, so that no buffer the caller
     * then releases is still in use; a sticky CUDA error marks the runtime lost (every driver call of this
     * class may raise one), and then the wait fails too and is recorded with it.
     */
    private <T> T run(Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException failure) {
            if (failure instanceof CudaFailure c && c.sticky()) {
                GpuRuntime.markLost(c);
            }
            try {
                settle();
            } catch (CudaFailure again) {
                failure.addSuppressed(again);
            }
            throw failure;
        }
    }

    /**
     * Rows {@code rows} of the queries and {@code state} copied into a block of their own: positions,
     * segments and fp32 Q in one copy, converted on the device for 16-bit kernels; an empty state is written
     * on the device, a continued one copied in after Q's conversion freed acc's space. Nothing is waited
     * for. Throws {@link SplitPolicy.TooLarge} for the query side when the block or its staging does not fit.
     */
    private Held enqueueHold(AttentionSpec spec, Queries queries, AttentionState state, SplitPolicy.Rows rows) {
        LaunchShape shape = LaunchShape.serving(precision, spec.headDim());
        boolean segmented = queries.index().segments() != null;
        if (rows == null) {
            return new Held(device, spec, shape, segmented, null, null, null);
        }
        int hq = spec.queryHeads();
        int qw = spec.queryRowWidth();
        int n = rows.count();
        boolean empty = isEmpty(state, rows);
        DeviceLayout.QuerySide qs = DeviceLayout.querySide(hq, spec.headDim(), shape, n, segmented);
        long staging = qs.inputBytes() + (empty ? 0 : qs.stateBytes());
        if (staging > MAX_STAGING_BYTES) {
            throw new SplitPolicy.TooLarge(SplitPolicy.Side.QUERIES, n + " query rows need " + staging
                    + " bytes of staging, over " + MAX_STAGING_BYTES, null);
        }
        DeviceMemory.Block block = take(qs.totalBytes(), SplitPolicy.Side.QUERIES);
        try {
            // Room for the state's way back too, so that bringing it home allocates nothing.
            ensurePinned(slotArea, Math.max(staging, qs.stateBytes()));
            waitForHostArea();
            queued = true;
            ByteBuffer host = pinned.bytes();
            long at = slotArea;
            TokenIndex index = queries.index();
            putInts(host, at + qs.qPos(), index.positions(), rows.from(), n);
            if (segmented) {
                putInts(host, at + qs.qSeg(), index.segments(), rows.from(), n);
            }
            putFloats(host, at + qs.qLanding(), queries.q(), rows.from() * qw, n * qw);
            long base = block.address();
            api.copyToDevice(base, pinned, at, qs.inputBytes(), copy);
            api.record(queriesIn, copy);
            api.await(compute, queriesIn);
            if (qs.q16() != DeviceLayout.NONE) {
                convert(shape.precision(), base + qs.qLanding(), base + qs.q16(), (long) n * qw);
            }
            tileBounds(base + qs.qPos(), segmented ? base + qs.qSeg() : 0, n, shape.blockM(), base + qs.qTiles());
            if (empty) {
                api.fill32(base + qs.acc(), 0, (long) n * qw, compute);
                api.fill32(base + qs.m(), NEG_INF_BITS, (long) hq * n, compute);
                api.fill32(base + qs.l(), 0, (long) hq * n, compute);
            } else {
                long s = at + qs.inputBytes();
                putFloats(host, s, state.acc(), rows.from() * qw, n * qw);
                for (int h = 0; h < hq; h++) {
                    // m and l are (Hq, rows): the held rows are one run per head.
                    putFloats(host, s + qs.m() - qs.acc() + h * n * 4L, state.m(), h * state.rows() + rows.from(), n);
                    putFloats(host, s + qs.l() - qs.acc() + h * n * 4L, state.l(), h * state.rows() + rows.from(), n);
                }
                // For 16-bit kernels Q arrived in acc's space: the state may land there once Q is converted.
                api.record(queriesConverted, compute);
                api.await(copy, queriesConverted);
                api.copyToDevice(base + qs.acc(), pinned, s, qs.stateBytes(), copy);
                api.record(queriesIn, copy);
                api.await(compute, queriesIn);
            }
            api.record(hostAreaRead, copy);
            hostAreaBusy = true;
            return new Held(device, spec, shape, segmented, rows, qs, block);
        } catch (RuntimeException e) {
            settle();
            device.memory().give(block);
            throw e;
        }
    }

    /** Whether {@code rows} of the state have seen no key (l = 0 everywhere; m = -inf and acc = 0 then follow). */
    private static boolean isEmpty(AttentionState state, SplitPolicy.Rows rows) {
        for (int h = 0; h < state.spec().queryHeads(); h++) {
            for (int i = rows.from(); i < rows.to(); i++) {
                if (state.l()[h * state.rows() + i] != 0f) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Keys in chunks through the two slots into the held rows: chunk c+1 is filled and copied on the copy
     * stream while chunk c is computed on the compute stream (events order the two). Each chunk is laid out
     * for its own rows inside its slot, so a short last chunk copies only its bytes. Ends with work queued.
     */
    private void enqueueFold(Held h, KeysValues kv) {
        AttentionSpec spec = h.spec;
        int size = slotsFor(h, Math.min(kv.rows(), chunkKeys));
        queued = true;
        // One chunk of all the keys, or chunks of a whole number of key tiles.
        KeyChunks chunks = size == kv.rows() ? new KeyChunks(size, size) : KeyChunks.of(kv.rows(), size);
        int kw = spec.kvRowWidth();
        TokenIndex ki = kv.index();
        ByteBuffer host = pinned.bytes();
        for (int c = 0; c < chunks.count(); c++) {
            int slot = c % DeviceLayout.SLOTS;
            int kFrom = chunks.from(c);
            int kRows = chunks.rows(c);
            DeviceLayout.KeySide ks = DeviceLayout.keySide(spec.kvHeads(), spec.headDim(), h.shape, kRows, h.segmented);
            if (c >= DeviceLayout.SLOTS) {
                // The slot's pinned and device buffers still hold chunk c - 2 until its kernels are done.
                api.synchronize(slotFree[slot], "chunk " + (c - 2) + " of " + h.shape.function());
            }
            long p = slot * slotPinned;
            putFloats(host, p + ks.k(), kv.k(), kFrom * kw, kRows * kw);
            putFloats(host, p + ks.v(), kv.v(), kFrom * kw, kRows * kw);
            putInts(host, p + ks.kPos(), ki.positions(), kFrom, kRows);
            if (h.segmented) {
                putInts(host, p + ks.kSeg(), ki.segments(), kFrom, kRows);
            }
            long s = slots.address() + slot * slotDevice;
            api.copyToDevice(s, pinned, p, ks.inputBytes(), copy);
            api.record(slotReady[slot], copy);
            api.await(compute, slotReady[slot]);
            if (ks.k16() != DeviceLayout.NONE) {
                convert(h.shape.precision(), s + ks.k(), s + ks.k16(), (long) kRows * kw);
                convert(h.shape.precision(), s + ks.v(), s + ks.v16(), (long) kRows * kw);
            }
            tileBounds(s + ks.kPos(), h.segmented ? s + ks.kSeg() : 0, kRows, h.shape.blockN(), s + ks.kTiles());
            byte[] params = KernelParams.pack(DeviceLayout.addresses(h.layout, h.base(), ks, s), h.rows(), kRows,
                    spec.queryHeads(), spec.kvHeads(), spec.headDim(), spec.scale(), spec.causal(), h.segmented, true, false);
            api.launch(h.shape.function(), h.shape.queryTiles(h.rows()), spec.queryHeads(), h.shape.threads(),
                    h.shape.sharedBytes(), compute, new KernelArgs().struct(params));
            api.record(slotFree[slot], compute);
        }
    }

    /**
     * Slots for chunks of up to {@code keys} keys of {@code h}'s shape, grown as needed; halves the chunk while
     * they do not fit ({@link SplitPolicy}: the key side overflowed), and when not even one key tile fits,
     * throws {@link SplitPolicy.TooLarge} for the query side. Returns the chunk size they hold.
     */
    private int slotsFor(Held h, int keys) {
        int size = keys;
        while (true) {
            DeviceLayout.KeySide ks = DeviceLayout.keySide(h.spec.kvHeads(), h.spec.headDim(), h.shape, size, h.segmented);
            try {
                if (ks.pinnedBytes() > MAX_STAGING_BYTES) {
                    throw new SplitPolicy.TooLarge(SplitPolicy.Side.KEYS, "key chunks of " + size + " need "
                            + ks.pinnedBytes() + " bytes of staging, over " + MAX_STAGING_BYTES, null);
                }
                if (slots == null || slots.bytes() < ks.totalBytes()) {
                    settle();
                    if (slots != null) {
                        device.memory().give(slots);
                        slots = null;
                    }
                    slots = take(ks.totalBytes(), SplitPolicy.Side.KEYS);
                }
                ensurePinned(ks.pinnedBytes(), 0);
                slotDevice = ks.slotBytes();
                slotPinned = ks.inputBytes();
                return size;
            } catch (SplitPolicy.TooLarge e) {
                int smaller = SplitPolicy.smallerChunk(size, KeyChunks.TILE);
                if (smaller == 0) {
                    // Not even one key tile fits beside the queries: they are what is too large.
                    throw new SplitPolicy.TooLarge(SplitPolicy.Side.QUERIES, e.getMessage() + ", with " + h.rows()
                            + " query rows held", e);
                }
                LOG.info("{}: key chunks of {} instead of {} in this call", e.getMessage(), smaller, size);
                size = smaller;
            }
        }
    }

    /** The held rows' state into their rows of {@code out}: one copy back, then the host waits. */
    private void download(Held h, AttentionState out) {
        int hq = h.spec.queryHeads();
        int qw = h.spec.queryRowWidth();
        DeviceLayout.QuerySide qs = h.layout;
        int n = h.rows();
        int from = h.rows.from();
        ensurePinned(slotArea, qs.stateBytes());
        queued = true;
        // On the compute stream, which waited for every copy out of the host area: no need to wait here.
        api.copyToHost(pinned, slotArea, h.base() + qs.acc(), qs.stateBytes(), compute);
        finished("attention kernel " + h.shape.function());
        ByteBuffer host = pinned.bytes();
        long s = slotArea;
        getFloats(host, s, out.acc(), from * qw, n * qw);
        for (int hh = 0; hh < hq; hh++) {
            getFloats(host, s + qs.m() - qs.acc() + hh * n * 4L, out.m(), hh * out.rows() + from, n);
            getFloats(host, s + qs.l() - qs.acc() + hh * n * 4L, out.l(), hh * out.rows() + from, n);
        }
    }

    /**
     * The attention each key receives, {@code mass[h][j] = sum_i exp(s_ij - LSE_i)} over visible pairs, as
     * {@code CpuAttentionKernel.attentionMass} defines it, by the {@code ra_mass_f32} kernels: Q, K, the
     * positions and segments and LSE go in with one copy, the result, {@code (Hq, keys)}, comes back with one.
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
        long[] at = new long[sizes.length + 1];
        for (int i = 0; i < sizes.length; i++) {
            at[i + 1] = DeviceLayout.aligned(at[i] + sizes[i]);
        }
        long total = at[sizes.length];
        long out = at[7];
        if (total > MAX_STAGING_BYTES) {
            throw new IllegalArgumentException(sq + " queries and " + sk + " keys need " + total
                    + " bytes of staging for the attention mass, over " + MAX_STAGING_BYTES + "; use --device cpu");
        }
        return run(() -> {
            DeviceMemory.Block block = device.memory().take(total);
            try {
                ensurePinned(slotArea, total);
                waitForHostArea();
                queued = true;
                ByteBuffer host = pinned.bytes();
                long h = slotArea;
                putFloats(host, h + at[0], queries.q(), 0, queries.q().length);
                putFloats(host, h + at[1], keysValues.k(), 0, keysValues.k().length);
                putInts(host, h + at[2], queries.index().positions(), 0, sq);
                putInts(host, h + at[3], keysValues.index().positions(), 0, sk);
                if (segmented) {
                    putInts(host, h + at[4], queries.index().segments(), 0, sq);
                    putInts(host, h + at[5], keysValues.index().segments(), 0, sk);
                }
                putFloats(host, h + at[6], lse, 0, lse.length);
                long b = block.address();
                api.copyToDevice(b, pinned, h, out, compute);
                KernelParams.Addresses a = new KernelParams.Addresses(b + at[0], b + at[1], 0, b + at[2], b + at[3],
                        segmented ? b + at[4] : 0, segmented ? b + at[5] : 0, 0, 0, b + out, b + at[6], 0);
                byte[] params = KernelParams.pack(a, sq, sk, hq, spec.kvHeads(), spec.headDim(), spec.scale(),
                        spec.causal(), segmented, false, false);
                api.launch(shape.function(), shape.queryTiles(sk), hq, shape.threads(), shape.sharedBytes(), compute,
                        new KernelArgs().struct(params));
                api.copyToHost(pinned, h + out, b + out, sizes[7], compute);
                finished("attention mass kernel " + shape.function());
                getFloats(host, h + out, mass, 0, mass.length);
                device.memory().give(block);
                return mass;
            } catch (RuntimeException e) {
                settle();
                device.memory().give(block);
                throw e;
            }
        });
    }

    /** Device memory for one side; out of memory there is that side's to split. */
    private DeviceMemory.Block take(long bytes, SplitPolicy.Side side) {
        try {
            return device.memory().take(bytes);
        } catch (CudaFailure failure) {
            if (failure.outOfMemory()) {
                throw new SplitPolicy.TooLarge(side, "GPU " + device.ordinal() + ": " + failure.getMessage(), failure);
            }
            throw failure;
        }
    }

    /** Pinned memory of at least {@code slotBytes} for key slots and {@code hostBytes} after them, kept and grown. */
    private void ensurePinned(long slotBytes, long hostBytes) {
        if (pinned != null && slotBytes <= slotArea && hostBytes <= hostArea) {
            return;
        }
        long s = Math.max(slotBytes, slotArea);
        long h = Math.max(hostBytes, hostArea);
        if (s + h > MAX_STAGING_BYTES) {
            throw new SplitPolicy.TooLarge(hostBytes > hostArea ? SplitPolicy.Side.QUERIES : SplitPolicy.Side.KEYS,
                    "pinned staging of " + (s + h) + " bytes is over " + MAX_STAGING_BYTES, null);
        }
        settle();
        if (pinned != null) {
            api.freePinned(pinned);
            pinned = null;
        }
        pinned = api.allocPinned(s + h);
        slotArea = s;
        hostArea = h;
    }

    /** Waits until no copy still reads the host area (a hold's copies, until the next compute synchronization). */
    private void waitForHostArea() {
        if (hostAreaBusy) {
            api.synchronize(hostAreaRead, "copying queries in");
            hostAreaBusy = false;
        }
    }

    /**
     * Waits for the compute stream at the end of a call. Everything on the copy stream was awaited by the
     * compute stream, so both are then idle and the host area free.
     */
    private void finished(String what) {
        api.synchronize(compute, what);
        queued = false;
        hostAreaBusy = false;
    }

    /** Waits for all queued work, if any, before buffers it may use are replaced or given back. */
    private void settle() {
        if (queued) {
            api.synchronize(compute, "attention kernel");
            api.synchronize(copy, "copying keys in");
            queued = false;
            hostAreaBusy = false;
        }
    }

    private void convert(Precision to, long from, long into, long n) {
        String kernel = to == Precision.BF16 ? "ra_f32_to_bf16" : "ra_f32_to_f16";
        int blocks = (int) Math.max(1, Math.min(4096, (n + 255) / 256));
        api.launch(kernel, blocks, 1, 256, 0, compute, new KernelArgs().pointer(from).pointer(into).i64(n));
    }

    private void tileBounds(long positions, long segments, int rows, int tile, long out) {
        api.launch("ra_tile_bounds", (rows + tile - 1) / tile, 1, 32, 0, compute,
                new KernelArgs().pointer(positions).pointer(segments).i32(rows).i32(tile).pointer(out));
    }

    @Override
    public void close() {
        device.makeCurrent();
        settle();
        if (slots != null) {
            device.memory().give(slots);
            slots = null;
        }
        if (pinned != null) {
            api.freePinned(pinned);
            pinned = null;
        }
        api.destroy(hostAreaRead);
        api.destroy(queriesIn);
        api.destroy(queriesConverted);
        for (int i = 0; i < DeviceLayout.SLOTS; i++) {
            api.destroy(slotReady[i]);
            api.destroy(slotFree[i]);
        }
        api.destroy(copy);
        api.destroy(compute);
    }

    static void putFloats(ByteBuffer host, long offset, float[] src, int from, int count) {
        host.position(Math.toIntExact(offset));
        host.asFloatBuffer().put(src, from, count);
    }

    static void getFloats(ByteBuffer host, long offset, float[] dst, int from, int count) {
        host.position(Math.toIntExact(offset));
        host.asFloatBuffer().get(dst, from, count);
    }

    static void putInts(ByteBuffer host, long offset, int[] src, int from, int count) {
        host.position(Math.toIntExact(offset));
        host.asIntBuffer().put(src, from, count);
    }
}
