package org.ringattention.model;

import java.util.Arrays;

/** A float32 tensor, row-major: {@code data.length} is the product of {@code shape}. */
public record Tensor(int[] shape, float[] data) {

    public Tensor {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got "
                    + data.length);
        }
    }

    public boolean hasShape(int... expected) {
        return Arrays.equals(shape, expected);
    }

    /** The transpose of a matrix: {@code (a, b)} to {@code (b, a)}. */
    public Tensor transpose2d() {
        int a = shape[0];
        int b = shape[1];
        float[] t = new float[data.length];
        for (int i = 0; i < a; i++) {
            for (int j = 0; j < b; j++) {
                t[j * a + i] = data[i * b + j];
            }
        }
        return new Tensor(new int[] {b, a}, t);
    }
}
