package org.ringattention.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** A PNG of per-document ROUGE-1 F1 for each method, documents ordered by the oracle's score. */
public final class ScorePlot {

    private ScorePlot() {
    }

    public static void write(Path png, List<String> docIds, Map<String, double[]> rouge1ByMethod, int[] order) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, double[]> e : rouge1ByMethod.entrySet()) {
            XYSeries series = new XYSeries(e.getKey());
            for (int x = 0; x < order.length; x++) {
                series.add(x + 1, 100 * e.getValue()[order[x]]);
            }
            data.addSeries(series);
        }
        JFreeChart chart = ChartFactory.createXYLineChart("ROUGE-1 F1 per document (" + docIds.size()
                + " documents, ordered by the oracle)", "document", "ROUGE-1 F1", data, PlotOrientation.VERTICAL,
                true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int s = 0; s < data.getSeriesCount(); s++) {
            renderer.setSeriesStroke(s, new BasicStroke(1.2f));
        }
        plot.setRenderer(renderer);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 480);
    }
}
