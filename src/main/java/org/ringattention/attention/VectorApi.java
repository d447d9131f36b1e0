package org.ringattention.attention;

import java.util.logging.Logger;

/**
 * Whether this JVM has the Vector API, and the one warning a JVM without it gives. An executor started
 * without {@code --add-modules=jdk.incubator.vector} still computes the same results with the scalar
 * arithmetic, only several times slower, so the warning is the only sign of a misconfigured cluster.
 */
public final class VectorApi {

    private static final Logger LOG = Logger.getLogger(VectorApi.class.getName());

    private VectorApi() {
    }

    /** Whether the Vector API can be used in this JVM ({@code --add-modules jdk.incubator.vector}). */
    public static boolean available() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** Logs, once per JVM however often it is called, that the scalar arithmetic is in use and why. */
    public static void warnScalarFallback() {
        Warning.once();
    }

    /** Its class initializer runs once per JVM (JLS 12.4.2): the warning needs no mutable flag. */
    private static final class Warning {
        static {
            LOG.warning("this JVM lacks jdk.incubator.vector: attention and the encoder use scalar arithmetic"
                    + " (same results, several times slower); start it with --add-modules=jdk.incubator.vector"
                    + " (conf/jvm.args; for executors spark.executor.extraJavaOptions)");
        }

        static void once() {
            // Initialization of this class is the whole effect.
        }
    }
}
