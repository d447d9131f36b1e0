package org.ringattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @TempDir
    Path dir;

    @Test
    void float32RoundTrip() {
        float[] data = {1f, -2.5f, Float.MIN_VALUE, 3e38f, 0f, 7f};
        Path p = dir.resolve("a.npy");
        Npy.writeFloat32(p, data, 2, 3);
        NpyArray back = Npy.readFloat32(p, "A");
        assertArrayEquals(new int[] {2, 3}, back.shape());
        assertArrayEquals(data, back.data());
        assertEquals("(2, 3)", back.shapeText());
    }

    @Test
    void idsRoundTripAndInt64() throws IOException {
        Path p = dir.resolve("ids.npy");
        Npy.writeInt32(p, new int[] {0, 0, 5, -1});
        assertArrayEquals(new int[] {0, 0, 5, -1}, Npy.readIds(p, "SEG"));
        Path wide = write("wide.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", longs(7, 1L << 40));
        BadInputException e = assertThrows(BadInputException.class, () -> Npy.readIds(wide, "SEG"));
        assertTrue(e.getMessage().contains("outside the int32 range"), e.getMessage());
        Path ok = write("ok.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", longs(7, -3));
        assertArrayEquals(new int[] {7, -3}, Npy.readIds(ok, "SEG"));
    }

    @Test
    void refusals() throws IOException {
        Path text = dir.resolve("text.npy");
        Files.writeString(text, "not numpy at all");
        assertRefused(() -> Npy.readFloat32(text, "Q"), "Q is not a .npy file");
        assertRefused(() -> Npy.readFloat32(dir.resolve("missing.npy"), "Q"), "Q does not exist");
        Path f64 = write("f64.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new byte[8]);
        assertRefused(() -> Npy.readFloat32(f64, "Q"), "Q has dtype '<f8'");
        Path big = write("big.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        assertRefused(() -> Npy.readFloat32(big, "Q"), "Q has dtype '>f4'");
        Path fortran = write("f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", new byte[4]);
        assertRefused(() -> Npy.readFloat32(fortran, "Q"), "Q is in Fortran order");
        Path truncated = write("t.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", new byte[8]);
        assertRefused(() -> Npy.readFloat32(truncated, "Q"), "truncated or corrupt");
        Path matrixIds = write("m.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1), }", new byte[4]);
        assertRefused(() -> Npy.readIds(matrixIds, "SEG"), "SEG has shape (1, 1)");
        Path floatIds = write("fi.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        assertRefused(() -> Npy.readIds(floatIds, "SEG"), "SEG has dtype '<f4'");
    }

    @Test
    void writingIntoAMissingDirectoryLeavesNothing() {
        Path p = dir.resolve("absent").resolve("o.npy");
        assertRefused(() -> Npy.writeFloat32(p, new float[1], 1), "does not exist");
        assertTrue(!Files.exists(p.getParent()));
    }

    private static void assertRefused(org.junit.jupiter.api.function.Executable call, String message) {
        BadInputException e = assertThrows(BadInputException.class, call);
        assertTrue(e.getMessage().contains(message), "'" + e.getMessage() + "' should contain '" + message + "'");
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    private Path write(String name, String dict, byte[] body) throws IOException {
        String header = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(body);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private static byte[] longs(long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }
}
