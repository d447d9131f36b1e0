package org.ringattention.cli;

import java.io.PrintStream;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.ringattention.backend.BackendFactory;
import org.ringattention.backend.Device;
import org.ringattention.io.BadInputException;
import org.ringattention.summarize.SummarizeJob;

/** {@code jobs/summarize}: the nightly summarization job on Spark (embedded local unless a master is given). */
public final class SummarizeCommand extends Command {

    private static final List<String> VALUED = List.of("--input", "--input-format", "--output", "--date",
            "--output-format", "--sentences", "--ratio", "--redundancy", "--temperature", "--max-chars", "--model",
            "--save-pipeline", "--master", "--device");
    private static final List<String> FLAGS = List.of("--attention", "--phase-times");

    public static void main(String[] args) {
        int status = new SummarizeCommand().execute(args, System.out, System.err);
        // Under YARN cluster mode the application master runs main() and reports its outcome; an exit
        // here, even with 0, would end the AM before it records success.
        if (status != OK || !"cluster".equals(System.getProperty("spark.submit.deployMode"))) {
            System.exit(status);
        }
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/summarize --input PATH --output PATH [options]",
                "",
                "Summarizes each document by its most central sentences: sentences are embedded with a BERT-family",
                "encoder, attend to every other sentence of their document (exact attention), and the sentences",
                "that receive the most attention are returned in document order.",
                "",
                "  --input PATH            a directory of .txt/.md files (doc id = file name), or a Parquet or JSON",
                "                          table with doc_id, text and optionally date",
                "  --input-format F        auto (default), text, parquet or json",
                "  --output PATH           writes PATH/summaries/date=D and PATH/rejects/date=D",
                "  --date D                the run's date, YYYY-MM-DD (default: today, UTC); rerunning a date replaces it",
                "  --output-format F       parquet (default) or json (JSON lines)",
                "  --sentences N           sentences per summary (default 5)",
                "  --ratio R               or a fraction of each document's sentences, 0 < R <= 1",
                "  --redundancy X          largest cosine similarity between two summary sentences (default 0.9)",
                "  --temperature T         attention sharpness: logits are cosine / T (default 0.1)",
                "  --max-chars N           reject documents longer than N characters (default 5000000)",
                "  --model DIR             a BERT-family model directory (config.json, model.safetensors or .onnx,",
                "                          tokenizer.json); default: the bundled all-MiniLM-L6-v2",
                "  --attention             also write per-sentence context vectors to PATH/attention/date=D",
                "  --save-pipeline DIR     also save the fitted PipelineModel to DIR",
                "  --phase-times           materialize each stage to report its wall time (slower; for benchmarks)",
                "  --master URL            Spark master (default: spark-submit's, else embedded local[*])",
                "  --device D              cpu (default), gpu (each task on the GPU Spark assigned it; fails without one)",
                "                          or auto (the GPU where it works, else the CPU); on a cluster with",
                "                          conf/spark-gpu.conf",
                "",
                "Exit status: 0 done, 2 bad input, 1 other failure.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) {
        SummarizeJob.Options o = options(Args.parse(argv, VALUED, FLAGS));
        SparkConf conf = new SparkConf().setAppName("summarize " + o.date());
        if (o.master() != null) {
            conf.setMaster(o.master());
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        BackendFactory.requireLocalGpu(o.device(), conf.get("spark.master"));
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
            err.println(SummarizeJob.summarize(spark, o).line());
            err.println("summarize: wrote " + o.output() + "/summaries/date=" + o.date() + " and " + o.output()
                    + "/rejects/date=" + o.date() + (o.attention() ? " and " + o.output() + "/attention/date=" + o.date() : ""));
            return OK;
        } finally {
            spark.stop();
        }
    }

    static SummarizeJob.Options options(Args a) {
        String input = a.required("--input");
        String output = a.required("--output");
        if (a.get("--sentences") != null && a.get("--ratio") != null) {
            throw new BadInputException("give --sentences or --ratio, not both");
        }
        String date = a.get("--date") == null ? LocalDate.now(ZoneOffset.UTC).toString() : a.get("--date");
        try {
            LocalDate.parse(date);
        } catch (DateTimeParseException e) {
            throw new BadInputException("--date must be a date like 2026-11-29, got '" + date + "'");
        }
        double ratio = a.get("--ratio") == null ? 0 : a.positiveFloat("--ratio");
        if (ratio > 1) {
            throw new BadInputException("--ratio must be in (0, 1], got " + a.get("--ratio"));
        }
        Float temperature = a.positiveFloat("--temperature");
        double redundancy = a.doubleValue("--redundancy", 0.9);
        if (!(redundancy >= -1 && redundancy <= 1)) {
            throw new BadInputException("--redundancy must be a cosine similarity in [-1, 1], got " + a.get("--redundancy"));
        }
        String outputFormat = a.get("--output-format") == null ? "parquet" : a.get("--output-format");
        if (!outputFormat.equals("parquet") && !outputFormat.equals("json")) {
            throw new BadInputException("--output-format must be parquet or json, got '" + outputFormat + "'");
        }
        return new SummarizeJob.Options(input, a.get("--input-format") == null ? "auto" : a.get("--input-format"),
                output, date, outputFormat, a.intValue("--sentences", 5, 1), ratio, redundancy,
                temperature == null ? 0.1 : temperature, a.intValue("--max-chars", 5_000_000, 1), a.get("--model"),
                a.flag("--attention"), a.get("--save-pipeline"), a.flag("--phase-times"), a.get("--master"),
                Device.parse(a.get("--device")));
    }
}
