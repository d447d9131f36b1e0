package org.ringattention.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** What a task's placement reads from Spark: the GPU address it was assigned. */
class TaskBackendsTest {

    @Test
    void sparkAddressesBecomeOrdinals() {
        assertEquals(0, TaskBackends.ordinalOf(new String[] {"0"}));
        assertEquals(3, TaskBackends.ordinalOf(new String[] {" 3 ", "4"}));
        IllegalStateException uuid = assertThrows(IllegalStateException.class,
                () -> TaskBackends.ordinalOf(new String[] {"GPU-8f6c"}));
        assertEquals("Spark's GPU address 'GPU-8f6c' is not a CUDA device ordinal; the discovery script must print"
                + " ordinals such as \"0\" (conf/gpu-discovery.sh)", uuid.getMessage());
        assertThrows(IllegalStateException.class, () -> TaskBackends.ordinalOf(new String[0]));
        assertEquals(0, TaskBackends.gpuOrdinal(), "outside Spark: device 0");
    }
}
