package org.ringattention.backend;

import org.ringattention.gpu.Precision;

/**
 * Backends opened by a {@link BackendFactory} of its own over a {@link StandInGpuDriver}, as a Spark
 * executor's tasks get theirs (the self-check, the GPU kernels kept and handed to the next caller), for
 * tests in other packages that drive the ring's code outside Spark.
 */
public final class StandInBackends {

    private final BackendFactory factory;

    public StandInBackends(StandInGpuDriver driver) {
        this.factory = new BackendFactory(driver);
    }

    /** Kernels on {@code device} as a task would get them (GPU 0, messages dropped). */
    public Backend open(Device device, Precision precision, int blockSize, int threads) {
        return factory.backend(new Placement(device, precision, 0, message -> { }, false), blockSize, threads);
    }
}
