package org.ringattention.drill;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.ringattention.summarize.FaultPoints;

/**
 * The Spark plugin that makes a session a drill's: it installs {@link DrillFaults} as the
 * {@link FaultPoints} handler in the driver and in every executor as it starts (replacements of killed
 * executors included). Only {@link #configure} adds it, so no production run carries fault hooks.
 */
public final class DrillPlugin implements SparkPlugin {

    /**
     * Adds the plugin (keeping any in {@code spark.plugins}) and the drill's file system for {@code file:}
     * paths to {@code conf}: the settings a drill's session needs before it starts.
     */
    public static SparkConf configure(SparkConf conf) {
        String name = DrillPlugin.class.getName();
        String plugins = conf.get("spark.plugins", "");
        if (!java.util.Arrays.asList(plugins.split(",")).contains(name)) {
            conf.set("spark.plugins", plugins.isEmpty() ? name : plugins + "," + name);
        }
        return DrillFileSystem.configure(conf);
    }

    /** Whether {@code sc} was started with {@link #configure}d settings. */
    static boolean active(SparkContext sc) {
        return java.util.Arrays.asList(sc.conf().get("spark.plugins", "").split(",")).contains(DrillPlugin.class.getName())
                && DrillFileSystem.active(sc.hadoopConfiguration());
    }

    @Override
    public DriverPlugin driverPlugin() {
        return new DriverPlugin() {
            @Override
            public Map<String, String> init(SparkContext sc, PluginContext ctx) {
                FaultPoints.install(new DrillFaults());
                return Map.of();
            }

            @Override
            public void shutdown() {
                FaultPoints.install(null);
            }
        };
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext ctx, Map<String, String> extraConf) {
                FaultPoints.install(new DrillFaults());
            }
        };
    }
}
