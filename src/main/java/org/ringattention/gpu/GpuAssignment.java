package org.ringattention.gpu;

import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Which GPU this thread should use: inside a Spark task, the first address Spark assigned under the
 * resource name {@value #RESOURCE} (conf/spark-gpu.conf, conf/gpu-discovery.sh print CUDA ordinals);
 * elsewhere device 0. Spark is optional on the classpath here (the device check runs without it).
 */
public final class GpuAssignment {

    /** Spark's resource name for GPUs. */
    public static final String RESOURCE = "gpu";

    private GpuAssignment() {
    }

    /** The CUDA device ordinal for the current thread. */
    public static int deviceOrdinal() {
        String[] addresses = sparkAddresses();
        return addresses == null ? 0 : ordinalOf(addresses);
    }

    /** Whether the current thread runs a Spark task (so a lost context must end the executor). */
    public static boolean inSparkTask() {
        try {
            return TaskContext.get() != null;
        } catch (NoClassDefFoundError e) {
            return false;
        }
    }

    /** The ordinal in Spark's first assigned address; fails naming the address and the fix. */
    static int ordinalOf(String[] addresses) {
        if (addresses.length == 0) {
            throw new IllegalStateException("Spark assigned this task no \"" + RESOURCE + "\" address;"
                    + " set spark.task.resource.gpu.amount (conf/spark-gpu.conf) or use --device cpu");
        }
        try {
            int ordinal = Integer.parseInt(addresses[0].trim());
            if (ordinal < 0) {
                throw new NumberFormatException();
            }
            return ordinal;
        } catch (NumberFormatException e) {
            throw new IllegalStateException("Spark's GPU address '" + addresses[0] + "' is not a CUDA device ordinal;"
                    + " the discovery script must print ordinals such as \"0\" (conf/gpu-discovery.sh)");
        }
    }

    private static String[] sparkAddresses() {
        try {
            TaskContext context = TaskContext.get();
            if (context == null) {
                return null;
            }
            Map<String, ResourceInformation> resources = context.resourcesJMap();
            ResourceInformation gpu = resources.get(RESOURCE);
            return gpu == null ? null : gpu.addresses();
        } catch (NoClassDefFoundError e) {
            return null;
        }
    }
}
