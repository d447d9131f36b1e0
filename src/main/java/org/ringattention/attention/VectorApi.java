package org.ringattention.attention;

import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this JVM has the Vector API, the one way the project picks a Vector API implementation or its
 * scalar twin ({@link #choose}), and the one warning a JVM without it gives. An executor started without
 * {@code --add-modules=jdk.incubator.vector} still computes the same results with the scalar arithmetic,
 * only several times slower, so the warning is the only sign of a misconfigured cluster.
 */
public final class VectorApi {

    private static final Logger LOG = LoggerFactory.getLogger(VectorApi.class);

    private VectorApi() {
    }

    /** Whether the Vector API can be used in this JVM ({@code --add-modules jdk.incubator.vector}). */
    public static boolean available() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * The implementation {@code choice} names: {@code vector}, the class {@code vectorClass} (loaded by name,
     * so that callers load and run in a JVM without the module); {@code scalar}; or {@code auto}, vector
     * where the JVM has the module and otherwise scalar after the one warning. {@code property} is the
     * system property the choice came from, for messages.
     */
    public static <T> T choose(String choice, String property, Class<T> type, String vectorClass, Supplier<T> scalar) {
        switch (choice) {
            case "scalar":
                return scalar.get();
            case "vector":
                if (!available()) {
                    throw new IllegalStateException(property + "=vector but the JVM lacks jdk.incubator.vector;"
                            + " run java with --add-modules jdk.incubator.vector");
                }
                return load(type, vectorClass);
            case "auto":
                if (available()) {
                    return load(type, vectorClass);
                }
                warnScalarFallback();
                return scalar.get();
            default:
                throw new IllegalArgumentException(property + " must be auto, vector or scalar, got '" + choice + "'");
        }
    }

    private static <T> T load(Class<T> type, String vectorClass) {
        try {
            // The implementations are package-private in their own packages; this is the project's own code.
            java.lang.reflect.Constructor<?> constructor = Class.forName(vectorClass).getDeclaredConstructor();
            constructor.setAccessible(true);
            return type.cast(constructor.newInstance());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load the Vector API implementation " + vectorClass, e);
        }
    }

    /** Logs, once per JVM however often it is called, that the scalar arithmetic is in use and why. */
    public static void warnScalarFallback() {
        Warning.once();
    }

    /** Its class initializer runs once per JVM (JLS 12.4.2): the warning needs no mutable flag. */
    private static final class Warning {
        static {
            LOG.warn("this JVM lacks jdk.incubator.vector: attention and the encoder use scalar arithmetic"
                    + " (same results, several times slower); start it with --add-modules=jdk.incubator.vector"
                    + " (conf/jvm.args; for executors spark.executor.extraJavaOptions)");
        }

        static void once() {
            // Initialization of this class is the whole effect.
        }
    }
}
