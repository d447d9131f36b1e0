package org.ringattention.summarize;

import java.io.Serializable;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import org.ringattention.backend.Device;
import org.ringattention.backend.Placement;
import org.ringattention.gpu.Precision;
import org.ringattention.io.BadInputException;
import org.ringattention.output.NightlyCommit;
import org.ringattention.selection.SelectionMethod;

/**
 * What one run of the nightly job does, built once with {@link #builder} and checked as it is built:
 * the command line ({@code jobs/summarize}), the notebook's widgets, the fault drill and the tests all
 * start from these defaults and get the same one-line errors, which name the option as the command
 * line spells it ({@code --ratio must be in (0, 1], got 2.0}). The pipeline's stages take their
 * defaults from here too, so a default is written once.
 */
public final class SummarizeOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Input formats: {@code auto} guesses from the path (a directory of text files, or a table). */
    public static final List<String> INPUT_FORMATS = List.of("auto", "text", "parquet", "json");
    public static final String INPUT_FORMAT = INPUT_FORMATS.get(0);
    /** Output formats, the default first: one Delta table, or the Parquet / JSON exports. */
    public static final List<String> OUTPUT_FORMATS = NightlyCommit.FORMATS;
    public static final String OUTPUT_FORMAT = OUTPUT_FORMATS.get(0);
    /** The default budget: about this many words per summary (BENCHMARKS.md, "Summary quality"). */
    public static final int WORDS = 75;
    /** Sentences per summary when a budget in sentences is asked for without a number. */
    public static final int SENTENCES = 6;
    public static final double REDUNDANCY = 0.9;
    public static final double TEMPERATURE = 0.1;
    public static final long MAX_CHARS = 5_000_000L;
    public static final SelectionMethod METHOD = SelectionMethod.COVERAGE;
    public static final Device DEVICE = Device.CPU;
    /** The GPU kernels' input precision (BENCHMARKS.md, issue 19 part 2, says why fp32 stays the default). */
    public static final Precision PRECISION = Precision.FP32;
    /** Documents with more sentences than this run their centrality on the ring. */
    public static final int RING_THRESHOLD = 16384;

    /*
     * Every option, by its builder field, in exactly one of the three lists below (SummarizeOptionsTest
     * fails on a field that is in none): a document's summary is carried from an earlier night only when
     * every option that changes it is as it was then (summarySettings, SummaryFingerprint).
     */
    /** Options that change a summary: {@link #summarySettings} holds each of them. */
    public static final List<String> CHANGE_A_SUMMARY = List.of("model", "method", "words", "sentences", "ratio",
            "redundancy", "temperature", "device", "precision");
    /**
     * Options that change the summary of a document whose attention runs on the ring and of no other: the
     * ring sums in another order than one task does, so its centrality differs in the last bits, and which
     * documents ride it depends on the threshold (SummaryFingerprint's route).
     */
    public static final List<String> CHANGE_A_RING_SUMMARY = List.of("ringThreshold", "ringPartitions");
    /** Options that never change a summary: what is read and written where, what else is written, how it is told. */
    public static final List<String> KEEP_SUMMARIES = List.of("input", "inputFormat", "output", "date", "outputFormat",
            "maxChars", "attention", "savePipeline", "phaseTimes", "quiet", "failFast", "full");

    private final String input;
    private final String inputFormat;
    private final String output;
    private final String date;
    private final String outputFormat;
    private final int sentences;
    private final double ratio;
    private final int words;
    private final double redundancy;
    private final double temperature;
    private final long maxChars;
    private final String model;
    private final boolean attention;
    private final String savePipeline;
    private final boolean phaseTimes;
    private final boolean quiet;
    private final boolean failFast;
    private final SelectionMethod method;
    private final Device device;
    private final Precision precision;
    private final int ringThreshold;
    private final int ringPartitions;
    private final boolean full;

    private SummarizeOptions(Builder b) {
        input = b.input;
        inputFormat = b.inputFormat;
        output = b.output;
        date = b.date == null ? LocalDate.now(ZoneOffset.UTC).toString() : b.date;
        outputFormat = b.outputFormat;
        sentences = b.sentences;
        ratio = b.ratio;
        words = b.words;
        redundancy = b.redundancy;
        temperature = b.temperature;
        maxChars = b.maxChars;
        model = b.model;
        attention = b.attention;
        savePipeline = b.savePipeline;
        phaseTimes = b.phaseTimes;
        quiet = b.quiet;
        failFast = b.failFast;
        method = b.method;
        device = b.device;
        precision = b.precision;
        ringThreshold = b.ringThreshold;
        ringPartitions = b.ringPartitions;
        full = b.full;
    }

    /** A builder holding every default; {@code input} and {@code output} have none. */
    public static Builder builder(String input, String output) {
        return new Builder().input(input).output(output);
    }

    /** A builder starting from these options, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.input = input;
        b.inputFormat = inputFormat;
        b.output = output;
        b.date = date;
        b.outputFormat = outputFormat;
        b.sentences = sentences;
        b.ratio = ratio;
        b.words = words;
        b.redundancy = redundancy;
        b.temperature = temperature;
        b.maxChars = maxChars;
        b.model = model;
        b.attention = attention;
        b.savePipeline = savePipeline;
        b.phaseTimes = phaseTimes;
        b.quiet = quiet;
        b.failFast = failFast;
        b.method = method;
        b.device = device;
        b.precision = precision;
        b.ringThreshold = ringThreshold;
        b.ringPartitions = ringPartitions;
        b.full = full;
        return b;
    }

    /** Documents: a directory of text files ({@code Documents.TEXT_EXTENSIONS}) or a Parquet/JSON table. */
    public String input() {
        return input;
    }

    /** One of {@link #INPUT_FORMATS}. */
    public String inputFormat() {
        return inputFormat;
    }

    /** The root the night is written under (see {@link #outputFormat}). */
    public String output() {
        return output;
    }

    /** The run's date, YYYY-MM-DD; today (UTC) unless set. */
    public String date() {
        return date;
    }

    /** One of {@link #OUTPUT_FORMATS}. */
    public String outputFormat() {
        return outputFormat;
    }

    /** Sentences per summary, when neither {@link #words} nor {@link #ratio} is positive. */
    public int sentences() {
        return sentences;
    }

    /** A fraction of each document's sentences; 0 means use {@link #words} or {@link #sentences}. */
    public double ratio() {
        return ratio;
    }

    /** About this many words per summary (whole sentences, never more than 1.5 times it); 0 when another budget is set. */
    public int words() {
        return words;
    }

    /** The largest cosine similarity allowed between two summary sentences. */
    public double redundancy() {
        return redundancy;
    }

    /** Attention sharpness: logits are cosine / temperature. */
    public double temperature() {
        return temperature;
    }

    /** Documents longer than this many characters are rejected. */
    public long maxChars() {
        return maxChars;
    }

    /** A model directory, or {@code null} for the bundled encoder. */
    public String model() {
        return model;
    }

    /** Also write per-sentence context vectors. */
    public boolean attention() {
        return attention;
    }

    /** A directory to save the fitted pipeline to, or {@code null}. */
    public String savePipeline() {
        return savePipeline;
    }

    /** Materialize each stage to time it (slower). */
    public boolean phaseTimes() {
        return phaseTimes;
    }

    /** No progress lines, only the final one. */
    public boolean quiet() {
        return quiet;
    }

    /** Stop at the first document a stage fails on, instead of rejecting it. */
    public boolean failFast() {
        return failFast;
    }

    /** How sentences are chosen. */
    public SelectionMethod method() {
        return method;
    }

    /** Where the encoder and attention run: cpu, gpu (fails without a working GPU) or auto. */
    public Device device() {
        return device;
    }

    /** The GPU kernels' input precision: fp32 or bf16 (tensor cores); the CPU computes in fp32. */
    public Precision precision() {
        return precision;
    }

    /** Documents with more sentences than this run their centrality on the ring; 0 for never. */
    public int ringThreshold() {
        return ringThreshold;
    }

    /** Ring positions for a long document; 0 for Spark's default parallelism. */
    public int ringPartitions() {
        return ringPartitions;
    }

    /**
     * Recompute every document, carrying nothing from earlier nights; by default a document whose text
     * and {@link #summarySettings} are those of its most recent summary is carried, not recomputed.
     */
    public boolean full() {
        return full;
    }

    /**
     * The options that change a summary ({@link #CHANGE_A_SUMMARY}), by their command-line names, with
     * their values as text: the budget as the one in force ({@code words 75}, {@code sentences 6} or
     * {@code ratio 0.1}).
     * The model is named by its directory here; {@code SummaryFingerprint} hashes its files.
     */
    public java.util.Map<String, String> summarySettings() {
        java.util.Map<String, String> s = new java.util.LinkedHashMap<>();
        s.put("model", model == null ? "" : model);
        s.put("method", method.label());
        s.put("budget", ratio > 0 ? "ratio " + ratio : words > 0 ? "words " + words : "sentences " + sentences);
        s.put("redundancy", Double.toString(redundancy));
        s.put("temperature", Double.toString(temperature));
        s.put("device", device.label());
        s.put("precision", precision.label());
        return s;
    }

    /** Fluent setters over the defaults above; {@link #build} checks every value. */
    public static final class Builder {
        private String input;
        private String inputFormat = INPUT_FORMAT;
        private String output;
        private String date;
        private String outputFormat = OUTPUT_FORMAT;
        private int sentences = SENTENCES;
        private double ratio;
        private int words = WORDS;
        private double redundancy = REDUNDANCY;
        private double temperature = TEMPERATURE;
        private long maxChars = MAX_CHARS;
        private String model;
        private boolean attention;
        private String savePipeline;
        private boolean phaseTimes;
        private boolean quiet;
        private boolean failFast;
        private SelectionMethod method = METHOD;
        private Device device = DEVICE;
        private Precision precision = PRECISION;
        private int ringThreshold = RING_THRESHOLD;
        private int ringPartitions;
        private boolean full;

        private Builder() {
        }

        public Builder input(String v) {
            input = v;
            return this;
        }

        public Builder inputFormat(String v) {
            inputFormat = v;
            return this;
        }

        public Builder output(String v) {
            output = v;
            return this;
        }

        /** YYYY-MM-DD; null for today (UTC). */
        public Builder date(String v) {
            date = v;
            return this;
        }

        public Builder outputFormat(String v) {
            outputFormat = v;
            return this;
        }

        /** A budget of N sentences per summary (clears any word budget or ratio). */
        public Builder sentences(int v) {
            sentences = v;
            ratio = 0;
            words = 0;
            return this;
        }

        /** A budget of a fraction of each document's sentences, in (0, 1] (clears any word budget). */
        public Builder ratio(double v) {
            ratio = v;
            words = 0;
            return this;
        }

        /** A budget of about W words per summary, the default kind (clears any ratio). */
        public Builder words(int v) {
            words = v;
            ratio = 0;
            return this;
        }

        public Builder redundancy(double v) {
            redundancy = v;
            return this;
        }

        public Builder temperature(double v) {
            temperature = v;
            return this;
        }

        public Builder maxChars(long v) {
            maxChars = v;
            return this;
        }

        /** A model directory; null or empty for the bundled all-MiniLM-L6-v2. */
        public Builder model(String v) {
            model = v == null || v.isEmpty() ? null : v;
            return this;
        }

        public Builder attention(boolean v) {
            attention = v;
            return this;
        }

        public Builder savePipeline(String v) {
            savePipeline = v;
            return this;
        }

        public Builder phaseTimes(boolean v) {
            phaseTimes = v;
            return this;
        }

        public Builder quiet(boolean v) {
            quiet = v;
            return this;
        }

        public Builder failFast(boolean v) {
            failFast = v;
            return this;
        }

        public Builder method(SelectionMethod v) {
            method = v;
            return this;
        }

        /** The selection method by its label ({@link SelectionMethod#labels()}). */
        public Builder method(String label) {
            method = null;
            for (SelectionMethod m : SelectionMethod.values()) {
                if (m.label().equals(label)) {
                    method = m;
                }
            }
            if (method == null) {
                throw new BadInputException("--method must be one of " + SelectionMethod.labels() + ", got '"
                        + label + "'");
            }
            return this;
        }

        public Builder device(Device v) {
            device = v;
            return this;
        }

        public Builder precision(Precision v) {
            precision = v;
            return this;
        }

        public Builder ringThreshold(int v) {
            ringThreshold = v;
            return this;
        }

        public Builder ringPartitions(int v) {
            ringPartitions = v;
            return this;
        }

        /** Recompute every document instead of carrying unchanged ones from earlier nights. */
        public Builder full(boolean v) {
            full = v;
            return this;
        }

        /**
         * Sets the option the command line calls {@code --name} from its text, as a user typed it (the
         * notebook's widgets, a job's parameters): {@code option("max-chars", "60000")}. Text that is not a
         * value of the option's type is refused naming the option; ranges are checked by {@link #build}.
         */
        public Builder option(String name, String text) {
            String flag = "--" + name;
            switch (name) {
                case "input" -> input(text);
                case "input-format" -> inputFormat(text);
                case "output" -> output(text);
                case "date" -> date(text);
                case "output-format" -> outputFormat(text);
                case "sentences" -> sentences((int) whole(flag, text, Integer.MIN_VALUE, Integer.MAX_VALUE));
                case "ratio" -> ratio(number(flag, text));
                case "words" -> words((int) whole(flag, text, Integer.MIN_VALUE, Integer.MAX_VALUE));
                case "redundancy" -> redundancy(number(flag, text));
                case "temperature" -> temperature(number(flag, text));
                case "max-chars" -> maxChars(whole(flag, text, Long.MIN_VALUE, Long.MAX_VALUE));
                case "model" -> model(text);
                case "save-pipeline" -> savePipeline(text);
                case "method" -> method(text);
                case "device" -> device(Device.parse(text));
                case "precision" -> precision(Precision.parse(text));
                case "ring-threshold" -> ringThreshold((int) whole(flag, text, Integer.MIN_VALUE, Integer.MAX_VALUE));
                case "ring-partitions" -> ringPartitions((int) whole(flag, text, Integer.MIN_VALUE, Integer.MAX_VALUE));
                case "attention" -> attention(bool(flag, text));
                case "phase-times" -> phaseTimes(bool(flag, text));
                case "quiet" -> quiet(bool(flag, text));
                case "fail-fast" -> failFast(bool(flag, text));
                case "full" -> full(bool(flag, text));
                default -> throw new BadInputException("unknown option '" + flag + "'; see jobs/summarize --help");
            }
            return this;
        }

        private static long whole(String flag, String text, long min, long max) {
            try {
                long v = Long.parseLong(text.strip());
                if (v < min || v > max) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw new BadInputException(flag + " must be a whole number, got '" + text + "'");
            }
        }

        private static double number(String flag, String text) {
            try {
                return Double.parseDouble(text.strip());
            } catch (NumberFormatException e) {
                throw new BadInputException(flag + " must be a number, got '" + text + "'");
            }
        }

        private static boolean bool(String flag, String text) {
            return switch (text.strip()) {
                case "true" -> true;
                case "false" -> false;
                default -> throw new BadInputException(flag + " must be true or false, got '" + text + "'");
            };
        }

        /** The options, or a {@link BadInputException} naming the first value that cannot be used. */
        public SummarizeOptions build() {
            require(input != null && !input.isBlank(), "--input is required");
            require(output != null && !output.isBlank(), "--output is required");
            require(INPUT_FORMATS.contains(inputFormat), "--input-format must be one of " + INPUT_FORMATS
                    + ", got '" + inputFormat + "'");
            require(OUTPUT_FORMATS.contains(outputFormat), "--output-format must be one of " + OUTPUT_FORMATS
                    + ", got '" + outputFormat + "'");
            if (date != null) {
                require(isDate(date), "--date must be a date like 2026-11-29, got '" + date + "'");
            }
            require(sentences >= 1, "--sentences must be at least 1, got " + sentences);
            require(ratio == 0 || (ratio > 0 && ratio <= 1), "--ratio must be in (0, 1], got " + ratio);
            require(words >= 0 && (words > 0 || ratio > 0 || sentences > 0), "--words must be at least 1, got " + words);
            require(redundancy >= -1 && redundancy <= 1,
                    "--redundancy must be a cosine similarity in [-1, 1], got " + redundancy);
            require(temperature > 0 && Double.isFinite(temperature),
                    "--temperature must be a positive finite number, got " + temperature);
            require(maxChars >= 1, "--max-chars must be at least 1, got " + maxChars);
            require(ringThreshold >= 0, "--ring-threshold must be 0 (never) or more, got " + ringThreshold);
            require(ringPartitions >= 0, "--ring-partitions must be 0 (Spark's parallelism) or more, got "
                    + ringPartitions);
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(precision, "precision");
            Placement.checkPrecision(device, precision);
            return new SummarizeOptions(this);
        }

        private static boolean isDate(String text) {
            if (!text.matches("\\d{4}-\\d{2}-\\d{2}")) {
                return false;
            }
            try {
                LocalDate.parse(text);
                return true;
            } catch (DateTimeParseException e) {
                return false;
            }
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new BadInputException(message);
            }
        }
    }
}
