package org.ringattention.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jcuda.driver.CUresult;

/**
 * A CUDA device that computes on the CPU, so that the real host code ({@link GpuAttentionKernel},
 * {@link GpuSentenceEncoder}) runs in tests without a GPU and is checked for what only a device would show:
 * buffer offsets (every access must fall inside one allocation), stream ordering, and how many bytes cross
 * the bus, how often memory is allocated and how often the host waits.
 *
 * <p>Work queued on a stream runs as late as the API allows: when the host synchronizes with it (a stream
 * or an event), or when another stream's queued work waits for one of its events and runs. So a copy reads
 * pinned memory as it is at that moment, and a host that overwrites staging before the copy's stream was
 * synchronized (or reads a result before it) gets wrong numbers here, as it could on a GPU. Kernels are the
 * Java functions of {@link SimulatedKernels}, computing what src/main/cuda's kernels compute (those are
 * checked against float64 by {@code KernelEmulationTest}).
 *
 * <p>Thread-safe: one lock around everything, as tasks of an executor share a device.
 */
public final class SimulatedCuda implements CudaApi {

    /** What crossed the bus and how often the host waited; {@link #minus} gives the cost of a stretch of work. */
    public record Counts(long copiesIn, long bytesIn, long copiesOut, long bytesOut, long allocations, long frees,
                         long synchronizations, long launches) {

        public Counts minus(Counts before) {
            return new Counts(copiesIn - before.copiesIn, bytesIn - before.bytesIn, copiesOut - before.copiesOut,
                    bytesOut - before.bytesOut, allocations - before.allocations, frees - before.frees,
                    synchronizations - before.synchronizations, launches - before.launches);
        }
    }

    /** Device addresses start here, and allocations are this far apart, so a stray offset lands outside all of them. */
    private static final long BASE = 0x7F00_0000_0000L;
    private static final long GAP = 1 << 20;

    private final TreeMap<Long, ByteBuffer> memory = new TreeMap<>();
    private long next = BASE;
    private long used;
    private long capacity = Long.MAX_VALUE;
    private long copiesIn;
    private long bytesIn;
    private long copiesOut;
    private long bytesOut;
    private long allocations;
    private long frees;
    private long synchronizations;
    private long launches;
    private final List<String> launched = new ArrayList<>();

    private static final class SimStream implements Stream {
        final List<Runnable> queue = new ArrayList<>();
        int done;
    }

    private static final class SimEvent implements Event {
        SimStream stream;
        int position;
    }

    private record SimPinned(ByteBuffer buffer) implements Pinned {
        @Override
        public ByteBuffer bytes() {
            return buffer.duplicate().order(ByteOrder.nativeOrder());
        }
    }

    /** A device to hand to the host code as GPU {@code ordinal}. */
    public static GpuRuntime.Device device(int ordinal, SimulatedCuda cuda) {
        return new GpuRuntime.Device(ordinal, "simulated GPU " + ordinal, 90, cuda);
    }

    /** From now on an allocation that would bring the device memory in use over {@code bytes} fails with out-of-memory. */
    public synchronized void limitMemory(long bytes) {
        capacity = bytes;
    }

    public synchronized Counts counts() {
        return new Counts(copiesIn, bytesIn, copiesOut, bytesOut, allocations, frees, synchronizations, launches);
    }

    /** Names of the kernels launched so far, in order. */
    public synchronized List<String> launched() {
        return List.copyOf(launched);
    }

    @Override
    public void makeCurrent() {
        // One simulated context per device: nothing to switch.
    }

    @Override
    public synchronized long alloc(long bytes) {
        if (used + bytes > capacity) {
            throw new CudaFailure(CUresult.CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc(" + bytes + " bytes)");
        }
        long at = next;
        memory.put(at, ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN));
        next += (bytes + GAP - 1) / GAP * GAP + GAP;
        used += bytes;
        allocations++;
        return at;
    }

    @Override
    public synchronized void free(long address) {
        ByteBuffer b = memory.remove(address);
        if (b == null) {
            throw new AssertionError("cuMemFree of " + Long.toHexString(address) + ", which is not an allocation");
        }
        used -= b.capacity();
        frees++;
        synchronizations++;
        synchronizeAll();
    }

    @Override
    public synchronized Pinned allocPinned(long bytes) {
        allocations++;
        return new SimPinned(ByteBuffer.allocateDirect(Math.toIntExact(bytes)));
    }

    @Override
    public synchronized void freePinned(Pinned pinned) {
        frees++;
        synchronizations++;
        synchronizeAll();
    }

    private final List<SimStream> streams = new ArrayList<>();

    @Override
    public synchronized Stream createStream() {
        SimStream s = new SimStream();
        streams.add(s);
        return s;
    }

    @Override
    public synchronized void destroy(Stream stream) {
        flush((SimStream) stream, ((SimStream) stream).queue.size());
        streams.remove(stream);
    }

    @Override
    public synchronized Event createEvent() {
        return new SimEvent();
    }

    @Override
    public void destroy(Event event) {
        // Nothing held.
    }

    @Override
    public synchronized void copyToDevice(long to, Pinned from, long fromOffset, long bytes, Stream stream) {
        copiesIn++;
        bytesIn += bytes;
        ByteBuffer target = view(to, bytes, "cuMemcpyHtoDAsync destination");
        ByteBuffer source = slice(((SimPinned) from).buffer(), fromOffset, bytes);
        enqueue(stream, () -> target.put(source.duplicate()));
    }

    @Override
    public synchronized void copyToHost(Pinned to, long toOffset, long from, long bytes, Stream stream) {
        copiesOut++;
        bytesOut += bytes;
        ByteBuffer source = view(from, bytes, "cuMemcpyDtoHAsync source");
        ByteBuffer target = slice(((SimPinned) to).buffer(), toOffset, bytes);
        enqueue(stream, () -> target.put(source.duplicate()));
    }

    @Override
    public synchronized void upload(long to, float[] values) {
        copiesIn++;
        bytesIn += values.length * 4L;
        synchronizations++;
        synchronizeAll();
        view(to, values.length * 4L, "cuMemcpyHtoD destination").asFloatBuffer().put(values);
    }

    @Override
    public synchronized void fill32(long to, int value, long count, Stream stream) {
        ByteBuffer target = view(to, count * 4, "cuMemsetD32Async destination");
        enqueue(stream, () -> {
            for (long i = 0; i < count; i++) {
                target.putInt(Math.toIntExact(4 * i), value);
            }
        });
    }

    @Override
    public synchronized void launch(String kernel, int gridX, int gridY, int threads, int sharedBytes, Stream stream,
                                    KernelArgs args) {
        if (gridX < 1 || gridY < 1 || threads < 32 || threads % 32 != 0) {
            throw new AssertionError(kernel + ": grid " + gridX + " x " + gridY + " of " + threads + " threads");
        }
        SimulatedKernels.Kernel k = SimulatedKernels.find(kernel);
        launches++;
        launched.add(kernel);
        enqueue(stream, () -> k.run(this, kernel, gridX, gridY, args));
    }

    @Override
    public synchronized void record(Event event, Stream stream) {
        SimEvent e = (SimEvent) event;
        e.stream = (SimStream) stream;
        e.position = e.stream.queue.size();
    }

    @Override
    public synchronized void await(Stream stream, Event event) {
        SimEvent e = (SimEvent) event;
        if (e.stream == null) {
            return;
        }
        SimStream waitedFor = e.stream;
        int position = e.position;
        enqueue(stream, () -> flush(waitedFor, position));
    }

    @Override
    public synchronized void synchronize(Event event, String what) {
        synchronizations++;
        SimEvent e = (SimEvent) event;
        if (e.stream != null) {
            flush(e.stream, e.position);
        }
    }

    @Override
    public synchronized void synchronize(Stream stream, String what) {
        synchronizations++;
        SimStream s = (SimStream) stream;
        flush(s, s.queue.size());
    }

    /** {@code bytes} of device memory at {@code address}, which must lie inside one allocation. */
    synchronized ByteBuffer view(long address, long bytes, String what) {
        Map.Entry<Long, ByteBuffer> a = memory.floorEntry(address);
        if (a == null || address + bytes > a.getKey() + a.getValue().capacity() || bytes < 0) {
            throw new AssertionError(what + ": " + bytes + " bytes at 0x" + Long.toHexString(address)
                    + " are not inside one allocation"
                    + (a == null ? "" : " (nearest starts at 0x" + Long.toHexString(a.getKey()) + ", "
                    + a.getValue().capacity() + " bytes)"));
        }
        return slice(a.getValue(), address - a.getKey(), bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer slice(ByteBuffer b, long offset, long bytes) {
        return b.duplicate().position(Math.toIntExact(offset)).limit(Math.toIntExact(offset + bytes)).slice()
                .order(b.order());
    }

    private void enqueue(Stream stream, Runnable op) {
        ((SimStream) stream).queue.add(op);
    }

    /** Runs {@code s}'s queued work up to position {@code upTo}. */
    private void flush(SimStream s, int upTo) {
        while (s.done < upTo) {
            Runnable op = s.queue.get(s.done);
            s.done++;
            op.run();
        }
    }

    /** What cuMemFree and a synchronous copy imply: all work of the device done. */
    private void synchronizeAll() {
        for (SimStream s : List.copyOf(streams)) {
            flush(s, s.queue.size());
        }
    }
}
