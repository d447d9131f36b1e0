// Databricks notebook source
// MAGIC %md
// MAGIC # Nightly summaries with exact long-context attention
// MAGIC
// MAGIC The nightly job of `spark-ring-attention`, as a notebook: the same library entry point as `jobs/summarize`
// MAGIC (`SummarizeJob.summarize`), so the same summaries, rejects and report. Sentences are embedded with
// MAGIC all-MiniLM-L6-v2, attend to every other sentence of their document (exact attention), and the sentences that
// MAGIC receive the most attention form the summary. Attach the job jar built for Databricks to the cluster first
// MAGIC (`mvn -P databricks package` makes `target/databricks/spark-ring-attention-*-spark4.0-scala2.13-databricks-job.jar`,
// MAGIC which uses the runtime's own Delta Lake); `conf/databricks-cluster.json` has the cluster settings. Run it as a
// MAGIC job with the widgets below as its parameters.

// COMMAND ----------

// The attached jar must be the build for this cluster's runtime: on any other (a jar for another Spark, or one
// that bundles Delta Lake) this stops here with one line naming the jar to attach.
org.ringattention.platform.SparkBuild.requireRuntime()

// COMMAND ----------

import org.apache.spark.sql.functions._
import org.ringattention.summarize._
import org.ringattention.output.NightlyTables

// Parameters: the defaults are the job's own (SummarizeOptions); an empty value keeps the default. The
// builder checks every value as jobs/summarize does, with the same one-line errors.
dbutils.widgets.text("input", "dbfs:/FileStore/ring-attention/samples", "Documents (folder of text files: .txt .md .Rmd .rst ..., Parquet or JSON)")
dbutils.widgets.text("output", "dbfs:/FileStore/ring-attention/nightly", "Output root")
dbutils.widgets.text("date", "", "Date, YYYY-MM-DD (empty: today, UTC)")
dbutils.widgets.text("words", SummarizeOptions.WORDS.toString, "About this many words per summary (whole sentences)")
dbutils.widgets.text("sentences", "", "Or this many sentences per summary")
dbutils.widgets.text("ratio", "", "Or a fraction of each document's sentences")
dbutils.widgets.text("redundancy", SummarizeOptions.REDUNDANCY.toString, "Largest cosine similarity between summary sentences")
dbutils.widgets.text("temperature", SummarizeOptions.TEMPERATURE.toString, "Attention sharpness (logits are cosine / T)")
dbutils.widgets.text("max_chars", SummarizeOptions.MAX_CHARS.toString, "Reject documents longer than this")
dbutils.widgets.text("output_format", SummarizeOptions.OUTPUT_FORMAT, "delta (one Delta table, a date per transaction), parquet or json")
dbutils.widgets.text("method", "", "How sentences are chosen: coverage (default), centrality, lead, lexrank, textrank")
dbutils.widgets.dropdown("device", SummarizeOptions.DEVICE.label, Seq("cpu", "gpu", "auto"), "Where the encoder and attention run")
dbutils.widgets.dropdown("precision", SummarizeOptions.PRECISION.label, Seq("fp32", "bf16"), "GPU kernels' inputs (bf16: tensor cores)")
dbutils.widgets.dropdown("fail_fast", "false", Seq("false", "true"), "Stop at the first document a stage fails on")
dbutils.widgets.dropdown("full", "false", Seq("false", "true"), "Recompute every document (default: carry unchanged ones from earlier nights)")

// Each widget is the job's option of the same name ("max_chars" is --max-chars), parsed and checked by the
// same code as the command line: a bad value stops here with the same one-line error.
val builder = SummarizeOptions.builder(dbutils.widgets.get("input"), dbutils.widgets.get("output"))
for (name <- Seq("date", "words", "sentences", "ratio", "redundancy", "temperature", "max_chars", "output_format", "method",
                 "device", "precision", "fail_fast", "full")) {
  Option(dbutils.widgets.get(name)).map(_.trim).filter(_.nonEmpty).foreach(v => builder.option(name.replace('_', '-'), v))
}
val options = builder.build()

// COMMAND ----------

// MAGIC %md
// MAGIC ## The run
// MAGIC Progress lines go to the driver's log; the last line is the run's figures. A document whose text and summary
// MAGIC settings are those of its most recent summary in the output is carried into the date as it was, not
// MAGIC recomputed (set `full` to recompute everything).

// COMMAND ----------

val run = SummarizeJob.summarize(spark, options)
println(run.line())

// COMMAND ----------

// MAGIC %md
// MAGIC ## What the nights computed, carried and cost
// MAGIC One row per date: documents computed and carried, tokens computed, wall time, core-hours (and GPU-hours).

// COMMAND ----------

display(NightlyTables.read(spark, options.output, "runs").select(col("date"), col("computed"), col("carried"),
  col("rejects"), col("tokens_computed"), col("seconds"), col("core_hours"), col("gpu_hours")).orderBy("date"))

// COMMAND ----------

// MAGIC %md
// MAGIC ## The summaries
// MAGIC One row per document, read back from the night's output.

// COMMAND ----------

val summaries = NightlyTables.read(spark, options.output, "summaries", options.date)
display(summaries.select(col("doc_id"), col("sentence_count"), col("token_count"), col("summary")).orderBy("doc_id"))

// COMMAND ----------

// MAGIC %md
// MAGIC ## The rejects
// MAGIC Input rows that could not be summarized (empty, undecodable, too long, duplicate ids), each with its reason.

// COMMAND ----------

display(NightlyTables.read(spark, options.output, "rejects", options.date).orderBy("doc_id"))

// COMMAND ----------

// MAGIC %md
// MAGIC ## The report
// MAGIC The night's figures, time per phase and, for each document, its sentence scores with the chosen sentences
// MAGIC marked: a static page with its charts beside it. Download the folder, or open it from a file browser.

// COMMAND ----------

println(s"${options.output}/report/date=${options.date}/index.html")
