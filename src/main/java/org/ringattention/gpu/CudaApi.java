package org.ringattention.gpu;

import java.nio.ByteBuffer;

/**
 * The CUDA driver calls the GPU backend makes, and nothing else: {@link JCudaApi} on an NVIDIA GPU. Tests
 * run the same host code ({@link GpuAttentionKernel}, {@link GpuSentenceEncoder}) against a device that
 * computes on the CPU and counts what crosses the bus, so that layouts, stream ordering and the number of
 * copies, allocations and synchronizations are checked without a GPU.
 *
 * <p>Semantics are the driver API's (CUDA Driver API, "Stream Management", "Memory Management"): work on
 * one stream runs in order and asynchronously to the host; an event recorded on a stream marks a point
 * in it that another stream may wait for; asynchronous copies read and write pinned memory at some time
 * between the call and a synchronization that covers them. Every failure is a {@link CudaFailure}.
 */
public interface CudaApi {

    /** A CUDA stream: an ordered queue of device work. */
    interface Stream {
    }

    /** A CUDA event: a point in a stream. */
    interface Event {
    }

    /** Page-locked host memory: the only host memory asynchronous copies may use. */
    interface Pinned {
        /** The whole buffer, native byte order, position 0. */
        ByteBuffer bytes();
    }

    /** Makes this device's context current on the calling thread (the driver API's contexts are per thread). */
    void makeCurrent();

    /** {@code cuMemAlloc}: device memory that lives until {@link #free}. Synchronizes nothing. */
    long alloc(long bytes);

    /** {@code cuMemFree}: synchronizes the device first (CUDA Programming Guide, "Implicit Synchronization"). */
    void free(long address);

    /** {@code cuMemAllocHost}. */
    Pinned allocPinned(long bytes);

    /** {@code cuMemFreeHost}. */
    void freePinned(Pinned pinned);

    /** {@code cuStreamCreate} with {@code CU_STREAM_NON_BLOCKING}. */
    Stream createStream();

    void destroy(Stream stream);

    /** {@code cuEventCreate} with {@code CU_EVENT_DISABLE_TIMING}. */
    Event createEvent();

    void destroy(Event event);

    /** {@code cuMemcpyHtoDAsync} of {@code bytes} from pinned offset {@code from} to device address {@code to}. */
    void copyToDevice(long to, Pinned from, long fromOffset, long bytes, Stream stream);

    /** {@code cuMemcpyDtoHAsync} of {@code bytes} from device address {@code from} to pinned offset {@code to}. */
    void copyToHost(Pinned to, long toOffset, long from, long bytes, Stream stream);

    /** {@code cuMemcpyHtoD} from a Java array: synchronous; for weights, uploaded once per process. */
    void upload(long to, float[] values);

    /** {@code cuMemsetD32Async}: {@code count} 32-bit words at {@code to} set to {@code value}. */
    void fill32(long to, int value, long count, Stream stream);

    /**
     * {@code cuLaunchKernel} of the fatbin's {@code kernel}: {@code gridX x gridY} blocks of {@code threads}
     * threads with {@code sharedBytes} of dynamic shared memory.
     */
    void launch(String kernel, int gridX, int gridY, int threads, int sharedBytes, Stream stream, KernelArgs args);

    /** {@code cuEventRecord}. */
    void record(Event event, Stream stream);

    /** {@code cuStreamWaitEvent}: later work on {@code stream} waits for {@code event}; the host does not. */
    void await(Stream stream, Event event);

    /** {@code cuEventSynchronize}: the host waits. {@code what} names the work for an error message. */
    void synchronize(Event event, String what);

    /** {@code cuStreamSynchronize}: the host waits. {@code what} names the work for an error message. */
    void synchronize(Stream stream, String what);
}
