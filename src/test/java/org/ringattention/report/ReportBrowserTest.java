package org.ringattention.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report as a reader sees it: rendered, then opened in a real browser (headless Chromium, the
 * Debian package {@code chromium}), which must load the page and every chart without an error, and
 * whose screenshot must show the charts. Skipped, with the reason, where Chromium is not installed;
 * {@code .ci/run} installs it so that CI runs this test.
 */
class ReportBrowserTest {

    private static final int CHOSEN_RED = 0xcc3311;

    private static String chromium() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        return null;
    }

    private static List<DocumentSummary> documents() {
        List<DocumentSummary> docs = new ArrayList<>();
        for (int d = 0; d < 3; d++) {
            List<Double> scores = new ArrayList<>();
            for (int i = 0; i < 40 + 30 * d; i++) {
                scores.add(0.1 + 0.05 * Math.sin(i * 0.7 + d));
            }
            scores.set(5, 0.9);
            scores.set(20, 0.8);
            docs.add(DocumentSummary.computed("doc <" + d + "> & \"quotes\".txt", "First <b>chosen</b> sentence. Second one.",
                    scores, List.of(5, 20), 1000L * (d + 1)));
        }
        docs.add(new DocumentSummary("unchanged.txt", "A summary from an earlier night.", List.of(), List.of(2), 500, 30,
                "2026-11-28"));
        return docs;
    }

    private static RunFigures figures() {
        Map<String, Long> rejects = new LinkedHashMap<>();
        rejects.put("empty text", 2L);
        rejects.put("unsupported file type; give text files (.txt, .text, .md, .markdown, .rmd, .qmd, .rst)", 1L);
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("read and validate", 1.5);
        phases.put("split, embed, attend and select", 20.0);
        phases.put("write", 2.0);
        return new RunFigures("2026-11-29", "in/", 7, 12345, 3, 1, 150, 6000, rejects, phases, 24.0,
                new RunFigures.Cost(2, 0.0112, 0, 12.5, 8.0, 512_000_000L),
                new RunFigures.Longest("doc <2> & \"quotes\".txt", 3000, 100, 15.0));
    }

    @Test
    void pageHoldsEveryPartWithTextEscaped(@TempDir Path dir) throws IOException {
        Report.render(dir, figures(), documents());
        String html = Files.readString(dir.resolve("index.html"));
        for (String part : List.of("id=\"figures\"", "id=\"rejects\"", "id=\"phases\"", "id=\"lengths\"",
                "empty text", "7 (12,345 bytes)", "450 documents/hour, 250 tokens/s (computed)",
                "<td>carried from earlier nights</td><td class=\"n\">1</td>",
                "0.013 held (2 cores for 24.0 s), 0.011 busy in tasks", "12.5 s, median 8.0 s", "512 MB in use",
                "3,000 tokens, 100 sentences, 15.0 s", "carried from date=2026-11-28")) {
            assertTrue(html.contains(part), part);
        }
        assertFalse(html.contains("GPU-hours"), "no GPU ran");
        assertEquals(4, html.split("<section class=\"doc\"", -1).length - 1, "one section per document");
        assertFalse(Files.exists(dir.resolve("doc-3.png")), "a carried document has no chart: its scores are not kept");
        assertTrue(html.contains("doc &lt;0&gt; &amp; &quot;quotes&quot;.txt"));
        assertFalse(html.contains("<b>chosen</b>"), "summaries are text, not markup");
        for (String png : List.of("lengths.png", "doc-0.png", "doc-1.png", "doc-2.png")) {
            assertTrue(ImageIO.read(dir.resolve(png).toFile()).getWidth() > 0, png);
        }
    }

    @Test
    void chromiumLoadsThePageAndItsCharts(@TempDir Path dir) throws Exception {
        String chromium = chromium();
        assertNotNull(chromium, "Chromium is not installed: apt-get install -y chromium (.ci/run installs it)");
        Path report = dir.resolve("report");
        Report.render(report, figures(), documents());
        Path screenshot = dir.resolve("screenshot.png");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=" + dir.resolve("profile"), "--window-size=1000,3200",
                "--screenshot=" + screenshot, report.resolve("index.html").toUri().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished within 2 minutes");
        String log = Files.readString(dir.resolve("chromium.log"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), log);
        for (String error : List.of("ERR_FILE_NOT_FOUND", "Failed to load resource", "Uncaught")) {
            assertFalse(log.contains(error), error + " in chromium's log:\n" + log);
        }
        BufferedImage shot = ImageIO.read(screenshot.toFile());
        assertEquals(1000, shot.getWidth());
        // The chosen sentences' red dots exist only in the document charts, in two bands of rows each (the
        // dots near the top of the plot, the legend's dot below it): every band there means every chart
        // was loaded and drawn (a missing image logs nothing).
        int bands = 0;
        int lastRedRow = -1000;
        for (int y = 0; y < shot.getHeight(); y++) {
            for (int x = 0; x < shot.getWidth(); x++) {
                if ((shot.getRGB(x, y) & 0xffffff) == CHOSEN_RED) {
                    if (y - lastRedRow > 100) {
                        bands++;
                    }
                    lastRedRow = y;
                    break;
                }
            }
        }
        assertEquals(2 * documents().stream().filter(d -> d.carriedFrom() == null).count(), bands,
                "charts with chosen-sentence markers in the screenshot (none for a carried document)");
    }
}
