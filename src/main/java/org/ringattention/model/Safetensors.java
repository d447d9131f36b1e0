package org.ringattention.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonSyntaxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ringattention.io.BadInputException;

/**
 * Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes
 * of JSON mapping each tensor name to its dtype, shape and {@code [begin, end)} byte range in the data
 * that follows, then the data. Nothing in the file is executed or deserialized as objects.
 *
 * <p>Reading accepts F32, F16 and BF16 (widened to float32) and refuses a header longer than
 * {@value #MAX_HEADER_BYTES} bytes (the limit of the reference implementation), ranges outside the data
 * or not matching the shape, and overlapping tensors. Writing emits F32 only, to a temporary file renamed
 * into place.
 */
public final class Safetensors {

    /** The reference implementation's cap: a header this long is a corrupt or hostile file, not a model. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private Safetensors() {
    }

    /** Every tensor of {@code file}, by name, in header order. */
    public static Map<String, Tensor> read(Path file) {
        String what = "safetensors file " + file;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new BadInputException(what + " is " + size + " bytes, too short for a safetensors header");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, what);
            long n = lenBuf.getLong(0);
            if (n < 2 || n > MAX_HEADER_BYTES) {
                throw new BadInputException(what + " declares a " + Long.toUnsignedString(n) + "-byte header; safetensors"
                        + " headers are at most " + MAX_HEADER_BYTES + " bytes: the file is corrupt or not safetensors");
            }
            if (8 + n > size) {
                throw new BadInputException(what + " declares a " + n + "-byte header but has only " + (size - 8)
                        + " bytes after the length; the file is truncated");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headerBuf, 8, what);
            JsonObject header = parseHeader(new String(headerBuf.array(), StandardCharsets.UTF_8), what);
            long dataStart = 8 + n;
            long dataSize = size - dataStart;
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            long[][] ranges = new long[header.size()][];
            int count = 0;
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                Entry entry = entry(e.getKey(), e.getValue(), dataSize, what);
                ranges[count++] = new long[] {entry.begin, entry.end};
                ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(entry.end - entry.begin));
                readFully(ch, data, dataStart + entry.begin, what);
                tensors.put(e.getKey(), new Tensor(entry.shape, decode(data, entry.dtype)));
            }
            checkDisjoint(Arrays.copyOf(ranges, count), what);
            return tensors;
        } catch (NoSuchFileException e) {
            throw new BadInputException(what + " does not exist");
        } catch (IOException e) {
            throw new BadInputException(what + " cannot be read: " + e.getMessage(), e);
        }
    }

    private record Entry(String dtype, int[] shape, long begin, long end) {
    }

    private static JsonObject parseHeader(String json, String what) {
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new BadInputException(what + ": the header is not a JSON object; the file is not safetensors");
            }
            return e.getAsJsonObject();
        } catch (JsonSyntaxException e) {
            throw new BadInputException(what + ": the header is not valid JSON; the file is corrupt or not safetensors");
        }
    }

    private static Entry entry(String name, JsonElement value, long dataSize, String what) {
        String tw = what + ": tensor '" + name + "'";
        if (!value.isJsonObject()) {
            throw new BadInputException(tw + " has no dtype/shape/data_offsets object");
        }
        JsonObject o = value.getAsJsonObject();
        if (!o.has("dtype") || !o.has("shape") || !o.has("data_offsets") || !o.get("shape").isJsonArray()
                || !o.get("data_offsets").isJsonArray() || o.getAsJsonArray("data_offsets").size() != 2) {
            throw new BadInputException(tw + " lacks dtype, shape or a two-element data_offsets");
        }
        String dtype = o.get("dtype").getAsString();
        int width = switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new BadInputException(tw + " has dtype " + dtype + "; only F32, F16 and BF16 weights are"
                    + " supported: convert the checkpoint to float32");
        };
        JsonArray dims = o.getAsJsonArray("shape");
        int[] shape = new int[dims.size()];
        long count = 1;
        for (int k = 0; k < shape.length; k++) {
            long d = integer(dims.get(k), tw);
            if (d > Integer.MAX_VALUE) {
                throw new BadInputException(tw + " has a dimension of " + d + ", too large");
            }
            shape[k] = (int) d;
            count = Math.multiplyExact(count, d);
        }
        long begin = integer(o.getAsJsonArray("data_offsets").get(0), tw);
        long end = integer(o.getAsJsonArray("data_offsets").get(1), tw);
        if (begin > end || end > dataSize) {
            throw new BadInputException(tw + " has data_offsets [" + begin + ", " + end + ") outside the "
                    + dataSize + " bytes of data; the file is truncated or corrupt");
        }
        if (end - begin != count * width) {
            throw new BadInputException(tw + " has " + (end - begin) + " bytes of data; shape " + Arrays.toString(shape)
                    + " in " + dtype + " needs " + count * width);
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new BadInputException(tw + " has " + count + " elements, more than one Java array holds");
        }
        return new Entry(dtype, shape, begin, end);
    }

    private static long integer(JsonElement e, String what) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new BadInputException(what + " has a non-numeric shape or offset");
        }
        double d = e.getAsDouble();
        if (d < 0 || d != Math.rint(d) || d > 9.0e15) {
            throw new BadInputException(what + " has a shape or offset that is not a non-negative integer");
        }
        return e.getAsLong();
    }

    private static void checkDisjoint(long[][] ranges, String what) {
        Arrays.sort(ranges, (a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < ranges.length; i++) {
            if (ranges[i][0] < ranges[i - 1][1]) {
                throw new BadInputException(what + " has overlapping tensors at byte " + ranges[i][0]
                        + "; the file is corrupt");
            }
        }
    }

    private static float[] decode(ByteBuffer data, String dtype) {
        data.flip();
        data.order(ByteOrder.LITTLE_ENDIAN);
        if (dtype.equals("F32")) {
            float[] out = new float[data.remaining() / 4];
            data.asFloatBuffer().get(out);
            return out;
        }
        float[] out = new float[data.remaining() / 2];
        for (int i = 0; i < out.length; i++) {
            int bits = data.getShort(i * 2) & 0xffff;
            out[i] = dtype.equals("BF16") ? Float.intBitsToFloat(bits << 16) : halfToFloat(bits);
        }
        return out;
    }

    /** IEEE 754 binary16 to binary32, exact (subnormals, infinities and NaN included). */
    static float halfToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long at, String what) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf, at + buf.position()) < 0) {
                throw new BadInputException(what + " ended early; the file is truncated");
            }
        }
    }
}
