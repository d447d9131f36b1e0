/**
 * The GPU backend: the same {@link org.ringattention.attention.AttentionKernel} as the CPU, run by CUDA
 * kernels (src/main/cuda, FlashAttention-2 forward) through the JCuda driver API, and the whole sentence
 * encoder on the GPU ({@link GpuSentenceEncoder}).
 *
 * <p>Depends on {@code attention}, {@code model} and {@code encoder}'s interface only (and on Spark's
 * {@code TaskContext} when present, to find the GPU Spark assigned); nothing below knows this package. Everything that needs no device
 * (argument packing, memory layout, launch shapes, splitting on out-of-memory, the handling of fatal
 * CUDA errors) is plain Java with unit tests; the choice between CPU and GPU is {@code backend}'s.
 * {@link GpuRuntime} (probing, opening a device) and {@link JCudaApi} are the only classes that call the
 * driver; the kernel and the encoder reach it through {@link CudaApi}, which tests implement with a
 * simulated device to run the host code without a GPU and count its copies, allocations and waits.
 */
package org.ringattention.gpu;
