// Databricks notebook source
// MAGIC %md
// MAGIC # Nightly summaries with exact long-context attention
// MAGIC
// MAGIC Summarizes a table of long documents with the `spark-ring-attention` job's API: sentences are embedded
// MAGIC with all-MiniLM-L6-v2, attend to every other sentence of their document (exact attention), and the sentences
// MAGIC that receive the most attention form the summary. Attach the job jar (`target/spark-ring-attention-*-job.jar`)
// MAGIC to the cluster first; `conf/databricks-cluster.json` has the cluster settings.

// COMMAND ----------

import org.apache.spark.ml.{Pipeline, PipelineStage}
import org.apache.spark.sql.functions._
import org.ringattention.summarize._

// A table path (Parquet, JSON) or a folder of .txt/.md files.
dbutils.widgets.text("input", "dbfs:/FileStore/ring-attention/samples", "Documents")
val inputPath = dbutils.widgets.get("input")

// COMMAND ----------

// MAGIC %md
// MAGIC ## The documents
// MAGIC Rows that cannot be summarized (empty, undecodable, too long, duplicate ids) carry a reason instead of text.

// COMMAND ----------

val intake = Documents.validate(Documents.read(spark, inputPath, "auto", 5000000L), 5000000L).cache()
val documents = intake.filter(col("reject").isNull).drop("reject")
display(intake.select(col("doc_id"), length(col("text")).as("characters"), col("reject")))

// COMMAND ----------

// MAGIC %md
// MAGIC ## The pipeline
// MAGIC Four Spark ML stages; each has fluent setters for its Params.

// COMMAND ----------

val pipeline = new Pipeline().setStages(Array[PipelineStage](
  new SentenceSplitter(),
  new SentenceEmbeddings(),
  new SentenceCentrality().setTemperature(0.1),
  new SummarySelector().setSentences(3).setRedundancy(0.9)))
val model = pipeline.fit(documents)
val summarized = model.transform(documents).cache()
display(summarized.select(col("doc_id"), size(col("sentences")).as("sentences"), col("selection.summary").as("summary")))

// COMMAND ----------

// MAGIC %md
// MAGIC ## Sentence centrality along a document
// MAGIC The attention each sentence receives from the rest of its document; summary sentences are the peaks.
// MAGIC Plot it as a line chart: x = `sentence_index`, y = `centrality`.

// COMMAND ----------

val firstDoc = summarized.select("doc_id").orderBy("doc_id").head().getString(0)
val centralityAlong = summarized
  .filter(col("doc_id") === firstDoc)
  .select(posexplode(col("centrality")).as(Seq("sentence_index", "centrality")))
  .orderBy("sentence_index")
display(centralityAlong)
