package org.ringattention.cli;

import java.io.PrintStream;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.ringattention.backend.BackendFactory;
import org.ringattention.backend.Device;
import org.ringattention.executor.EncoderWarmup;
import org.ringattention.io.BadInputException;
import org.ringattention.output.NightlyTables;
import org.ringattention.summarize.SummarizeJob;
import org.ringattention.summarize.SummarizeOptions;

/** {@code jobs/summarize}: the nightly summarization job on Spark (embedded local unless a master is given). */
public final class SummarizeCommand extends Command {

    private static final List<String> VALUED = List.of("--input", "--input-format", "--output", "--date",
            "--output-format", "--words", "--sentences", "--ratio", "--redundancy", "--temperature", "--max-chars", "--model",
            "--save-pipeline", "--master", "--device", "--method", "--ring-threshold", "--ring-partitions", "--precision");
    private static final List<String> FLAGS = List.of("--attention", "--phase-times", "--quiet", "--fail-fast", "--full");

    public static void main(String[] args) throws Exception {
        if ("cluster".equals(System.getProperty("spark.submit.deployMode"))) {
            // Under YARN cluster mode the application master runs main() and reports its outcome: what main
            // throws becomes the application's diagnostics, which spark-submit prints (a jar for another
            // Spark: the line naming the right build). An exit here, even with 0, would end the AM before it
            // records anything.
            new SummarizeCommand().start(args, System.out, System.err);
            return;
        }
        System.exit(new SummarizeCommand().execute(args, System.out, System.err));
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/summarize --input PATH --output PATH [options]",
                "",
                "Summarizes each document by a few of its sentences: sentences are embedded with a BERT-family",
                "encoder, attend to every other sentence of their document (exact attention), and the set that",
                "best covers the document and its sections is returned in document order. Headings, code, tables",
                "and other fragments are context for attention but never summary sentences.",
                "",
                "  --input PATH            a directory of text files (.txt .text .md .markdown .Rmd .qmd .rst; doc id",
                "                          = file name), or a Parquet or JSON",
                "                          table with doc_id, text and optionally date",
                "  --input-format F        auto (default), text, parquet or json",
                "  --output PATH           writes the date's summaries and rejects under PATH (see --output-format)",
                "  --date D                the run's date, YYYY-MM-DD (default: today, UTC); rerunning a date replaces it",
                "  --full                  recompute every document; by default a document whose id, text (SHA-256)",
                "                          and summary settings match its most recent summary under PATH is carried",
                "                          into the date as it was, not split, encoded or attended again",
                "  --output-format F       delta (default): one Delta Lake table PATH/nightly, partitioned by date and",
                "                          kind (summaries, rejects, attention), the date replaced in one transaction;",
                "                          parquet or json (JSON lines): PATH/<kind>/date=D, swapped in when complete",
                "  --words W               about W words per summary, whole sentences, never more than 1.5 W (default "
                        + SummarizeOptions.WORDS + ")",
                "  --sentences N           or N sentences per summary",
                "  --ratio R               or a fraction of each document's sentences, 0 < R <= 1",
                "  --method M              how sentences are chosen: coverage (default), centrality, lead, lexrank,",
                "                          textrank (BENCHMARKS.md compares them)",
                "  --redundancy X          largest cosine similarity between two summary sentences (default "
                        + SummarizeOptions.REDUNDANCY + ")",
                "  --temperature T         attention sharpness: logits are cosine / T (default " + SummarizeOptions.TEMPERATURE + ")",
                "  --max-chars N           reject documents longer than N characters (default " + SummarizeOptions.MAX_CHARS + ")",
                "  --model DIR             a BERT-family model directory (config.json, model.safetensors or .onnx,",
                "                          tokenizer.json); default: the bundled all-MiniLM-L6-v2",
                "  --attention             also write per-sentence context vectors (kind attention)",
                "  --save-pipeline DIR     also save the fitted PipelineModel to DIR",
                "  --ring-threshold N      documents of more than N sentences run their attention on the ring (default "
                        + SummarizeOptions.RING_THRESHOLD + "; 0: never)",
                "  --ring-partitions P     ring positions for such a document (default: Spark's parallelism)",
                "  --phase-times           materialize each stage to report its wall time (slower; for benchmarks)",
                "  --quiet                 no progress lines, only the final one and errors",
                "  --fail-fast             stop at the first document a stage fails on (default: it becomes a reject)",
                "  --master URL            Spark master (default: spark-submit's, else embedded "
                        + SparkSettings.DEFAULT_MASTER + ")",
                "  --device D              cpu (default), gpu (each task on the GPU Spark assigned it; fails without one)",
                "                          or auto (the GPU where it works, else the CPU); on a cluster with",
                "                          conf/spark-gpu.conf",
                "  --precision P           the GPU kernels' inputs: fp32 (default) or bf16 (tensor cores; fp32",
                "                          state and LayerNorm); BENCHMARKS.md has its effect on the summaries",
                "",
                "Exit status: 0 done, 2 bad input, 1 other failure.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse(argv, VALUED, FLAGS);
        SummarizeOptions o = options(a);
        SparkConf conf = SparkSettings.conf("summarize " + o.date(), a.get("--master"));
        BackendFactory.requireLocalGpu(o.device(), conf.get("spark.master"));
        if (o.device() == Device.CPU) {
            EncoderWarmup.register(conf, o.model());
        }
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
            err.println(SummarizeJob.summarize(spark, o).line());
            err.println(o.outputFormat().equals("delta")
                    ? "summarize: wrote date=" + o.date() + " of the Delta table " + NightlyTables.deltaTable(o.output())
                    : "summarize: wrote " + o.output() + "/summaries/date=" + o.date() + " and " + o.output()
                    + "/rejects/date=" + o.date() + (o.attention() ? " and " + o.output() + "/attention/date=" + o.date() : ""));
            err.println("summarize: report " + o.output() + "/report/date=" + o.date() + "/index.html");
            return OK;
        } finally {
            spark.stop();
        }
    }

    static SummarizeOptions options(Args a) {
        if ((a.get("--sentences") != null ? 1 : 0) + (a.get("--ratio") != null ? 1 : 0) + (a.get("--words") != null ? 1 : 0) > 1) {
            throw new BadInputException("give one budget: --words, --sentences or --ratio");
        }
        SummarizeOptions.Builder o = SummarizeOptions.builder(a.required("--input"), a.required("--output"));
        for (String name : VALUED) {
            if (a.get(name) != null && !name.equals("--master")) {
                o.option(name.substring(2), a.get(name));
            }
        }
        for (String name : FLAGS) {
            o.option(name.substring(2), Boolean.toString(a.flag(name)));
        }
        return o.build();
    }
}
