package org.ringattention.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The process-wide CUDA state, the one documented mutable static of the project: whether CUDA works
 * here at all (probed once), and per device the primary context with the kernels' module loaded
 * ({@link JCudaApi}). A
 * Spark executor is one process, so every task thread on it shares one context per GPU (the driver's
 * primary context) and makes it current on itself ({@link Device#makeCurrent}), as the driver API
 * requires. Contexts live until the process ends; nothing here frees them.
 *
 * <p>Driver calls return codes that {@link #check} turns into {@link CudaFailure}s, so callers can tell
 * out-of-memory from a sticky error (JCuda's own exceptions carry only a message).
 */
public final class GpuRuntime {

    /** The fatbin built by src/main/cuda/build-fatbin.sh, as a class-path resource. */
    static final String FATBIN_RESOURCE = "/org/ringattention/gpu/attention.fatbin";

    /** Whether CUDA can be used in this process, and if not, why. */
    public record Availability(boolean usable, int devices, String reason) {
    }

    private static Availability availability;
    private static byte[] fatbin;
    private static final Map<Integer, Device> DEVICES = new HashMap<>();
    private static String lost;

    private GpuRuntime() {
    }

    /** Probes once per process: kernels in the jar, the driver library, at least one device. */
    public static synchronized Availability availability() {
        if (lost != null) {
            return new Availability(false, 0, "the CUDA context was lost earlier in this process (" + lost + ")");
        }
        if (availability == null) {
            availability = probe();
        }
        return availability;
    }

    private static Availability probe() {
        fatbin = readFatbin();
        if (fatbin == null) {
            return new Availability(false, 0, "this jar was built without nvcc and holds no GPU kernels;"
                    + " rebuild it where nvcc is installed");
        }
        try {
            JCudaDriver.setExceptionsEnabled(false);
            check(JCudaDriver.cuInit(0), "cuInit");
            int[] count = new int[1];
            check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
            if (count[0] == 0) {
                return new Availability(false, 0, "the NVIDIA driver sees no CUDA device");
            }
            return new Availability(true, count[0], "");
        } catch (LinkageError e) {
            return new Availability(false, 0, "the NVIDIA driver (libcuda.so.1) cannot be loaded: "
                    + firstLine(e.getMessage()));
        } catch (CudaFailure e) {
            return new Availability(false, 0, "CUDA does not start: " + e.getMessage());
        }
    }

    /**
     * The device with CUDA ordinal {@code ordinal}, its context and kernels ready, created on first use.
     * Fails with the reason when CUDA is unavailable, the ordinal does not exist or the GPU is older than
     * the kernels (compute capability 8.0).
     */
    public static synchronized Device device(int ordinal) {
        Availability a = availability();
        if (!a.usable()) {
            throw new IllegalStateException("no usable GPU: " + a.reason());
        }
        if (ordinal >= a.devices()) {
            throw new IllegalStateException("GPU " + ordinal + " was asked for but the driver sees " + a.devices()
                    + " device(s); check spark.executor.resource.gpu.discoveryScript");
        }
        Device d = DEVICES.get(ordinal);
        if (d == null) {
            d = open(ordinal);
            DEVICES.put(ordinal, d);
        }
        return d;
    }

    /** Called after a sticky error: every later request is refused with this reason. */
    static synchronized void markLost(CudaFailure failure) {
        lost = failure.getMessage();
    }

    private static Device open(int ordinal) {
        CUdevice dev = new CUdevice();
        check(JCudaDriver.cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
        int[] major = new int[1];
        int[] minor = new int[1];
        int[] sharedOptIn = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev), "cuDeviceGetAttribute");
        check(JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev), "cuDeviceGetAttribute");
        check(JCudaDriver.cuDeviceGetAttribute(sharedOptIn, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, dev), "cuDeviceGetAttribute");
        byte[] nameBytes = new byte[256];
        check(JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, dev), "cuDeviceGetName");
        String name = cString(nameBytes);
        if (major[0] < 8) {
            throw new IllegalStateException("GPU " + ordinal + " (" + name + ") has compute capability " + major[0]
                    + "." + minor[0] + "; the kernels need 8.0 (Ampere) or newer");
        }
        CUcontext context = new CUcontext();
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, dev), "cuDevicePrimaryCtxRetain");
        check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        CUmodule module = new CUmodule();
        check(JCudaDriver.cuModuleLoadData(module, fatbin), "cuModuleLoadData(attention.fatbin)");
        return new Device(ordinal, name, major[0] * 10 + minor[0], new JCudaApi(name, sharedOptIn[0], context, module));
    }

    /** Throws a {@link CudaFailure} for a non-zero driver result. */
    static void check(int result, String call) {
        if (result != 0) {
            throw new CudaFailure(result, call);
        }
    }

    private static byte[] readFatbin() {
        try (InputStream in = GpuRuntime.class.getResourceAsStream(FATBIN_RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + FATBIN_RESOURCE + " from the jar", e);
        }
    }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.US_ASCII);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * One GPU as the kernels see it: its CUDA ordinal, name and compute capability, and the driver calls
     * that reach it ({@link JCudaApi} for a GPU opened here; tests build one over a device that computes on
     * the CPU).
     */
    public static final class Device {
        private final int ordinal;
        private final String name;
        private final int computeCapability;
        private final CudaApi api;
        private final DeviceMemory memory;

        public Device(int ordinal, String name, int computeCapability, CudaApi api) {
            this.ordinal = ordinal;
            this.name = name;
            this.computeCapability = computeCapability;
            this.api = api;
            this.memory = new DeviceMemory(api);
        }

        public int ordinal() {
            return ordinal;
        }

        public String name() {
            return name;
        }

        /** Major * 10 + minor, e.g. 90 for Hopper. */
        public int computeCapability() {
            return computeCapability;
        }

        public CudaApi api() {
            return api;
        }

        /** The GPU's reusable device memory, shared by every kernel and encoder on it. */
        public DeviceMemory memory() {
            return memory;
        }

        /** The context is per thread in the driver API: every task thread calls this before CUDA work. */
        public void makeCurrent() {
            api.makeCurrent();
        }
    }
}
