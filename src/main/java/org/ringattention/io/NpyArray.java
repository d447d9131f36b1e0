package org.ringattention.io;

import java.util.Arrays;

/** A float32 array read from or written to a {@code .npy} file: C-order data and its shape. */
public record NpyArray(float[] data, int[] shape) {

    public NpyArray {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " values, data has " + data.length);
        }
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int rank() {
        return shape.length;
    }

    /** The shape as NumPy prints it, e.g. {@code (8, 4, 64)}. */
    public String shapeText() {
        return Npy.shapeText(shape);
    }
}
