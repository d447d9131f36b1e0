package org.ringattention.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ringattention.attention.AttentionResult;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;
import org.ringattention.gpu.Precision;
import org.ringattention.io.BadInputException;

/** The device choice with stand-in GPUs: which backend each request gets, the fallback and the self-check. */
class BackendFactoryTest {

    private static final AttentionSpec SPEC = AttentionSpec.of(2, 1, 32, true);
    private static final int ROWS = 90;

    private final List<String> log = new ArrayList<>();

    /** A driver whose GPUs cannot be opened. */
    private static final GpuDriver NO_GPU = ordinal -> {
        throw new IllegalStateException("no usable GPU: the NVIDIA driver sees no CUDA device");
    };

    /** A stand-in whose kernels are off by 0.01. */
    private static final class WrongGpu extends StandInGpuDriver {
        @Override
        float error() {
            return 0.01f;
        }
    }

    @Test
    void cpuNeverTouchesTheDriver() {
        BackendFactory factory = new BackendFactory(ordinal -> {
            throw new AssertionError("--device cpu must not open a GPU");
        });
        try (Backend b = factory.backend(place(Device.CPU, true), 16, 1)) {
            assertEquals("cpu", b.description());
        }
        assertEquals(List.of(), log);
    }

    @Test
    void aGpuIsOpenedOncePerProcessAndReusedByLaterBackends() {
        StandInGpuDriver driver = new StandInGpuDriver();
        BackendFactory factory = new BackendFactory(driver);
        for (Device d : new Device[] {Device.GPU, Device.AUTO, Device.GPU}) {
            try (Backend b = factory.backend(place(d, false), 16, 1)) {
                assertEquals("stand-in gpu 0", b.description());
                assertClose(cpuResult().out(), b.attention().attend(SPEC, problem().queries(), problem().keys()).out(), "O");
            }
        }
        assertEquals(List.of(0), driver.opened, "outside Spark every task uses device 0, opened once");
        assertEquals(List.of(), log);
    }

    @Test
    void gpuWithoutAGpuFailsNamingTheReasonAndTheFix() {
        BackendFactory factory = new BackendFactory(NO_GPU);
        BadInputException e = assertThrows(BadInputException.class, () -> factory.backend(place(Device.GPU, true), 16, 1));
        assertEquals("--device gpu: no usable GPU: the NVIDIA driver sees no CUDA device; use --device cpu or --device auto",
                e.getMessage());
    }

    @Test
    void autoFallsBackToTheCpuWithOneLinePerExecutor() {
        BackendFactory factory = new BackendFactory(NO_GPU);
        for (int task = 0; task < 3; task++) {
            try (Backend b = factory.backend(place(Device.AUTO, false), 16, 1)) {
                assertEquals("cpu", b.description());
            }
        }
        assertEquals(List.of("device auto: using the CPU (no usable GPU: the NVIDIA driver sees no CUDA device)"), log);
    }

    @Test
    void aKernelThatDisagreesWithTheCpuDisablesTheGpuUnderAuto() {
        BackendFactory factory = new BackendFactory(new WrongGpu());
        AttentionResult got;
        try (Backend b = factory.backend(place(Device.AUTO, false), 16, 1)) {
            got = b.attention().attend(SPEC, problem().queries(), problem().keys());
            assertEquals("cpu", b.description());
        }
        assertArrayEquals(cpuResult().out(), got.out(), "the result comes from the CPU, never the wrong GPU");
        assertEquals(1, log.size(), log.toString());
        String warning = log.get(0);
        assertTrue(warning.startsWith("device auto: using the CPU (the self-check of the GPU attention kernel (head"
                + " dimension 32) on stand-in gpu 0 gave O off by 1.0e-02 from the CPU (tolerance 1e-04)"), warning);
        try (Backend later = factory.backend(place(Device.AUTO, false), 16, 1)) {
            assertEquals("cpu", later.description(), "the GPU stays disabled for the process");
        }
        assertEquals(1, log.size(), "one warning per executor: " + log);
    }

    @Test
    void aKernelThatDisagreesFailsTheTaskUnderGpu() {
        BackendFactory factory = new BackendFactory(new WrongGpu());
        try (Backend b = factory.backend(place(Device.GPU, false), 16, 1)) {
            float[] lse = cpuResult().lse();
            BadInputException e = assertThrows(BadInputException.class,
                    () -> b.attentionMass(SPEC, problem().queries(), lse, problem().keys()));
            assertTrue(e.getMessage().startsWith("--device gpu: the self-check of the GPU attention-mass kernel (head"
                    + " dimension 32) on stand-in gpu 0 gave mass off by "), e.getMessage());
        }
        assertThrows(BadInputException.class, () -> factory.backend(place(Device.GPU, false), 16, 1));
    }

    @Test
    void eachKernelAndHeadDimensionIsCheckedOnce() {
        BackendFactory factory = new BackendFactory(new StandInGpuDriver());
        try (Backend b = factory.backend(place(Device.GPU, false), 16, 1)) {
            Problem p = problem();
            AttentionResult r = b.attention().attend(SPEC, p.queries(), p.keys());
            assertClose(cpuResult().out(), r.out(), "O");
            float[] mass = b.attentionMass(SPEC, p.queries(), r.lse(), p.keys());
            try (Backend cpu = new CpuBackend(16, 1)) {
                assertClose(cpu.attentionMass(SPEC, p.queries(), r.lse(), p.keys()), mass, "mass");
            }
        }
        BackendFactory.GpuState state = new BackendFactory.GpuState(0, null, null);
        int[] runs = {0};
        SelfCheck.Run passing = () -> {
            runs[0]++;
            return null;
        };
        state.verify("attention kernel (head dimension 32)", passing);
        state.verify("attention kernel (head dimension 32)", passing);
        state.verify("attention kernel (head dimension 64)", passing);
        state.verify("attention-mass kernel (head dimension 32)", passing);
        assertEquals(3, runs[0]);
    }

    @Test
    void theEncoderIsCheckedAgainstTheCpuEncoderAndFallsBackUnderAuto() {
        int[][] ids = {{101, 7592, 2088, 102}, {101, 1996, 102}};
        float[] want;
        try (EmbeddingBackend cpu = CpuEncoder.open("", 256, CpuEncoder.threads(1))) {
            want = cpu.embed(ids);
        }
        try (EmbeddingBackend good = new BackendFactory(new StandInGpuDriver()).encoder(place(Device.GPU, false), "", 256, CpuEncoder.threads(1))) {
            assertEquals("stand-in gpu 0", good.description());
            assertClose(want, good.embed(ids), "sentence vectors");
        }
        BackendFactory wrong = new BackendFactory(new WrongGpu());
        try (EmbeddingBackend fallback = wrong.encoder(place(Device.AUTO, false), "", 256, CpuEncoder.threads(1))) {
            assertEquals("cpu", fallback.description());
            assertArrayEquals(want, fallback.embed(ids));
        }
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).startsWith("device auto: using the CPU (the self-check of the GPU encoder (model bundled"
                + " all-MiniLM-L6-v2, fp32) on stand-in gpu 0 gave sentence vectors at cosine "), log.get(0));
        assertThrows(BadInputException.class, () -> wrong.encoder(place(Device.GPU, false), "", 256, CpuEncoder.threads(1)));
    }

    @Test
    void aGpuThatFailsAtAnyCallSiteCostsNothingUnderAuto() {
        Problem p = problem();
        AttentionResult want = cpuResult();
        float[] wantMass;
        try (Backend cpu = new CpuBackend(16, 1)) {
            wantMass = cpu.attentionMass(SPEC, p.queries(), want.lse(), p.keys());
        }
        int[][] ids = {{101, 7592, 2088, 102}, {101, 1996, 102}};
        float[] wantVectors;
        try (EmbeddingBackend cpu = CpuEncoder.open("", 256, CpuEncoder.threads(1))) {
            wantVectors = cpu.embed(ids);
        }
        for (String site : StandInGpuDriver.CALL_SITES) {
            log.clear();
            BackendFactory factory = new BackendFactory(new FailingGpu(site));
            for (int task = 0; task < 2; task++) {
                try (Backend b = factory.backend(place(Device.AUTO, false), 16, 1)) {
                    assertClose(want.out(), b.attention().attend(SPEC, p.queries(), p.keys()).out(), site);
                    assertClose(wantMass, b.attentionMass(SPEC, p.queries(), want.lse(), p.keys()), site);
                }
                try (EmbeddingBackend e = factory.encoder(place(Device.AUTO, false), "", 256, CpuEncoder.threads(1))) {
                    assertClose(wantVectors, e.embed(ids), site);
                    assertClose(wantVectors, e.embed(ids), site);
                }
            }
            assertEquals(1, log.size(), site + ": one line per process, " + log);
            assertTrue(log.get(0).startsWith("device auto: using the CPU (") && log.get(0).contains("stand-in " + site
                    + " failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)"), site + ": " + log.get(0));
        }
    }

    @Test
    void aGpuThatFailsMidRunFailsTheCallUnderGpuWithOneLine() {
        BackendFactory factory = new BackendFactory(new FailingGpu("accumulate"));
        try (Backend b = factory.backend(place(Device.GPU, false), 16, 1)) {
            BadInputException e = assertThrows(BadInputException.class,
                    () -> b.attention().attend(SPEC, problem().queries(), problem().keys()));
            assertEquals("--device gpu: stand-in gpu 0 failed in the attention kernel: stand-in accumulate failed:"
                    + " CUDA_ERROR_ILLEGAL_ADDRESS (700); the GPU is disabled in this process; use --device cpu or"
                    + " --device auto", e.getMessage());
        }
        assertThrows(BadInputException.class, () -> factory.backend(place(Device.GPU, false), 16, 1));
    }

    /** A stand-in whose {@code site} fails with a sticky CUDA error. */
    private static final class FailingGpu extends StandInGpuDriver {
        private final String site;

        FailingGpu(String site) {
            this.site = site;
        }

        @Override
        String failingCall() {
            return site;
        }
    }

    private Placement place(Device device, boolean everyTime) {
        return new Placement(device, Precision.FP32, 0, log::add, everyTime);
    }

    /**
     * bf16 on the stand-in GPU runs the tensor-core kernel (its self-check with the tensor-core tolerance, its own
     * entry in the checked list), and a bf16 fallback under auto says that the CPU computes in fp32.
     */
    @Test
    void bf16RunsTheTensorCoreKernelAndItsFallbackSaysFp32() {
        AttentionSpec spec = AttentionSpec.of(2, 1, 64, true);
        SplittableRandom random = new SplittableRandom(19);
        TokenIndex index = TokenIndex.contiguous(0, 200, null);
        Queries q = new Queries(normals(random, 200 * 128), index);
        KeysValues kv = new KeysValues(normals(random, 200 * 64), normals(random, 200 * 64), index);
        StandInGpuDriver driver = new StandInGpuDriver();
        BackendFactory factory = new BackendFactory(driver);
        AttentionResult got;
        try (Backend b = factory.backend(new Placement(Device.GPU, Precision.BF16, 0, log::add, false), 16, 1)) {
            got = b.attention().attend(spec, q, kv);
            assertEquals("stand-in gpu 0", b.description());
        }
        assertTrue(driver.cuda(0).launched().contains("ra_fwd_bf16_d64"), driver.cuda(0).launched().toString());
        AttentionResult want;
        try (Backend cpu = new CpuBackend(16, 1)) {
            want = cpu.attention().attend(spec, q, kv);
        }
        double worst = 0;
        for (int i = 0; i < want.out().length; i++) {
            worst = Math.max(worst, Math.abs(want.out()[i] - got.out()[i]));
        }
        assertTrue(worst > 1e-4 && worst < SelfCheck.TENSOR_CORE_TOLERANCE, "bf16 inputs: " + worst);
        assertEquals(List.of(), log);

        BackendFactory none = new BackendFactory(NO_GPU);
        try (Backend b = none.backend(new Placement(Device.AUTO, Precision.BF16, 0, log::add, true), 16, 1)) {
            assertEquals("cpu", b.description());
        }
        assertEquals(List.of("device auto: using the CPU (no usable GPU: the NVIDIA driver sees no CUDA device); it"
                + " computes in fp32, not bf16"), log);
        BadInputException e = assertThrows(BadInputException.class,
                () -> new Placement(Device.CPU, Precision.BF16, 0, log::add, true));
        assertTrue(e.getMessage().startsWith("--precision bf16 runs on a GPU's tensor cores"), e.getMessage());
    }

    @Test
    void parsesTheOption() {
        assertEquals(Device.CPU, Device.parse(null));
        assertEquals(Device.GPU, Device.parse("gpu"));
        assertEquals(Device.AUTO, Device.parse("auto"));
        assertEquals("auto", Device.AUTO.label());
        BadInputException e = assertThrows(BadInputException.class, () -> Device.parse("GPU0"));
        assertEquals("--device must be cpu, gpu or auto, got 'GPU0'", e.getMessage());
    }

    private record Problem(Queries queries, KeysValues keys) {
    }

    private static Problem problem() {
        SplittableRandom random = new SplittableRandom(10);
        TokenIndex index = TokenIndex.contiguous(0, ROWS, null);
        return new Problem(new Queries(normals(random, ROWS * SPEC.queryRowWidth()), index),
                new KeysValues(normals(random, ROWS * SPEC.kvRowWidth()), normals(random, ROWS * SPEC.kvRowWidth()), index));
    }

    /**
     * The stand-in GPU runs the production host code on a simulated device whose kernels compute in double:
     * its results agree with the CPU kernel's to fp32 rounding, a wrong kernel's (0.01 off) do not.
     */
    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(want[i] - got[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])),
                    what + " at " + i + ": " + got[i] + " where the CPU gives " + want[i]);
        }
    }

    private static AttentionResult cpuResult() {
        try (Backend cpu = new CpuBackend(16, 1)) {
            return cpu.attention().attend(SPEC, problem().queries(), problem().keys());
        }
    }

    private static float[] normals(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }
}
