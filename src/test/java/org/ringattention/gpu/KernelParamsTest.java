package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class KernelParamsTest {

    private static final KernelParams.Addresses ADDRESSES = new KernelParams.Addresses(
            0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000, 0x8000, 0x9000, 0xA000, 0xB000, 0xC000);

    @Test
    void packsAddressesIntsScaleAndFlagsAtTheStructOffsets() {
        byte[] bytes = KernelParams.pack(ADDRESSES, 1000, 777, 8, 2, 64, 0.125f, true, true, true, false);
        assertEquals(KernelParams.SIZE, bytes.length);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long[] expected = {0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000, 0x8000, 0x9000, 0xA000, 0xB000, 0xC000};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], b.getLong(8 * i), "address " + i);
        }
        assertEquals(1000, b.getInt(KernelParams.OFFSET_Q_ROWS));
        assertEquals(777, b.getInt(100));
        assertEquals(8, b.getInt(104));
        assertEquals(2, b.getInt(108));
        assertEquals(64, b.getInt(112));
        assertEquals((float) (0.125 * KernelParams.LOG2E), b.getFloat(KernelParams.OFFSET_SCALE_LOG2));
        assertEquals(KernelParams.CAUSAL | KernelParams.SEGMENTS | KernelParams.LOAD_STATE,
                b.getInt(KernelParams.OFFSET_FLAGS));
        assertEquals(0, b.getInt(124));
    }

    @Test
    void flagsAreIndependentBits() {
        ByteBuffer none = ByteBuffer.wrap(KernelParams.pack(ADDRESSES, 1, 1, 1, 1, 32, 1f, false, false, false, false))
                .order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer finish = ByteBuffer.wrap(KernelParams.pack(ADDRESSES, 1, 1, 1, 1, 32, 1f, false, false, false, true))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, none.getInt(KernelParams.OFFSET_FLAGS));
        assertEquals(KernelParams.FINISH, finish.getInt(KernelParams.OFFSET_FLAGS));
    }

    @Test
    void segmentMaskingWithoutSegmentBuffersIsRefused() {
        KernelParams.Addresses noSegments = new KernelParams.Addresses(1, 2, 3, 4, 5, 0, 0, 8, 9, 10, 11, 12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelParams.pack(noSegments, 1, 1, 1, 1, 32, 1f, false, true, false, false));
        assertEquals("segment masking needs segment ids on the device for queries and keys", e.getMessage());
    }

    /** The C header pins its layout with static_asserts and flag #defines; they must say what Java writes. */
    @Test
    void agreesWithTheCudaHeader() throws IOException {
        String header = Files.readString(Path.of("src/main/cuda/attention_params.h"));
        Map<String, Integer> offsets = new HashMap<>();
        Matcher m = Pattern.compile("offsetof\\(AttnParams, (\\w+)\\) == (\\d+)").matcher(header);
        while (m.find()) {
            offsets.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertEquals(Map.of("k_tiles", 64, "l", 88, "q_rows", KernelParams.OFFSET_Q_ROWS,
                "scale_log2", KernelParams.OFFSET_SCALE_LOG2, "flags", KernelParams.OFFSET_FLAGS), offsets);
        Matcher size = Pattern.compile("sizeof\\(AttnParams\\) == (\\d+)").matcher(header);
        assertEquals(true, size.find());
        assertEquals(KernelParams.SIZE, Integer.parseInt(size.group(1)));
        Map<String, Integer> flags = new HashMap<>();
        Matcher f = Pattern.compile("#define RA_(CAUSAL|SEGMENTS|LOAD_STATE|FINISH) (\\d+)").matcher(header);
        while (f.find()) {
            flags.put(f.group(1), Integer.parseInt(f.group(2)));
        }
        assertEquals(Map.of("CAUSAL", KernelParams.CAUSAL, "SEGMENTS", KernelParams.SEGMENTS,
                "LOAD_STATE", KernelParams.LOAD_STATE, "FINISH", KernelParams.FINISH), flags);
    }
}
