/**
 * The device choice: {@link org.ringattention.backend.Device} ({@code cpu}, {@code gpu}, {@code auto}) and
 * {@link org.ringattention.backend.BackendFactory}, the one place that turns it into kernels for a command,
 * a ring task or a Spark stage, with the per-executor GPU cache, the fallback rules and the self-check.
 *
 * <p>Sits above {@code attention} and {@code gpu} (it picks between their kernels) and below {@code ring},
 * {@code summarize} and {@code cli}, which only ever name a {@code Device}.
 */
package org.ringattention.backend;
