package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
