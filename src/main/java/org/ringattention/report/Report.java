package org.ringattention.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.ringattention.selection.Budget;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A night's report as a static web page: {@code index.html} with the run's figures, rejects by reason,
 * time per phase and every document's summary, and PNG charts beside it (the distribution of document
 * lengths; for each document its sentence scores along the document with the chosen sentences marked).
 * Plain files, so the page can be committed with the night's outputs and opened from any file browser.
 */
public final class Report {

    /** Documents beyond this many get a summary but no chart, so a large night's report stays small. */
    public static final int MAX_CHARTS = 500;

    private static final int WIDTH = 900;
    private static final int HEIGHT = 260;

    private Report() {
    }

    /** Writes {@code index.html} and its charts into {@code dir} (created if missing). */
    public static void render(Path dir, RunFigures run, List<DocumentSummary> documents) {
        // Charts are drawn off-screen; a server without a display must not try to open one.
        System.setProperty("java.awt.headless", "true");
        try {
            Files.createDirectories(dir);
            StringBuilder html = new StringBuilder();
            head(html, run);
            figures(html, run, documents.size());
            if (!documents.isEmpty()) {
                ChartUtils.saveChartAsPNG(dir.resolve("lengths.png").toFile(), lengths(documents), WIDTH, HEIGHT);
                html.append("<h2>Document lengths</h2>\n<img id=\"lengths\" src=\"lengths.png\" alt=\"histogram of")
                        .append(" document lengths in tokens\" width=\"").append(WIDTH).append("\">\n");
            }
            html.append("<h2>Summaries</h2>\n");
            if (documents.size() > MAX_CHARTS) {
                html.append("<p>Charts for the first ").append(MAX_CHARTS).append(" documents.</p>\n");
            }
            for (int i = 0; i < documents.size(); i++) {
                DocumentSummary d = documents.get(i);
                html.append("<section class=\"doc\" id=\"doc-").append(i).append("\">\n<h3>")
                        .append(escape(d.docId())).append("</h3>\n<p class=\"meta\">")
                        .append(String.format(Locale.ROOT, "%,d sentences, %,d tokens; summary: %d sentences, %,d words",
                                d.scores().size(), d.tokens(), d.chosen().size(), Budget.words(d.summary())))
                        .append("</p>\n<blockquote>").append(escape(d.summary())).append("</blockquote>\n");
                if (i < MAX_CHARTS) {
                    String png = "doc-" + i + ".png";
                    ChartUtils.saveChartAsPNG(dir.resolve(png).toFile(), scores(d), WIDTH, HEIGHT);
                    html.append("<img src=\"").append(png).append("\" alt=\"sentence scores of ")
                            .append(escape(d.docId())).append("\" width=\"").append(WIDTH).append("\">\n");
                }
                html.append("</section>\n");
            }
            html.append("</body>\n</html>\n");
            Files.writeString(dir.resolve("index.html"), html, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + dir, e);
        }
    }

    private static void head(StringBuilder html, RunFigures run) {
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Summaries of ")
                .append(escape(run.date())).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}\n")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .8em;")
                .append("text-align:left}td.n{text-align:right}\n")
                .append("blockquote{margin:.5em 0;padding:.5em 1em;background:#f6f6f6;border-left:4px solid #888}\n")
                .append(".meta{color:#666;margin:.2em 0}section.doc{margin-bottom:2em}\n")
                .append("</style>\n</head>\n<body>\n<h1>Summaries of ").append(escape(run.date())).append("</h1>\n");
    }

    private static void figures(StringBuilder html, RunFigures run, int documents) {
        html.append("<h2>The run</h2>\n<table id=\"figures\">\n");
        row(html, "input", escape(run.input()));
        row(html, "documents found", String.format(Locale.ROOT, "%,d (%,d bytes)", run.documentsFound(), run.inputBytes()));
        row(html, "summarized", String.format(Locale.ROOT, "%,d", run.documents()));
        row(html, "rejected", String.format(Locale.ROOT, "%,d", run.rejected()));
        row(html, "sentences", String.format(Locale.ROOT, "%,d", run.sentences()));
        row(html, "tokens", String.format(Locale.ROOT, "%,d", run.tokens()));
        row(html, "wall time", String.format(Locale.ROOT, "%.1f s", run.seconds()));
        row(html, "throughput", String.format(Locale.ROOT, "%,.0f documents/hour, %,.0f tokens/s",
                run.documents() / run.seconds() * 3600, run.tokens() / run.seconds()));
        html.append("</table>\n<h2>Rejects by reason</h2>\n");
        if (run.rejects().isEmpty()) {
            html.append("<p id=\"rejects\">None.</p>\n");
        } else {
            html.append("<table id=\"rejects\">\n<tr><th>reason</th><th>documents</th></tr>\n");
            for (Map.Entry<String, Long> r : run.rejects().entrySet()) {
                row(html, escape(r.getKey()), String.format(Locale.ROOT, "%,d", r.getValue()));
            }
            html.append("</table>\n");
        }
        html.append("<h2>Time per phase</h2>\n<table id=\"phases\">\n<tr><th>phase</th><th>seconds</th></tr>\n");
        for (Map.Entry<String, Double> p : run.phaseSeconds().entrySet()) {
            row(html, escape(p.getKey()), String.format(Locale.ROOT, "%.1f", p.getValue()));
        }
        html.append("</table>\n");
    }

    private static void row(StringBuilder html, String name, String value) {
        html.append("<tr><td>").append(name).append("</td><td class=\"n\">").append(value).append("</td></tr>\n");
    }

    /** Sentence scores along the document as a line, the chosen sentences as dots on it. */
    static JFreeChart scores(DocumentSummary d) {
        XYSeries all = new XYSeries("sentence score");
        for (int i = 0; i < d.scores().size(); i++) {
            all.add(i, d.scores().get(i));
        }
        XYSeries chosen = new XYSeries("chosen");
        for (int i : d.chosen()) {
            chosen.add(i, d.scores().get(i));
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(all);
        data.addSeries(chosen);
        JFreeChart chart = ChartFactory.createXYLineChart(d.docId(), "sentence", "score", data,
                PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
        renderer.setSeriesLinesVisible(0, true);
        renderer.setSeriesShapesVisible(0, false);
        renderer.setSeriesPaint(0, new Color(0x4477aa));
        renderer.setSeriesStroke(0, new BasicStroke(1.2f));
        renderer.setSeriesLinesVisible(1, false);
        renderer.setSeriesShapesVisible(1, true);
        renderer.setSeriesShape(1, new Ellipse2D.Double(-4, -4, 8, 8));
        renderer.setSeriesPaint(1, new Color(0xcc3311));
        plot.setRenderer(renderer);
        plot.setBackgroundPaint(Color.WHITE);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Histogram of document lengths in tokens. */
    static JFreeChart lengths(List<DocumentSummary> documents) {
        double[] tokens = documents.stream().mapToDouble(DocumentSummary::tokens).toArray();
        HistogramDataset data = new HistogramDataset();
        data.addSeries("documents", tokens, Math.max(1, Math.min(30, tokens.length)));
        JFreeChart chart = ChartFactory.createHistogram("Document lengths", "tokens", "documents", data,
                PlotOrientation.VERTICAL, false, false, false);
        chart.getXYPlot().setBackgroundPaint(Color.WHITE);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Text as HTML: document text and ids may hold any character. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
