package org.ringattention.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1 to 3): little-endian float32 tensors
 * and int32/int64 id vectors, C order only. Every refusal is a {@link BadInputException} naming the
 * input ({@code what}, e.g. "Q (q.npy)") and the fix. Writes go to a temporary file in the target's
 * directory and are renamed into place when complete, so a failed run leaves no partial output.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    private record Header(String descr, int[] shape, int dataOffset) {
        long count() {
            long n = 1;
            for (int s : shape) {
                n *= s;
            }
            return n;
        }
    }

    /** A float32 array; refuses other dtypes, big-endian and Fortran-ordered data. */
    public static NpyArray readFloat32(Path path, String what) {
        ByteBuffer bytes = readAll(path, what);
        Header h = header(bytes, what);
        if (!h.descr.equals("<f4")) {
            throw new BadInputException(what + " has dtype '" + h.descr + "'; save it as little-endian float32"
                    + " (numpy: a.astype('<f4'))");
        }
        checkSize(bytes, h, 4, what);
        float[] data = new float[Math.toIntExact(h.count())];
        bytes.position(h.dataOffset);
        bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return new NpyArray(data, h.shape);
    }

    /** A vector of integer ids, int32 or int64 (values must fit in int32). */
    public static int[] readIds(Path path, String what) {
        ByteBuffer bytes = readAll(path, what);
        Header h = header(bytes, what);
        if (h.shape.length != 1) {
            throw new BadInputException(what + " has shape " + shapeText(h.shape) + "; it must be one id per token, shape (S,)");
        }
        int n = h.shape[0];
        int[] ids = new int[n];
        ByteBuffer data;
        switch (h.descr) {
            case "<i4":
                checkSize(bytes, h, 4, what);
                bytes.position(h.dataOffset);
                bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(ids);
                return ids;
            case "<i8":
                checkSize(bytes, h, 8, what);
                bytes.position(h.dataOffset);
                data = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    long id = data.getLong(8 * i);
                    if (id != (int) id) {
                        throw new BadInputException(what + " holds id " + id + " at index " + i
                                + ", outside the int32 range; renumber the segments");
                    }
                    ids[i] = (int) id;
                }
                return ids;
            default:
                throw new BadInputException(what + " has dtype '" + h.descr + "'; save it as little-endian int32 or int64");
        }
    }

    /** Writes a float32 array of the given shape, atomically. */
    public static void writeFloat32(Path path, float[] data, int... shape) {
        NpyArray array = new NpyArray(data, shape);
        byte[] header = headerBytes("<f4", array.shape());
        ByteBuffer body = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(data);
        writeAtomically(path, header, body.array());
    }

    /** Writes an int32 id vector, atomically. */
    public static void writeInt32(Path path, int[] ids) {
        byte[] header = headerBytes("<i4", new int[] {ids.length});
        ByteBuffer body = ByteBuffer.allocate(4 * ids.length).order(ByteOrder.LITTLE_ENDIAN);
        body.asIntBuffer().put(ids);
        writeAtomically(path, header, body.array());
    }

    static String shapeText(int[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            b.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }

    private static ByteBuffer readAll(Path path, String what) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE - 64) {
                throw new BadInputException(what + " is " + size + " bytes; files over 2 GiB are not supported,"
                        + " split the sequence over --partitions");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read until full
            }
            return buf.flip();
        } catch (NoSuchFileException e) {
            throw new BadInputException(what + " does not exist; check the path");
        } catch (IOException e) {
            throw new BadInputException(what + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static Header header(ByteBuffer b, String what) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.limit() <= i || b.get(i) != MAGIC[i]) {
                throw new BadInputException(what + " is not a .npy file; save it with numpy.save");
            }
        }
        if (b.limit() < 10) {
            throw new BadInputException(what + " is a truncated .npy file; save it again with numpy.save");
        }
        int major = b.get(6);
        int headerLength;
        int start;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(b.getShort(8));
            start = 10;
        } else if (major == 2 || major == 3) {
            if (b.limit() < 12) {
                throw new BadInputException(what + " is a truncated .npy file; save it again with numpy.save");
            }
            headerLength = b.getInt(8);
            start = 12;
        } else {
            throw new BadInputException(what + " is .npy format version " + major + "; versions 1 to 3 are supported");
        }
        if (headerLength < 0 || start + (long) headerLength > b.limit()) {
            throw new BadInputException(what + " is a truncated .npy file; save it again with numpy.save");
        }
        byte[] text = new byte[headerLength];
        b.get(start, text);
        String dict = new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher descr = DESCR.matcher(dict);
        Matcher fortran = FORTRAN.matcher(dict);
        Matcher shape = SHAPE.matcher(dict);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new BadInputException(what + " has an unreadable .npy header; save it again with numpy.save");
        }
        if (fortran.group(1).equals("True")) {
            throw new BadInputException(what + " is in Fortran order; save it in C order (numpy.ascontiguousarray)");
        }
        return new Header(descr.group(1), parseShape(shape.group(1), what), start + headerLength);
    }

    private static int[] parseShape(String text, String what) {
        String[] parts = text.split(",");
        int n = 0;
        for (String p : parts) {
            if (!p.isBlank()) {
                n++;
            }
        }
        int[] shape = new int[n];
        int i = 0;
        for (String p : parts) {
            if (p.isBlank()) {
                continue;
            }
            try {
                shape[i++] = Integer.parseInt(p.strip());
            } catch (NumberFormatException e) {
                throw new BadInputException(what + " has an unreadable shape '(" + text + ")'");
            }
        }
        return shape;
    }

    private static void checkSize(ByteBuffer b, Header h, int itemSize, String what) {
        long expected = h.dataOffset + h.count() * itemSize;
        if (h.count() > Integer.MAX_VALUE || b.limit() != expected) {
            throw new BadInputException(what + " holds " + (b.limit() - h.dataOffset) + " data bytes but its shape "
                    + shapeText(h.shape) + " needs " + h.count() * itemSize + "; the file is truncated or corrupt");
        }
    }

    private static byte[] headerBytes(String descr, int[] shape) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeText(shape) + ", }";
        // Version 1.0: magic, version, uint16 length, dict padded with spaces and ended by '\n' to a multiple of 64.
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String text = dict + " ".repeat(padding) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + text.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length());
        b.put(text.getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    /** Temporary files are created owner-only; the finished output should read like any other file. */
    private static void setReadableByAll(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private static void writeAtomically(Path path, byte[] header, byte[] body) {
        Path target = path.toAbsolutePath();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
            setReadableByAll(tmp);
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
                out.write(header);
                out.write(body);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (NoSuchFileException e) {
            throw new BadInputException("output directory of " + path + " does not exist; create it first");
        } catch (IOException e) {
            throw new BadInputException("cannot write " + path + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // Best effort: the temporary name is hidden and never mistaken for output.
                }
            }
        }
    }
}
