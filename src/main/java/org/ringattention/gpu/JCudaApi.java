package org.ringattention.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * {@link CudaApi} on a real GPU through JCuda's driver binding: one device's primary context with the
 * fatbin's module loaded ({@link GpuRuntime#device} creates it). Kernel functions are looked up once and
 * kept, with their dynamic shared memory opted into (over 48 KB needs {@code cuFuncSetAttribute}).
 */
final class JCudaApi implements CudaApi {

    private final String name;
    private final int sharedOptIn;
    private final CUcontext context;
    private final CUmodule module;
    private final Map<String, CUfunction> functions = new HashMap<>();

    JCudaApi(String name, int sharedOptIn, CUcontext context, CUmodule module) {
        this.name = name;
        this.sharedOptIn = sharedOptIn;
        this.context = context;
        this.module = module;
    }

    private record JStream(CUstream handle) implements Stream {
    }

    private record JEvent(CUevent handle) implements Event {
    }

    private record JPinned(Pointer pointer, long size) implements Pinned {
        @Override
        public ByteBuffer bytes() {
            return pointer.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        }
    }

    @Override
    public void makeCurrent() {
        GpuRuntime.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    @Override
    public long alloc(long bytes) {
        Address a = new Address();
        GpuRuntime.check(JCudaDriver.cuMemAlloc(a, Math.max(bytes, 1)), "cuMemAlloc(" + bytes + " bytes)");
        return a.address();
    }

    @Override
    public void free(long address) {
        GpuRuntime.check(JCudaDriver.cuMemFree(Address.at(address)), "cuMemFree");
    }

    @Override
    public Pinned allocPinned(long bytes) {
        Pointer p = new Pointer();
        GpuRuntime.check(JCudaDriver.cuMemAllocHost(p, bytes), "cuMemAllocHost(" + bytes + " bytes)");
        return new JPinned(p, bytes);
    }

    @Override
    public void freePinned(Pinned pinned) {
        GpuRuntime.check(JCudaDriver.cuMemFreeHost(((JPinned) pinned).pointer()), "cuMemFreeHost");
    }

    @Override
    public Stream createStream() {
        CUstream s = new CUstream();
        GpuRuntime.check(JCudaDriver.cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        return new JStream(s);
    }

    @Override
    public void destroy(Stream stream) {
        GpuRuntime.check(JCudaDriver.cuStreamDestroy(handle(stream)), "cuStreamDestroy");
    }

    @Override
    public Event createEvent() {
        CUevent e = new CUevent();
        GpuRuntime.check(JCudaDriver.cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        return new JEvent(e);
    }

    @Override
    public void destroy(Event event) {
        GpuRuntime.check(JCudaDriver.cuEventDestroy(((JEvent) event).handle()), "cuEventDestroy");
    }

    @Override
    public void copyToDevice(long to, Pinned from, long fromOffset, long bytes, Stream stream) {
        GpuRuntime.check(JCudaDriver.cuMemcpyHtoDAsync(Address.at(to), ((JPinned) from).pointer().withByteOffset(fromOffset),
                bytes, handle(stream)), "cuMemcpyHtoDAsync(" + bytes + " bytes)");
    }

    @Override
    public void copyToHost(Pinned to, long toOffset, long from, long bytes, Stream stream) {
        GpuRuntime.check(JCudaDriver.cuMemcpyDtoHAsync(((JPinned) to).pointer().withByteOffset(toOffset), Address.at(from),
                bytes, handle(stream)), "cuMemcpyDtoHAsync(" + bytes + " bytes)");
    }

    @Override
    public void upload(long to, float[] values) {
        GpuRuntime.check(JCudaDriver.cuMemcpyHtoD(Address.at(to), Pointer.to(values), values.length * 4L),
                "cuMemcpyHtoD(" + values.length * 4L + " bytes)");
    }

    @Override
    public void fill32(long to, int value, long count, Stream stream) {
        GpuRuntime.check(JCudaDriver.cuMemsetD32Async(Address.at(to), value, count, handle(stream)), "cuMemsetD32Async");
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int threads, int sharedBytes, Stream stream, KernelArgs args) {
        Pointer[] params = new Pointer[args.all().size()];
        int i = 0;
        for (KernelArgs.Arg a : args.all()) {
            params[i++] = switch (a.type()) {
                case POINTER, LONG -> Pointer.to(new long[] {a.bits()});
                case INT, FLOAT -> Pointer.to(new int[] {(int) a.bits()});
                case STRUCT -> Pointer.to(a.struct());
            };
        }
        GpuRuntime.check(JCudaDriver.cuLaunchKernel(function(kernel, sharedBytes), gridX, gridY, 1, threads, 1, 1,
                sharedBytes, handle(stream), Pointer.to(params), null), "cuLaunchKernel(" + kernel + ")");
    }

    @Override
    public void record(Event event, Stream stream) {
        GpuRuntime.check(JCudaDriver.cuEventRecord(((JEvent) event).handle(), handle(stream)), "cuEventRecord");
    }

    @Override
    public void await(Stream stream, Event event) {
        GpuRuntime.check(JCudaDriver.cuStreamWaitEvent(handle(stream), ((JEvent) event).handle(), 0), "cuStreamWaitEvent");
    }

    @Override
    public void synchronize(Event event, String what) {
        GpuRuntime.check(JCudaDriver.cuEventSynchronize(((JEvent) event).handle()), what);
    }

    @Override
    public void synchronize(Stream stream, String what) {
        GpuRuntime.check(JCudaDriver.cuStreamSynchronize(handle(stream)), what);
    }

    /**
     * The kernel {@code name}, allowed {@code sharedBytes} of dynamic shared memory: looked up once; a kernel
     * needing more than the device allows is refused with the sizes and the way out.
     */
    private synchronized CUfunction function(String kernel, int sharedBytes) {
        CUfunction f = functions.get(kernel);
        if (f == null) {
            if (sharedBytes > sharedOptIn) {
                throw new IllegalStateException(kernel + " needs " + sharedBytes + " bytes of shared memory; "
                        + name + " allows " + sharedOptIn + "; use a smaller head dimension or --device cpu");
            }
            f = new CUfunction();
            GpuRuntime.check(JCudaDriver.cuModuleGetFunction(f, module, kernel), "cuModuleGetFunction(" + kernel + ")");
            GpuRuntime.check(JCudaDriver.cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                    sharedBytes), "cuFuncSetAttribute(" + kernel + ")");
            functions.put(kernel, f);
        }
        return f;
    }

    private static CUstream handle(Stream stream) {
        return ((JStream) stream).handle();
    }

    /** A device pointer as cuMemAlloc fills it, whose address can be read as a number. */
    private static final class Address extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }

        /** A JCuda pointer to {@code address}: JCuda passes base plus byte offset, here 0 plus the address. */
        static CUdeviceptr at(long address) {
            return new CUdeviceptr().withByteOffset(address);
        }
    }
}
