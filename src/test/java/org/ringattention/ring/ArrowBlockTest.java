package org.ringattention.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArrowBlockTest {

    private static TokenRows rows(int n, boolean compressible) {
        SplittableRandom random = new SplittableRandom(n);
        int[] documents = new int[n];
        int[] positions = new int[n];
        int[] segments = new int[n];
        float[] k = new float[n * 24];
        float[] v = new float[n * 24];
        for (int i = 0; i < n; i++) {
            documents[i] = i / 10;
            positions[i] = 3 * i + 1;
            segments[i] = -i;
        }
        for (int i = 0; i < k.length; i++) {
            k[i] = compressible ? (i % 7) * 0.5f : (float) random.nextGaussian();
            v[i] = compressible ? 0f : Float.intBitsToFloat(random.nextInt());
        }
        return new TokenRows(documents, positions, segments,
                List.of(new TokenRows.FloatColumn("k", 24, k), new TokenRows.FloatColumn("v", 24, v)));
    }

    @Test
    void everyCodecRoundTripsBitForBit() throws Exception {
        int checked = 0;
        for (WireCompression compression : WireCompression.values()) {
            for (int n : new int[] {0, 1, 37, 1000}) {
                TokenRows in = rows(n, false);
                ArrowBlock block = ArrowBlock.encode(in, compression);
                // The block also crosses Java serialization (Spark's shuffle serializer) intact.
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                    out.writeObject(block);
                }
                ArrowBlock back;
                try (ObjectInputStream inStream = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                    back = (ArrowBlock) inStream.readObject();
                }
                TokenRows out = back.decode();
                assertEquals(n, back.rows());
                assertArrayEquals(in.documents(), out.documents());
                assertArrayEquals(in.positions(), out.positions());
                assertArrayEquals(in.segments(), out.segments());
                for (String name : List.of("k", "v")) {
                    assertEquals(24, out.column(name).width());
                    // Compare bits: V holds NaN payloads and signed zeros that == would blur.
                    float[] a = in.column(name).values();
                    float[] b = out.column(name).values();
                    assertEquals(a.length, b.length);
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), name + "[" + i + "]");
                    }
                }
                checked++;
            }
        }
        assertEquals(12, checked);
    }

    @Test
    void codecsShrinkLowEntropyBlocks() {
        TokenRows in = rows(4096, true);
        int plain = ArrowBlock.encode(in, WireCompression.NONE).size();
        int lz4 = ArrowBlock.encode(in, WireCompression.LZ4).size();
        int zstd = ArrowBlock.encode(in, WireCompression.ZSTD).size();
        assertTrue(plain > 2 * 4096 * 24 * 4, "uncompressed holds the floats: " + plain);
        assertTrue(lz4 < plain / 4, "lz4 " + lz4 + " vs " + plain);
        assertTrue(zstd < plain / 4, "zstd " + zstd + " vs " + plain);
    }
}
