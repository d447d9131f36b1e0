package org.ringattention.ring;

import java.util.Locale;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;

/**
 * Compression of Arrow IPC buffers on the wire (Arrow's own per-buffer codecs, from
 * {@code arrow-compression}). Float activations compress poorly, so the default is none; the codecs
 * pay off for low-entropy inputs (padding, quantized values) or a slow network.
 */
public enum WireCompression {
    NONE(CompressionUtil.CodecType.NO_COMPRESSION),
    LZ4(CompressionUtil.CodecType.LZ4_FRAME),
    ZSTD(CompressionUtil.CodecType.ZSTD);

    final CompressionUtil.CodecType codec;

    WireCompression(CompressionUtil.CodecType codec) {
        this.codec = codec;
    }

    /** The codec factory for writing: arrow-compression's for LZ4 and ZSTD, which refuses "none". */
    CompressionCodec.Factory factory() {
        return this == NONE ? NoCompressionCodec.Factory.INSTANCE : CommonsCompressionFactory.INSTANCE;
    }

    /** Parses {@code none}, {@code lz4} or {@code zstd}. */
    public static WireCompression parse(String name) {
        for (WireCompression c : values()) {
            if (c.toString().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("compression must be none, lz4 or zstd, got '" + name + "'");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
