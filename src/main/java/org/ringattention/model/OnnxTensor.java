package org.ringattention.model;

/**
 * One ONNX tensor (an initializer or a Constant node's value), decoded: float32 data in
 * {@code floats}, integer data in {@code longs}, the other unused. Shapes are ONNX {@code dims}.
 */
public record OnnxTensor(String name, int dataType, long[] dims, float[] floats, long[] longs) {

    static final int FLOAT = 1;
    static final int INT32 = 6;
    static final int INT64 = 7;

    public long count() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }
}
