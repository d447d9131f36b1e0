package org.ringattention.gpu;

import java.util.Locale;

/**
 * The number format Q, K and V are given to the GPU kernels in. Accumulation and the softmax state are
 * fp32 in every case. {@code FP32} is exact to fp32 rounding (CUDA cores); {@code BF16} and {@code FP16}
 * round the inputs once and run on tensor cores (mma.sync), for about 1e-3 absolute error on O.
 */
public enum Precision {
    FP32(4, "f32"),
    BF16(2, "bf16"),
    FP16(2, "f16");

    private final int bytes;
    private final String kernelTag;

    Precision(int bytes, String kernelTag) {
        this.bytes = bytes;
        this.kernelTag = kernelTag;
    }

    /** Bytes per element on the device. */
    public int bytes() {
        return bytes;
    }

    String kernelTag() {
        return kernelTag;
    }

    /** {@code fp32}, {@code bf16} or {@code fp16}, as written on a command line. */
    public static Precision parse(String text) {
        for (Precision p : values()) {
            if (p.name().toLowerCase(Locale.ROOT).equals(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("GPU precision must be fp32, bf16 or fp16, got '" + text + "'");
    }
}
