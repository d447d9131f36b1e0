package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CudaErrorsTest {

    @Test
    void classifiesStickyAndOutOfMemory() {
        for (int code : new int[] {700, 714, 715, 716, 717, 718, 719, 999}) {
            assertTrue(new CudaFailure(code, "x").sticky(), "code " + code);
        }
        for (int code : new int[] {1, 2, 100, 200, 209, 701}) {
            assertFalse(new CudaFailure(code, "x").sticky(), "code " + code);
        }
        assertTrue(new CudaFailure(2, "cuMemAlloc").outOfMemory());
        assertFalse(new CudaFailure(700, "x").outOfMemory());
        assertEquals("cuMemAlloc(64 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2)",
                new CudaFailure(2, "cuMemAlloc(64 bytes)").getMessage());
    }

    @Test
    void stickyErrorInASparkTaskHaltsTheProcess() {
        List<Integer> halts = new ArrayList<>();
        RuntimeException e = FatalCudaErrors.handle(new CudaFailure(700, "attention kernel"), true, halts::add);
        assertEquals(List.of(FatalCudaErrors.EXIT_STATUS), halts);
        assertTrue(e.getMessage().startsWith("the GPU context of this process is lost after attention kernel failed:"
                + " CUDA_ERROR_ILLEGAL_ADDRESS (700)"), e.getMessage());
    }

    @Test
    void stickyErrorOutsideSparkIsThrownWithoutHalting() {
        List<Integer> halts = new ArrayList<>();
        RuntimeException e = FatalCudaErrors.handle(new CudaFailure(719, "k"), false, halts::add);
        assertEquals(List.of(), halts);
        assertTrue(e instanceof IllegalStateException);
        assertTrue(e.getMessage().endsWith("; restart the process, or use --device cpu"), e.getMessage());
    }

    @Test
    void otherErrorsPassThroughUntouched() {
        List<Integer> halts = new ArrayList<>();
        CudaFailure invalid = new CudaFailure(1, "cuLaunchKernel");
        assertSame(invalid, FatalCudaErrors.handle(invalid, true, halts::add));
        assertEquals(List.of(), halts);
    }

    @Test
    void sparkAddressesBecomeOrdinals() {
        assertEquals(0, GpuAssignment.ordinalOf(new String[] {"0"}));
        assertEquals(3, GpuAssignment.ordinalOf(new String[] {" 3 ", "4"}));
        IllegalStateException uuid = assertThrows(IllegalStateException.class,
                () -> GpuAssignment.ordinalOf(new String[] {"GPU-8f6c"}));
        assertEquals("Spark's GPU address 'GPU-8f6c' is not a CUDA device ordinal; the discovery script must print"
                + " ordinals such as \"0\" (conf/gpu-discovery.sh)", uuid.getMessage());
        assertThrows(IllegalStateException.class,
                () -> GpuAssignment.ordinalOf(new String[0]));
        assertEquals(0, GpuAssignment.deviceOrdinal(), "outside Spark: device 0");
        assertFalse(GpuAssignment.inSparkTask());
    }
}
