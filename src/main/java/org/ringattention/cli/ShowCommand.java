package org.ringattention.cli;

import static org.apache.spark.sql.functions.col;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.ringattention.io.BadInputException;
import org.ringattention.output.NightlyTables;
import org.ringattention.selection.Budget;

/** {@code jobs/show}: a night's summaries in the terminal, read from the job's output in any of its formats. */
public final class ShowCommand extends Command {

    private static final List<String> VALUED = List.of("--date", "--doc");
    private static final int WIDTH = 100;

    public static void main(String[] args) {
        System.exit(new ShowCommand().execute(args, System.out, System.err));
    }

    @Override
    String usage() {
        return String.join("\n",
                "usage: jobs/show PATH [--date D] [--doc ID]",
                "",
                "Prints the summaries that jobs/summarize --output PATH wrote (Parquet, JSON or Delta).",
                "",
                "  PATH        the --output of a jobs/summarize run",
                "  --date D    the night to show (default: the latest one under PATH)",
                "  --doc ID    one document in full: its summary, chosen sentences and their scores",
                "",
                "The night's report, with charts, is PATH/report/date=D/index.html.",
                "Exit status: 0 done, 2 bad input (no such output, date or document), 1 other failure.");
    }

    @Override
    int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].startsWith("--")) {
            throw new BadInputException("give the output PATH of a jobs/summarize run first; see --help");
        }
        String root = argv[0];
        Args a = Args.parse(java.util.Arrays.copyOfRange(argv, 1, argv.length), VALUED, List.of());
        SparkSession spark = SparkSession.builder().config(SparkSettings.conf("show", "local[1]")
                .set("spark.ui.enabled", "false")).getOrCreate();
        try {
            List<String> dates = NightlyTables.dates(spark, root, "summaries");
            if (dates.isEmpty()) {
                throw new BadInputException(root + "/summaries holds no date=D folder yet");
            }
            String date = a.get("--date") == null ? dates.get(dates.size() - 1) : a.get("--date");
            if (!dates.contains(date)) {
                throw new BadInputException(root + " has no summaries for date=" + date + "; it has "
                        + String.join(", ", dates));
            }
            List<Row> summaries = NightlyTables.read(spark, root, "summaries", date).orderBy("doc_id").collectAsList();
            String night = date;
            if (a.get("--doc") != null) {
                Row doc = summaries.stream().filter(r -> a.get("--doc").equals(r.getAs("doc_id"))).findFirst()
                        .orElseThrow(() -> new BadInputException("no document '" + a.get("--doc") + "' in the summaries of "
                                + "date=" + night + "; jobs/show " + root + " --date " + night + " lists them"));
                document(doc, out);
                return OK;
            }
            List<Row> rejects = NightlyTables.read(spark, root, "rejects", date).orderBy("doc_id").collectAsList();
            out.printf(Locale.ROOT, "%s: %,d summaries, %,d rejects (%s)%n", date, summaries.size(), rejects.size(), root);
            for (Row r : summaries) {
                out.println();
                out.printf(Locale.ROOT, "%s  (%,d sentences, %,d tokens; summary %,d words)%n", r.<String>getAs("doc_id"),
                        ((Number) r.getAs("sentence_count")).longValue(), ((Number) r.getAs("token_count")).longValue(),
                        Budget.words(r.getAs("summary")));
                wrap(r.getAs("summary"), "  ", out);
            }
            if (!rejects.isEmpty()) {
                out.println();
                out.println("rejects:");
                for (Row r : rejects) {
                    out.println("  " + r.getAs("doc_id") + ": " + r.getAs("reason"));
                }
            }
            return OK;
        } finally {
            spark.stop();
        }
    }

    private static void document(Row r, PrintStream out) {
        out.printf(Locale.ROOT, "%s  (%,d sentences, %,d tokens; summary %,d words)%n%n", r.<String>getAs("doc_id"),
                ((Number) r.getAs("sentence_count")).longValue(), ((Number) r.getAs("token_count")).longValue(),
                Budget.words(r.getAs("summary")));
        wrap(r.getAs("summary"), "", out);
        out.println();
        List<Object> indices = r.getList(r.fieldIndex("selected_indices"));
        List<Object> scores = r.getList(r.fieldIndex("selected_scores"));
        out.println("chosen sentences (index: score):");
        for (int i = 0; i < indices.size(); i++) {
            out.printf(Locale.ROOT, "  %s: %.4f%n", indices.get(i), ((Number) scores.get(i)).doubleValue());
        }
    }

    /** Words of {@code text} in lines of at most {@link #WIDTH} characters, each starting with {@code indent}. */
    private static void wrap(String text, String indent, PrintStream out) {
        StringBuilder line = new StringBuilder(indent);
        for (String word : text.split("\\s+")) {
            if (line.length() > indent.length() && line.length() + 1 + word.length() > WIDTH) {
                out.println(line);
                line.setLength(0);
                line.append(indent);
            }
            if (line.length() > indent.length()) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > indent.length()) {
            out.println(line);
        }
    }
}
