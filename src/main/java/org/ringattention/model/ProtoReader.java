package org.ringattention.model;

import java.nio.charset.StandardCharsets;
import org.ringattention.io.BadInputException;

/**
 * Reads the protocol buffers wire format (varints, fixed 32/64-bit, length-delimited fields) from a
 * byte range, with every length checked against the range. Enough to walk the few ONNX messages the
 * loader needs without generated code; unknown fields are skipped, as protobuf itself does.
 */
final class ProtoReader {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final byte[] buf;
    private final int end;
    private final String what;
    private int pos;
    private int tag;

    ProtoReader(byte[] buf, int from, int to, String what) {
        this.buf = buf;
        this.pos = from;
        this.end = to;
        this.what = what;
    }

    boolean hasMore() {
        return pos < end;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (pos >= end) {
            return false;
        }
        long t = varint();
        if (t >>> 3 == 0 || t > Integer.MAX_VALUE) {
            throw malformed("field number 0 or too large");
        }
        tag = (int) t;
        return true;
    }

    int field() {
        return tag >>> 3;
    }

    int wireType() {
        return tag & 7;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw malformed("varint runs past the end");
            }
            byte b = buf[pos++];
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw malformed("varint longer than 10 bytes");
    }

    int fixed32() {
        need(4);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    /** A length-delimited field as a reader over its bytes. */
    ProtoReader message() {
        int len = length();
        ProtoReader r = new ProtoReader(buf, pos, pos + len, what);
        pos += len;
        return r;
    }

    String string() {
        int len = length();
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    /** Where a length-delimited field's bytes lie in {@link #buffer()}. */
    record Range(int offset, int length) {
    }

    Range bytes() {
        int len = length();
        Range r = new Range(pos, len);
        pos += len;
        return r;
    }

    byte[] buffer() {
        return buf;
    }

    /** Skips the current field's value. */
    void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case FIXED64 -> {
                need(8);
                pos += 8;
            }
            case LENGTH_DELIMITED -> {
                // Not "pos += length()": that would add to pos as it was before length() read the varint.
                int len = length();
                pos += len;
            }
            case FIXED32 -> {
                need(4);
                pos += 4;
            }
            default -> throw malformed("unsupported wire type " + wireType());
        }
    }

    private int length() {
        if (wireType() != LENGTH_DELIMITED) {
            throw malformed("field " + field() + " has wire type " + wireType() + " where bytes were expected");
        }
        long len = varint();
        if (len < 0 || len > end - pos) {
            throw malformed("field " + field() + " claims " + len + " bytes but " + (end - pos) + " remain");
        }
        return (int) len;
    }

    private void need(int n) {
        if (end - pos < n) {
            throw malformed("a fixed-size value runs past the end");
        }
    }

    BadInputException malformed(String detail) {
        return new BadInputException(what + " is not a valid ONNX protobuf (" + detail + " at byte " + pos
                + "); re-export the model with torch.onnx.export or optimum");
    }
}
