package org.ringattention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevicesTest {

    @Test
    void cpuNeverProbesTheGpu() {
        List<String> log = new ArrayList<>();
        assertEquals(Devices.Backend.CPU, Devices.decide(Devices.Request.CPU, () -> {
            throw new AssertionError("--device cpu must not touch CUDA");
        }, log::add));
        assertEquals(List.of(), log);
    }

    @Test
    void gpuWithAWorkingGpuUsesIt() {
        List<String> log = new ArrayList<>();
        assertEquals(Devices.Backend.GPU, Devices.decide(Devices.Request.GPU, () -> null, log::add));
        assertEquals(Devices.Backend.GPU, Devices.decide(Devices.Request.AUTO, () -> null, log::add));
        assertEquals(List.of(), log);
    }

    @Test
    void gpuWithoutAWorkingGpuFailsNamingTheReasonAndTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Devices.decide(Devices.Request.GPU, () -> "no usable GPU: no driver", m -> { }));
        assertEquals("--device gpu: no usable GPU: no driver; use --device cpu or --device auto", e.getMessage());
    }

    @Test
    void autoFallsBackToTheCpuAndSaysWhy() {
        List<String> log = new ArrayList<>();
        assertEquals(Devices.Backend.CPU, Devices.decide(Devices.Request.AUTO, () -> "no usable GPU: no driver", log::add));
        assertEquals(List.of("device auto: using the CPU (no usable GPU: no driver)"), log);
    }

    @Test
    void parsesTheOption() {
        assertEquals(Devices.Request.CPU, Devices.Request.parse(null));
        assertEquals(Devices.Request.CPU, Devices.Request.parse("cpu"));
        assertEquals(Devices.Request.GPU, Devices.Request.parse("gpu"));
        assertEquals(Devices.Request.AUTO, Devices.Request.parse("auto"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.Request.parse("GPU0"));
        assertEquals("--device must be cpu, gpu or auto, got 'GPU0'", e.getMessage());
    }

    @Test
    void precisionParses() {
        assertEquals(Precision.BF16, Precision.parse("bf16"));
        assertEquals(Precision.FP32, Precision.parse("fp32"));
        assertThrows(IllegalArgumentException.class, () -> Precision.parse("tf32"));
    }
}
