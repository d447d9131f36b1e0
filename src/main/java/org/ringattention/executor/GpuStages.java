package org.ringattention.executor;

import java.util.Map;
import java.util.WeakHashMap;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.resource.ExecutorResourceRequests;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;
import org.ringattention.backend.Device;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GPUs for the stages that use them, and only those: the stages that embed sentences and attend run with a
 * {@link ResourceProfile} that asks for GPUs (Spark's stage-level scheduling, as Spark RAPIDS ML asks for
 * them in its training stages), while every other stage of a night (reading, splitting, selecting,
 * writing) runs with the application's default profile, which asks for none. What that means depends on
 * the cluster manager and on dynamic allocation ({@link #mode}):
 * <ul>
 *   <li>dynamic allocation on YARN, Kubernetes or Standalone: a full profile, executors with GPUs
 *       ({@value #GPUS_PER_EXECUTOR}, default 1) for the GPU stages only. The default executors have no GPU;
 *       the GPU executors go when idle ({@code spark.dynamicAllocation.executorIdleTimeout}), so the rest of
 *       the night holds no GPU at all;</li>
 *   <li>no dynamic allocation on YARN, Kubernetes or Standalone (Spark 3.4+ for Standalone, 4.0 for the
 *       others): a task profile. Executors are started with GPUs ({@code spark.executor.resource.gpu.amount})
 *       and keep them, but only tasks of GPU stages are given one ({@value #TASKS_PER_GPU} tasks share it,
 *       default 4); other stages' tasks run without, so a GPU is never tied to a task that reads or writes;</li>
 *   <li>anything else (a {@code local} master, or executors without GPUs and no dynamic allocation): no
 *       profile; a task on the GPU uses device 0 of its process (TaskBackends), as before.</li>
 * </ul>
 * One profile per SparkContext, so that the embedding and attention RDDs of one stage carry the same one
 * (Spark refuses a stage with two different profiles).
 */
public final class GpuStages {

    /** Job setting: tasks of a GPU stage that share one GPU (Spark's task GPU amount is its inverse). */
    public static final String TASKS_PER_GPU = "spark.ringattention.gpu.tasksPerGpu";
    /** Job setting: GPUs of each executor a GPU stage asks for under dynamic allocation. */
    public static final String GPUS_PER_EXECUTOR = "spark.ringattention.gpu.perExecutor";

    static final int DEFAULT_TASKS_PER_GPU = 4;

    private static final Logger LOG = LoggerFactory.getLogger(GpuStages.class);

    /** The profile of each live SparkContext: the documented driver-side cache of this class. */
    private static final Map<SparkContext, ResourceProfile> PROFILES = new WeakHashMap<>();

    /** How GPU stages get their GPUs on a cluster. */
    public enum Mode {
        /** No stage-level scheduling: GPU tasks use device 0 of their process. */
        NONE,
        /** Executors own GPUs for the whole run; only GPU stages' tasks are given one. */
        TASK_PROFILE,
        /** GPU executors are requested for GPU stages and released when idle. */
        EXECUTOR_PROFILE
    }

    private GpuStages() {
    }

    /** {@code rdd}, computed by a stage that asks for GPUs when {@code device} may use one and the cluster can. */
    public static <T> JavaRDD<T> onGpus(JavaRDD<T> rdd, Device device) {
        if (device == Device.CPU) {
            return rdd;
        }
        ResourceProfile profile = profile(rdd.context());
        return profile == null ? rdd : rdd.withResources(profile);
    }

    /** What this configuration's cluster manager supports (see the class comment). */
    public static Mode mode(SparkConf conf) {
        String master = conf.get("spark.master", "local");
        boolean cluster = master.startsWith("yarn") || master.startsWith("k8s://") || master.startsWith("spark://")
                || master.startsWith("local-cluster");
        if (!cluster) {
            return Mode.NONE;
        }
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            return Mode.EXECUTOR_PROFILE;
        }
        return conf.contains("spark.executor.resource." + TaskBackends.GPU_RESOURCE + ".amount") ? Mode.TASK_PROFILE
                : Mode.NONE;
    }

    /** The GPU stages' profile of {@code sc}, built once; null for {@link Mode#NONE}. */
    static synchronized ResourceProfile profile(SparkContext sc) {
        if (PROFILES.containsKey(sc)) {
            return PROFILES.get(sc);
        }
        ResourceProfile p = build(sc.getConf());
        if (p == null && !sc.isLocal()) {
            LOG.warn("GPU stages run without stage-level scheduling on {} (no dynamic allocation, and executors have no"
                    + " {} resource): each task uses GPU 0 of its executor; see conf/spark-gpu.conf", sc.master(),
                    TaskBackends.GPU_RESOURCE);
        }
        PROFILES.put(sc, p);
        return p;
    }

    /** The profile for {@code conf}'s {@link #mode}, or null for none. */
    static ResourceProfile build(SparkConf conf) {
        Mode mode = mode(conf);
        if (mode == Mode.NONE) {
            return null;
        }
        int tasksPerGpu = conf.getInt(TASKS_PER_GPU, DEFAULT_TASKS_PER_GPU);
        if (tasksPerGpu < 1) {
            throw new IllegalArgumentException(TASKS_PER_GPU + " must be at least 1, got " + tasksPerGpu);
        }
        TaskResourceRequests tasks = new TaskResourceRequests().cpus(conf.getInt("spark.task.cpus", 1))
                .resource(TaskBackends.GPU_RESOURCE, 1.0 / tasksPerGpu);
        ResourceProfileBuilder builder = new ResourceProfileBuilder().require(tasks);
        if (mode == Mode.EXECUTOR_PROFILE) {
            String prefix = "spark.executor.resource." + TaskBackends.GPU_RESOURCE + ".";
            ExecutorResourceRequests executors = new ExecutorResourceRequests().resource(TaskBackends.GPU_RESOURCE,
                    conf.getInt(GPUS_PER_EXECUTOR, 1), conf.get(prefix + "discoveryScript", ""),
                    conf.get(prefix + "vendor", ""));
            if (conf.contains("spark.executor.cores")) {
                executors.cores(conf.getInt("spark.executor.cores", 1));
            }
            builder.require(executors);
        }
        return builder.build();
    }
}
