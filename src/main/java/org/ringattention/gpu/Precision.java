package org.ringattention.gpu;

import java.util.Locale;
import org.ringattention.io.BadInputException;

/**
 * The number format the GPU kernels take their inputs in (Q, K, V; the encoder's GEMM inputs).
 * Accumulation, the softmax state and everything between the GEMMs are fp32 in every case. {@code FP32} is
 * exact to fp32 rounding (CUDA cores); {@code BF16} and {@code FP16} round the inputs once and run on tensor
 * cores (mma.sync) where a tensor-core kernel is compiled (attention at head dimension 64 and 128, the
 * encoder's projections); elsewhere the fp32 kernel serves them ({@link LaunchShape#serving}). Users choose
 * fp32 or bf16 ({@code --precision}); fp16 (range to 65504 only) is for the device check.
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

    /** {@code fp32} or {@code bf16} as written on a command line ({@code --precision}); null is fp32. */
    public static Precision parse(String text) {
        if (text == null) {
            return FP32;
        }
        for (Precision p : new Precision[] {FP32, BF16}) {
            if (p.label().equals(text)) {
                return p;
            }
        }
        throw new BadInputException("--precision must be fp32 or bf16, got '" + text + "'");
    }

    /** As written on a command line: {@code fp32}, {@code bf16}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The labels users may give, for a Param's validator. */
    public static String[] labels() {
        return new String[] {FP32.label(), BF16.label()};
    }
}
