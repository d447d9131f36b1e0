package org.ringattention.backend;

import org.ringattention.gpu.Precision;

/**
 * How the factory reaches GPUs: {@link CudaDriver} (JCuda) in production. Tests stand in for it with a
 * class named by the system property {@value #PROPERTY}, which executors of a {@code local-cluster} read
 * from their JVM options, so the plumbing (which device a task opens, the fallback, the self-check) is
 * tested without a GPU; the arithmetic of the real kernels is verified on hardware (bench/gpu-check.sh).
 */
public interface GpuDriver {

    /** System property naming a {@link GpuDriver} class with a public no-argument constructor. */
    String PROPERTY = "ringattention.gpu.driver";

    /**
     * GPU {@code ordinal} ready for work (context created, kernels loaded), called once per process and
     * ordinal; throws with a one-line reason when it cannot be used.
     */
    Gpu open(int ordinal);

    /** One opened GPU, shared by every task of the process. */
    interface Gpu {

        /** For logs, e.g. {@code gpu 0 (NVIDIA H200)}. */
        String description();

        /** A fresh set of kernels on this GPU taking inputs in {@code precision}, for one thread. */
        Backend openBackend(Precision precision);

        /**
         * Kernels that stream keys in chunks of at most {@code keysPerChunk}: the self-check's, so that its
         * small problem crosses chunk boundaries as a production call on long blocks does.
         */
        Backend openBackend(Precision precision, int keysPerChunk);

        /**
         * A sentence encoder for one thread on this GPU, with the weights of {@code model} (as
         * {@code EncoderCache} names models) uploaded once per process and precision.
         */
        EmbeddingBackend openEncoder(String model, Precision precision);
    }
}
