package org.ringattention.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ringattention.io.BadInputException;
import org.ringattention.platform.SparkBuild;

/**
 * What every command line entry point shares: a jar built for another Spark is refused before anything
 * starts; bad input is one line on stderr and exit status 2, anything unexpected exit status 1, success 0.
 */
abstract class Command {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int BAD_INPUT = 2;

    /** Runs the command; exceptions are turned into an exit status by {@link #execute}. */
    abstract int run(String[] args, PrintStream out, PrintStream err) throws Exception;

    /** {@link #run} on the Spark this jar was built for; a wrong one is bad input, named in one line. */
    final int start(String[] args, PrintStream out, PrintStream err) throws Exception {
        SparkBuild.requireRuntime();
        return run(args, out, err);
    }

    abstract String usage();

    final int execute(String[] args, PrintStream out, PrintStream err) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                out.println(usage());
                return OK;
            }
        }
        try {
            return start(args, out, err);
        } catch (BadInputException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return BAD_INPUT;
        } catch (Exception e) {
            err.println("error: " + e);
            return FAILED;
        }
    }

    /** Refuses an output path whose directory is missing or not writable, before any work is done. */
    static void checkWritable(Path path, String option) {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new BadInputException(option + " " + path + ": directory " + dir + " does not exist; create it first");
        }
        if (!Files.isWritable(dir)) {
            throw new BadInputException(option + " " + path + ": directory " + dir + " is not writable");
        }
    }
}
