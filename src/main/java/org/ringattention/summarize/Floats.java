package org.ringattention.summarize;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Float matrices as Spark binary values (little-endian float32, row-major): a document's sentence
 * vectors travel between pipeline stages as one byte array, not as nested arrays of boxed floats.
 */
public final class Floats {

    private Floats() {
    }

    public static byte[] toBytes(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        return b.array();
    }

    public static float[] fromBytes(byte[] bytes) {
        float[] x = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        return x;
    }
}
