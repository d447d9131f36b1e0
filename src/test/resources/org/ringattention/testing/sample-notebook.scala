// Databricks notebook source
// MAGIC %md
// MAGIC # Word lengths per document
// MAGIC
// MAGIC A stand-in for the summarization notebook: builds a small table, transforms it, displays it.

// COMMAND ----------

dbutils.widgets.text("min_length", "3", "Shortest word kept")
val minLength = dbutils.widgets.get("min_length").toInt

// COMMAND ----------

case class Word(doc: String, word: String)

val words = Seq(
  Word("a", "ring"), Word("a", "attention"),
  Word("b", "is"), Word("b", "exact"), Word("b", "blockwise")).toDS()

// COMMAND ----------

// DBTITLE 1,Letters and kept words per document
import org.apache.spark.sql.functions._

val shout = udf((w: String) => w.toUpperCase)
// The filter closure captures minLength from an earlier cell and runs on executors.
val perDoc = words.filter(w => w.word.length >= minLength)
  .withColumn("upper", shout($"word"))
  .groupBy("doc")
  .agg(sum(length($"word")).as("letters"), count("*").as("words"),
    concat_ws(",", sort_array(collect_list($"upper"))).as("kept"))
  .orderBy("doc")
perDoc.createOrReplaceTempView("per_doc")
display(perDoc)

// COMMAND ----------

// MAGIC %sql
// MAGIC SELECT doc, letters
// MAGIC FROM per_doc
// MAGIC WHERE words > 1
