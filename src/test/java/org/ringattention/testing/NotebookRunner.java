package org.ringattention.testing;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

/**
 * Runs a Databricks notebook in source format the way a Databricks Scala notebook runs it: every cell in order,
 * in one Scala 2.13 interpreter, with {@code spark}, {@code sc}, {@code display(...)}, {@code displayHTML(...)}
 * and {@code dbutils.widgets} bound, on a local SparkSession the runner owns.
 *
 * <pre>{@code
 * try (NotebookRunner runner = NotebookRunner.start(tempDir, Map.of())) {
 *     runner.spark().read().parquet(table).createOrReplaceTempView("docs"); // optional set-up
 *     runner.widget("input", table.toString());                             // dbutils.widgets.get("input")
 *     NotebookRunner.Run run = runner.run(Path.of("notebooks/summarize.scala"));
 *     run.displays() ...                                                     // what display(...) was given
 * }
 * }</pre>
 *
 * <p>Cells: {@code // MAGIC %md} cells are skipped, {@code // MAGIC %sql} cells run through {@code spark.sql} and
 * display their last statement's result, {@code // MAGIC %scala} and plain cells are Scala; any other magic
 * ({@code %python}, {@code %run}, ...) fails the run, so a notebook is never reported as passing with cells unrun.
 * A cell that does not compile, is incomplete, or throws fails the run with a {@link CellFailure} naming it.
 *
 * <p>As on Databricks, {@code spark.implicits._} is imported before the first cell.
 *
 * <p>The interpreter wraps cells in classes ({@code -Yrepl-class-based}, as spark-shell and Databricks do), so
 * closures that refer to earlier cells serialize their captured values instead of re-running those cells' code on
 * executors; the compiled cell classes are written to a directory that Spark's executors load them from
 * ({@code spark.repl.class.outputDir}). That is why the runner creates its own SparkContext: no other may be active
 * in the JVM when it starts.
 */
public final class NotebookRunner implements AutoCloseable {

    public static final String HEADER = "// Databricks notebook source";
    public static final String SEPARATOR = "// COMMAND ----------";
    private static final String MAGIC = "// MAGIC";
    /** Databricks' display shows at most this many rows of a DataFrame. */
    public static final int DISPLAY_ROW_LIMIT = 1000;
    private static final int PRINTED_ROWS = 20;

    public enum CellKind { SCALA, SQL, MARKDOWN, UNSUPPORTED }

    /** One cell; {@code number} counts from 1 over all cells, markdown included, as Databricks' "Cmd N" does. */
    public record Cell(int number, CellKind kind, String magic, String source) {
    }

    /**
     * What one {@code display(...)} call received. For a DataFrame or Dataset: its column names and its first
     * {@link #DISPLAY_ROW_LIMIT} rows; for anything else, no columns or rows. {@code text} is what was printed.
     */
    public record Displayed(int cell, Object value, List<String> columns, List<Row> rows, String text) {
    }

    /** A finished run: every display in call order, and the interpreter's output of each cell (by cell number). */
    public record Run(List<Displayed> displays, Map<Integer, String> outputs) {
    }

    /** A cell that failed to compile, was incomplete, threw, or is in a language the runner does not run. */
    public static final class CellFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int cell;

        CellFailure(int cell, String message, Throwable cause) {
            super("notebook cell " + cell + ": " + message, cause);
            this.cell = cell;
        }

        public int cell() {
            return cell;
        }
    }

    private final SparkSession spark;
    private final IMain interpreter;
    private final StringWriter interpreterOutput;
    private final PrintWriter reporterWriter;
    private final Shims shims;

    private NotebookRunner(SparkSession spark, IMain interpreter, StringWriter interpreterOutput,
            PrintWriter reporterWriter, Shims shims) {
        this.spark = spark;
        this.interpreter = interpreter;
        this.interpreterOutput = interpreterOutput;
        this.reporterWriter = reporterWriter;
        this.shims = shims;
    }

    /**
     * Starts a local[2] SparkSession (plus {@code sparkConf}) and an interpreter with the notebook bindings.
     * {@code workDir} receives the compiled cell classes and Spark's warehouse.
     */
    public static NotebookRunner start(Path workDir, Map<String, String> sparkConf) {
        Path classes = workDir.resolve("repl-classes");
        try {
            Files.createDirectories(classes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Settings settings = new Settings();
        // Arguments as spark-shell passes them: the test classpath, class-based wrappers, classes on disk.
        List<String> unparsed = CollectionConverters.asJava(settings.processArguments(
                CollectionConverters.asScala(List.of("-usejavacp", "-Yrepl-class-based",
                        "-Yrepl-outdir", classes.toString())).toList(), true)._2());
        if (!unparsed.isEmpty()) {
            throw new IllegalStateException("Scala compiler refused settings " + unparsed);
        }
        StringWriter output = new StringWriter();
        PrintWriter writer = new PrintWriter(output, true);
        IMain interpreter = new IMain(settings, new ReplReporterImpl(settings, writer));
        interpreter.initializeCompiler();

        SparkSession.Builder builder = SparkSession.builder()
                .appName("notebook")
                .master("local[2]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.warehouse.dir", workDir.resolve("warehouse").toString())
                .config("spark.repl.class.outputDir", classes.toString());
        sparkConf.forEach(builder::config);
        // The driver's own threads (codegen, shuffle and broadcast stages) resolve cell classes through their
        // context class loader, inherited from the thread that starts them: as in spark-shell, that is the
        // interpreter's.
        SparkSession spark = withInterpreterClassLoader(interpreter, builder::getOrCreate);
        if (!classes.toString().equals(spark.sparkContext().getConf().get("spark.repl.class.outputDir", ""))) {
            interpreter.close();
            throw new IllegalStateException("a SparkContext was already running in this JVM, so executors could "
                    + "not load classes compiled from notebook cells; stop it before NotebookRunner.start");
        }
        NotebookRunner runner = new NotebookRunner(spark, interpreter, output, writer, new Shims());
        try {
            runner.bind("spark", SparkSession.class, spark);
            runner.bind("sc", org.apache.spark.SparkContext.class, spark.sparkContext());
            runner.bind("dbutils", DbUtils.class, runner.shims.dbutils);
            runner.bind("__notebookShims", Shims.class, runner.shims);
            runner.prelude("import spark.implicits._\n"
                    + "def display(value: Any): Unit = __notebookShims.display(value)\n"
                    + "def displayHTML(html: String): Unit = __notebookShims.displayHTML(html)");
            return runner;
        } catch (RuntimeException | Error e) {
            runner.close();
            throw e;
        }
    }

    private static <T> T withInterpreterClassLoader(IMain interpreter, java.util.function.Supplier<T> body) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(interpreter.classLoader());
        try {
            return body.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    public SparkSession spark() {
        return spark;
    }

    /** Sets a widget's value, as a job parameter does on Databricks: it wins over the notebook's default. */
    public NotebookRunner widget(String name, String value) {
        shims.dbutils.widgets.given.put(name, value);
        return this;
    }

    /** Runs every cell of the notebook at {@code notebook}. */
    public Run run(Path notebook) {
        try {
            return run(parse(Files.readString(notebook, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the cells in order, stopping at the first that fails. */
    public Run run(List<Cell> cells) {
        return withInterpreterClassLoader(interpreter, () -> runCells(cells));
    }

    private Run runCells(List<Cell> cells) {
        shims.displays.clear();
        Map<Integer, String> outputs = new LinkedHashMap<>();
        for (Cell cell : cells) {
            shims.cell = cell.number();
            switch (cell.kind()) {
                case MARKDOWN -> {
                }
                case SCALA -> outputs.put(cell.number(), interpret(cell.number(), cell.source()));
                case SQL -> runSql(cell);
                case UNSUPPORTED -> throw new CellFailure(cell.number(),
                        "the runner runs Scala, %sql and %md cells, not " + cell.magic(), null);
            }
        }
        return new Run(List.copyOf(shims.displays), Collections.unmodifiableMap(outputs));
    }

    /** Splits a notebook in Databricks source format into cells. */
    public static List<Cell> parse(String text) {
        String normalized = text.replace("\r\n", "\n");
        if (!normalized.startsWith(HEADER)) {
            throw new IllegalArgumentException("not a Databricks Scala notebook in source format: the first line "
                    + "must be '" + HEADER + "'");
        }
        String body = normalized.substring(HEADER.length());
        List<Cell> cells = new ArrayList<>();
        int number = 0;
        for (String chunk : body.split("\n" + Pattern.quote(SEPARATOR) + "[ \t]*(\n|$)", -1)) {
            cells.add(cell(++number, chunk.strip()));
        }
        return cells;
    }

    private static Cell cell(int number, String chunk) {
        List<String> lines = chunk.lines().toList();
        // A titled cell starts with "// DBTITLE 1,<title>" before its magic line.
        int first = 0;
        while (first < lines.size() && lines.get(first).startsWith("// DBTITLE")) {
            first++;
        }
        if (first == lines.size() || !lines.get(first).startsWith(MAGIC + " %")) {
            return new Cell(number, CellKind.SCALA, "", chunk);
        }
        String magic = lines.get(first).substring(MAGIC.length() + 1).strip().split("\\s+", 2)[0];
        List<String> source = new ArrayList<>();
        String rest = lines.get(first).substring(MAGIC.length() + 1).strip().substring(magic.length());
        if (!rest.isBlank()) {
            source.add(rest.strip());
        }
        for (String line : lines.subList(first + 1, lines.size())) {
            if (line.equals(MAGIC)) {
                source.add("");
            } else if (line.startsWith(MAGIC + " ")) {
                source.add(line.substring(MAGIC.length() + 1));
            } else {
                source.add(line);
            }
        }
        CellKind kind = switch (magic.toLowerCase(Locale.ROOT)) {
            case "%md", "%md-sandbox" -> CellKind.MARKDOWN;
            case "%sql" -> CellKind.SQL;
            case "%scala" -> CellKind.SCALA;
            default -> CellKind.UNSUPPORTED;
        };
        return new Cell(number, kind, magic, String.join("\n", source));
    }

    /** Statements end with a ';' at the end of a line; the last one's result is displayed, as on Databricks. */
    private void runSql(Cell cell) {
        try {
            Dataset<Row> last = null;
            for (String statement : cell.source().split(";\\s*(\n|$)")) {
                if (!statement.isBlank()) {
                    last = spark.sql(statement);
                }
            }
            if (last != null) {
                shims.display(last);
            }
        } catch (RuntimeException e) {
            throw new CellFailure(cell.number(), "SQL failed: " + e.getMessage(), e);
        }
    }

    private String interpret(int cell, String code) {
        interpreterOutput.getBuffer().setLength(0);
        Throwable earlier = lastException();
        Results.Result result = interpreter.interpret(code);
        String output = capturedOutput();
        if (result == Results.Incomplete$.MODULE$) {
            throw new CellFailure(cell, "incomplete Scala (an unclosed brace, string or expression)\n" + output, null);
        }
        if (result != Results.Success$.MODULE$) {
            Throwable thrown = lastException();
            throw new CellFailure(cell, "failed to compile or threw\n" + output, thrown == earlier ? null : thrown);
        }
        return output;
    }

    private String capturedOutput() {
        reporterWriter.flush();
        return interpreterOutput.toString();
    }

    /** The exception the interpreter bound as {@code lastException} after a cell threw, if any. */
    private Throwable lastException() {
        scala.Option<Object> value = interpreter.valueOfTerm("lastException");
        return value.isDefined() && value.get() instanceof Throwable t ? t : null;
    }

    private void bind(String name, Class<?> type, Object value) {
        Results.Result result = interpreter.bind(name, type.getName(), value,
                CollectionConverters.asScala(List.of("@transient")).toList());
        if (result != Results.Success$.MODULE$) {
            throw new IllegalStateException("could not bind " + name + " in the interpreter: " + capturedOutput());
        }
    }

    private void prelude(String code) {
        Results.Result result = interpreter.interpret(code);
        if (result != Results.Success$.MODULE$) {
            throw new IllegalStateException("the notebook prelude did not compile: " + capturedOutput());
        }
    }

    @Override
    public void close() {
        try {
            interpreter.close();
        } finally {
            spark.stop();
        }
    }

    /** Databricks' {@code dbutils}, as far as notebooks under test use it: widgets. */
    public static final class DbUtils implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Widgets widgets = new Widgets();

        public Widgets widgets() {
            return widgets;
        }
    }

    /** {@code dbutils.widgets}: a value given by the test wins over the default the notebook declares. */
    public static final class Widgets implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Map<String, String> given = new LinkedHashMap<>();
        private final Map<String, String> defaults = new LinkedHashMap<>();

        public void text(String name, String defaultValue, String label) {
            defaults.put(name, defaultValue);
        }

        public void text(String name, String defaultValue) {
            defaults.put(name, defaultValue);
        }

        /** Databricks' {@code dropdown(name, defaultValue, choices, label)}; the default must be a choice. */
        public void dropdown(String name, String defaultValue, scala.collection.Seq<String> choices, String label) {
            if (!choices.contains(defaultValue)) {
                throw new IllegalArgumentException("widget " + name + ": default " + defaultValue + " is not a choice");
            }
            defaults.put(name, defaultValue);
        }

        public String get(String name) {
            String value = given.getOrDefault(name, defaults.get(name));
            if (value == null) {
                throw new NoSuchElementException("no widget named " + name + ": declare it with dbutils.widgets"
                        + ".text or give it with NotebookRunner.widget");
            }
            return value;
        }

        public void removeAll() {
            defaults.clear();
        }
    }

    /** The Java side of display/displayHTML; public because interpreted code calls it. */
    public static final class Shims implements Serializable {
        private static final long serialVersionUID = 1L;
        private final transient List<Displayed> displays = new ArrayList<>();
        private final DbUtils dbutils = new DbUtils();
        private int cell;

        public void display(Object value) {
            if (value instanceof Dataset<?> dataset) {
                Dataset<Row> frame = dataset.toDF();
                List<String> columns = List.of(frame.columns());
                List<Row> rows = frame.limit(DISPLAY_ROW_LIMIT).collectAsList();
                record(new Displayed(cell, value, columns, rows, table(columns, rows)));
            } else {
                record(new Displayed(cell, value, List.of(), List.of(), String.valueOf(value)));
            }
        }

        public void displayHTML(String html) {
            record(new Displayed(cell, html, List.of(), List.of(), html));
        }

        private void record(Displayed displayed) {
            displays.add(displayed);
            System.out.println(displayed.text());
        }

        private static String table(List<String> columns, List<Row> rows) {
            StringBuilder text = new StringBuilder(String.join(" | ", columns)).append('\n');
            for (Row row : rows.subList(0, Math.min(PRINTED_ROWS, rows.size()))) {
                List<String> cells = new ArrayList<>();
                for (int i = 0; i < row.length(); i++) {
                    cells.add(String.valueOf(row.get(i)));
                }
                text.append(String.join(" | ", cells)).append('\n');
            }
            if (rows.size() > PRINTED_ROWS) {
                text.append("... (").append(rows.size()).append(" rows shown to the test)\n");
            }
            return text.toString();
        }
    }
}
