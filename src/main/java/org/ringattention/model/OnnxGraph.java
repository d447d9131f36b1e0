package org.ringattention.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ringattention.io.BadInputException;

/**
 * The parts of an ONNX {@code ModelProto} that a weight loader needs: the main graph's nodes (op type,
 * inputs, outputs, attributes) and its initializers, float32 and integer ones decoded. Field numbers
 * are those of onnx/onnx.proto3; nothing else of the format is interpreted.
 *
 * <p>External data (tensors stored beside the model file) is read only from files inside the model's
 * directory: a location that is absolute or resolves (symbolic links followed) outside that directory
 * is refused, as CVE-2022-25882 and CVE-2024-27318 were about exactly that.
 */
public final class OnnxGraph {

    /** One operator of the graph. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs,
                       Map<String, Attribute> attributes) {
    }

    /** A node attribute: only the float, int and tensor kinds are decoded. */
    public record Attribute(String name, float f, long i, OnnxTensor t) {
    }

    private final List<Node> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final List<String> inputs;
    private final List<String> outputs;

    private OnnxGraph(List<Node> nodes, Map<String, OnnxTensor> initializers, List<String> inputs, List<String> outputs) {
        this.nodes = Collections.unmodifiableList(nodes);
        this.initializers = Collections.unmodifiableMap(initializers);
        this.inputs = Collections.unmodifiableList(inputs);
        this.outputs = Collections.unmodifiableList(outputs);
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    /** Names of the graph inputs that are not initializers: what a caller feeds. */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** Reads an {@code .onnx} file; external data, if any, is looked up in the file's directory. */
    public static OnnxGraph read(Path file) {
        String what = "ONNX model " + file;
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8) {
                throw new BadInputException(what + " is " + size + " bytes; a single protobuf cannot exceed 2 GB:"
                        + " save the weights as external data (onnx.save(..., save_as_external_data=True))");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException(what + " does not exist");
        } catch (IOException e) {
            throw new BadInputException(what + " cannot be read: " + e.getMessage(), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(bytes, dir, what);
    }

    /**
     * Parses a model held in memory (e.g. a resource inside a jar). {@code externalDataDir} is the
     * directory external-data locations are resolved in, or null to refuse external data.
     */
    public static OnnxGraph parse(byte[] bytes, Path externalDataDir, String what) {
        ProtoReader model = new ProtoReader(bytes, 0, bytes.length, what);
        ProtoReader graph = null;
        while (model.next()) {
            if (model.field() == 7 && model.wireType() == ProtoReader.LENGTH_DELIMITED) {
                graph = model.message();
            } else {
                model.skip();
            }
        }
        if (graph == null) {
            throw new BadInputException(what + " has no graph; is it an ONNX model file?");
        }
        List<Node> nodes = new ArrayList<>();
        Map<String, OnnxTensor> initializers = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        while (graph.next()) {
            switch (graph.field()) {
                case 1 -> nodes.add(node(graph.message(), externalDataDir, what));
                case 5 -> {
                    OnnxTensor t = tensor(graph.message(), externalDataDir, what);
                    initializers.put(t.name(), t);
                }
                case 11 -> inputs.add(valueInfoName(graph.message()));
                case 12 -> outputs.add(valueInfoName(graph.message()));
                default -> graph.skip();
            }
        }
        inputs.removeIf(initializers::containsKey);
        return new OnnxGraph(nodes, initializers, inputs, outputs);
    }

    private static String valueInfoName(ProtoReader r) {
        String name = "";
        while (r.next()) {
            if (r.field() == 1) {
                name = r.string();
            } else {
                r.skip();
            }
        }
        return name;
    }

    private static Node node(ProtoReader r, Path dir, String what) {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String name = "";
        String op = "";
        Map<String, Attribute> attrs = new HashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> in.add(r.string());
                case 2 -> out.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 5 -> {
                    Attribute a = attribute(r.message(), dir, what);
                    attrs.put(a.name(), a);
                }
                default -> r.skip();
            }
        }
        return new Node(name, op, List.copyOf(in), List.copyOf(out), Map.copyOf(attrs));
    }

    private static Attribute attribute(ProtoReader r, Path dir, String what) {
        String name = "";
        float f = 0f;
        long i = 0;
        OnnxTensor t = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 2 -> f = r.wireType() == ProtoReader.FIXED32 ? Float.intBitsToFloat(r.fixed32()) : skipped(r, 0f);
                case 3 -> i = r.wireType() == ProtoReader.VARINT ? r.varint() : skipped(r, 0L);
                case 5 -> t = tensor(r.message(), dir, what);
                default -> r.skip();
            }
        }
        return new Attribute(name, f, i, t);
    }

    private static <T> T skipped(ProtoReader r, T value) {
        r.skip();
        return value;
    }

    private static OnnxTensor tensor(ProtoReader r, Path dir, String what) {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        ProtoReader.Range raw = null;
        ProtoReader.Range packedFloats = null;
        List<Float> looseFloats = new ArrayList<>();
        List<Long> ints = new ArrayList<>();
        Map<String, String> external = new HashMap<>();
        boolean isExternal = false;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> readInts(r, dims);
                case 2 -> dataType = (int) r.varint();
                case 4 -> {
                    if (r.wireType() == ProtoReader.LENGTH_DELIMITED) {
                        packedFloats = r.bytes();
                    } else {
                        looseFloats.add(Float.intBitsToFloat(r.fixed32()));
                    }
                }
                case 5, 7 -> readInts(r, ints);
                case 8 -> name = r.string();
                case 9 -> raw = r.bytes();
                case 13 -> {
                    ProtoReader e = r.message();
                    String key = "";
                    String value = "";
                    while (e.next()) {
                        if (e.field() == 1) {
                            key = e.string();
                        } else if (e.field() == 2) {
                            value = e.string();
                        } else {
                            e.skip();
                        }
                    }
                    external.put(key, value);
                }
                case 14 -> isExternal = r.varint() == 1;
                default -> r.skip();
            }
        }
        long[] shape = new long[dims.size()];
        long count = 1;
        for (int k = 0; k < shape.length; k++) {
            shape[k] = dims.get(k);
            if (shape[k] < 0) {
                throw new BadInputException(what + ": tensor '" + name + "' has a negative dimension");
            }
            count = Math.multiplyExact(count, shape[k]);
        }
        String tensorWhat = what + ": tensor '" + name + "'";
        ByteBuffer data;
        if (isExternal) {
            data = readExternal(external, dir, count, dataType, tensorWhat);
        } else if (raw != null) {
            data = ByteBuffer.wrap(r.buffer(), raw.offset(), raw.length()).slice();
        } else if (packedFloats != null) {
            data = ByteBuffer.wrap(r.buffer(), packedFloats.offset(), packedFloats.length()).slice();
        } else {
            data = null;
        }
        float[] floats = null;
        long[] longs = null;
        if (dataType == OnnxTensor.FLOAT) {
            floats = new float[checkedCount(count, tensorWhat)];
            if (data != null) {
                requireBytes(data, (long) floats.length * 4, tensorWhat);
                data.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
            } else {
                if (looseFloats.size() != floats.length) {
                    throw new BadInputException(tensorWhat + " holds " + looseFloats.size() + " values for shape "
                            + dims + "; re-export the model");
                }
                for (int k = 0; k < floats.length; k++) {
                    floats[k] = looseFloats.get(k);
                }
            }
        } else if (dataType == OnnxTensor.INT64 || dataType == OnnxTensor.INT32) {
            longs = new long[checkedCount(count, tensorWhat)];
            if (data != null) {
                int width = dataType == OnnxTensor.INT64 ? 8 : 4;
                requireBytes(data, (long) longs.length * width, tensorWhat);
                data.order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < longs.length; k++) {
                    longs[k] = width == 8 ? data.getLong(k * 8) : data.getInt(k * 4);
                }
            } else {
                if (ints.size() != longs.length) {
                    throw new BadInputException(tensorWhat + " holds " + ints.size() + " values for shape "
                            + dims + "; re-export the model");
                }
                for (int k = 0; k < longs.length; k++) {
                    longs[k] = ints.get(k);
                }
            }
        }
        return new OnnxTensor(name, dataType, shape, floats, longs);
    }

    private static int checkedCount(long count, String what) {
        if (count > Integer.MAX_VALUE - 8) {
            throw new BadInputException(what + " has " + count + " elements, more than one Java array holds");
        }
        return (int) count;
    }

    private static void requireBytes(ByteBuffer data, long need, String what) {
        if (data.remaining() != need) {
            throw new BadInputException(what + " has " + data.remaining() + " bytes of data; its shape needs " + need
                    + "; the file is truncated or corrupt");
        }
    }

    private static void readInts(ProtoReader r, List<Long> into) {
        if (r.wireType() == ProtoReader.LENGTH_DELIMITED) {
            ProtoReader packed = r.message();
            while (packed.hasMore()) {
                into.add(packed.varint());
            }
        } else {
            into.add(r.varint());
        }
    }

    private static ByteBuffer readExternal(Map<String, String> external, Path dir, long count, int dataType,
                                           String what) {
        String location = external.get("location");
        if (location == null || location.isEmpty()) {
            throw new BadInputException(what + " is marked as external data but names no location; re-export the model");
        }
        if (dir == null) {
            throw new BadInputException(what + " keeps its data in an external file, which is only read for a model"
                    + " loaded from a directory; pass the model's directory");
        }
        Path base;
        Path target;
        try {
            base = dir.toRealPath();
            Path candidate = Path.of(location);
            if (candidate.isAbsolute()) {
                throw new BadInputException(what + " names an absolute external-data path; external data must be a"
                        + " relative path inside the model directory " + base);
            }
            Path resolved = base.resolve(candidate).normalize();
            if (!resolved.startsWith(base)) {
                throw new BadInputException(what + " names external data outside the model directory " + base
                        + "; move the data file into that directory");
            }
            if (!Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) {
                throw new BadInputException(what + " names external data file '" + location + "', which is missing from "
                        + base);
            }
            target = resolved.toRealPath();
            if (!target.startsWith(base)) {
                throw new BadInputException(what + " names external data that links outside the model directory " + base
                        + "; copy the data file into that directory");
            }
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new BadInputException(what + ": cannot resolve external data location: " + e.getMessage(), e);
        }
        long offset = parseLong(external.getOrDefault("offset", "0"), what);
        int width = dataType == OnnxTensor.INT64 ? 8 : 4;
        long length = external.containsKey("length") ? parseLong(external.get("length"), what) : count * width;
        if (length > Integer.MAX_VALUE - 8) {
            throw new BadInputException(what + " has " + length + " bytes of external data, more than one buffer holds");
        }
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.READ)) {
            if (offset < 0 || length < 0 || offset + length > ch.size()) {
                throw new BadInputException(what + " reads bytes [" + offset + ", " + (offset + length) + ") of '"
                        + location + "', which has " + ch.size() + "; the data file is truncated or does not belong to"
                        + " this model");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) length);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    throw new BadInputException(what + ": external data file '" + location + "' ended early");
                }
            }
            buf.flip();
            return buf;
        } catch (IOException e) {
            throw new BadInputException(what + ": cannot read external data '" + location + "': " + e.getMessage(), e);
        }
    }

    private static long parseLong(String s, String what) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new BadInputException(what + " has a non-numeric external-data offset or length");
        }
    }
}
