package org.ringattention.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

class EncoderWarmupTest {

    @Test
    void registerKeepsTheClustersPluginsAndAddsItselfOnce() {
        SparkConf conf = new SparkConf(false).set("spark.plugins", "com.example.Metrics");
        EncoderWarmup.register(conf, null);
        EncoderWarmup.register(conf, "/models/minilm");
        assertEquals("com.example.Metrics," + EncoderWarmup.class.getName(), conf.get("spark.plugins"));
        assertEquals("/models/minilm", conf.get(EncoderWarmup.MODEL));
    }

    @Test
    void aModelThatDoesNotLoadIsLeftToTheFirstTask() {
        assertFalse(EncoderWarmup.warm("/nonexistent/model-directory"));
    }

    @Test
    void theExecutorSideLoadsTheModelAndRunsItsPasses() throws InterruptedException {
        SparkConf conf = new SparkConf(false);
        EncoderWarmup.register(conf, null);
        EncoderWarmup.Warmer warmer = (EncoderWarmup.Warmer) new EncoderWarmup().executorPlugin();
        warmer.init(context(conf), java.util.Map.of());
        assertTrue(warmer.await(120_000), "the warm-up failed or did not finish in 120 s");
    }

    @Test
    void sparkLoadsThePluginByName() {
        SparkConf conf = new SparkConf().setMaster("local[1]").setAppName("EncoderWarmupTest")
                .set("spark.ui.enabled", "false");
        EncoderWarmup.register(conf, null);
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
            assertEquals(1L, spark.range(1).count());
        } finally {
            spark.stop();
        }
    }

    /** What an executor gives its plugins, as far as the warm-up reads it: the configuration. */
    private static PluginContext context(SparkConf conf) {
        return new PluginContext() {
            @Override
            public com.codahale.metrics.MetricRegistry metricRegistry() {
                return new com.codahale.metrics.MetricRegistry();
            }

            @Override
            public SparkConf conf() {
                return conf;
            }

            @Override
            public String executorID() {
                return "0";
            }

            @Override
            public String hostname() {
                return "localhost";
            }

            @Override
            public java.util.Map<String, org.apache.spark.resource.ResourceInformation> resources() {
                return java.util.Map.of();
            }

            @Override
            public void send(Object message) {
            }

            @Override
            public Object ask(Object message) {
                return null;
            }
        };
    }
}
