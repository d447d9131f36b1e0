package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class GpuRuntimeTest {

    private static final int FATBIN_MAGIC = 0xBA55ED50;

    static boolean nvccOnPath() {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, "nvcc")));
    }

    /**
     * With nvcc the jar carries a fatbin holding sm_80 and sm_90(a) machine code and compute_80 PTX (entry
     * kinds 2 = ELF, 1 = PTX; the SM version sits 28 bytes into each entry header). Without nvcc it holds
     * none and the runtime says so.
     */
    @Test
    void fatbinIsPackagedExactlyWhenNvccBuiltIt() throws IOException {
        try (InputStream in = GpuRuntime.class.getResourceAsStream(GpuRuntime.FATBIN_RESOURCE)) {
            if (!nvccOnPath()) {
                assertNull(in, "no nvcc, yet a fatbin is on the class path");
                GpuRuntime.Availability a = GpuRuntime.availability();
                assertFalse(a.usable());
                assertTrue(a.reason().startsWith("this jar was built without nvcc"), a.reason());
                return;
            }
            assertNotNull(in, "nvcc is on PATH but the build packaged no " + GpuRuntime.FATBIN_RESOURCE);
            ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(FATBIN_MAGIC, b.getInt(0));
            int headerSize = Short.toUnsignedInt(b.getShort(6));
            long payload = b.getLong(8);
            Set<String> entries = new HashSet<>();
            int kernelsChecked = 0;
            long off = headerSize;
            while (off < headerSize + payload) {
                int at = Math.toIntExact(off);
                int kind = Short.toUnsignedInt(b.getShort(at));
                int entryHeader = b.getInt(at + 4);
                long padded = b.getLong(at + 8);
                int sm = b.getInt(at + 28);
                entries.add((kind == 1 ? "ptx" : kind == 2 ? "sass" : "kind" + kind) + "_" + sm);
                if (kind == 2) {
                    // Machine code is stored uncompressed: each kernel the host looks up has its .text section.
                    String elf = new String(b.array(), at + entryHeader, Math.toIntExact(padded), StandardCharsets.ISO_8859_1);
                    for (String kernel : hostKernels()) {
                        assertTrue(elf.contains(".text." + kernel + "\0"), kernel + " missing from the sm_" + sm + " code");
                        kernelsChecked++;
                    }
                }
                off += entryHeader + padded;
            }
            assertEquals(Set.of("ptx_80", "sass_80", "sass_90"), entries);
            assertEquals(2 * hostKernels().size(), kernelsChecked);
        }
    }

    /** Every kernel name the host side can launch. */
    private static Set<String> hostKernels() {
        Set<String> names = new HashSet<>(Set.of("ra_tile_bounds", "ra_f32_to_bf16", "ra_f32_to_f16"));
        for (int d : LaunchShape.FP32_DIMS) {
            names.add(LaunchShape.of(Precision.FP32, d).function());
            names.add(LaunchShape.mass(d).function());
        }
        for (int d : LaunchShape.MMA_DIMS) {
            names.add(LaunchShape.of(Precision.BF16, d).function());
            names.add(LaunchShape.of(Precision.FP16, d).function());
        }
        return names;
    }

    /** Here (no NVIDIA driver) the runtime is unavailable with a reason; on a GPU machine it opens device 0. */
    @Test
    void availabilityIsReportedWithAReason() {
        GpuRuntime.Availability a = GpuRuntime.availability();
        if (a.usable()) {
            GpuRuntime.Device d = GpuRuntime.device(0);
            assertTrue(d.computeCapability() >= 80, d.name() + " cc " + d.computeCapability());
            assertFalse(d.name().isEmpty());
            return;
        }
        assertFalse(a.reason().isEmpty());
        assertEquals(0, a.devices());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> GpuRuntime.device(0));
        assertEquals("no usable GPU: " + a.reason(), e.getMessage());
        if (nvccOnPath()) {
            assertTrue(a.reason().startsWith("the NVIDIA driver (libcuda.so.1) cannot be loaded: ")
                    || a.reason().startsWith("the NVIDIA driver sees no CUDA device")
                    || a.reason().startsWith("CUDA does not start: "), a.reason());
        }
    }
}
