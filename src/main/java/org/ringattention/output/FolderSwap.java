package org.ringattention.output;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The journaled swap of folders into place, the part of a night's commit that a file system's renames
 * carry. A run stages each new folder under {@code base/_staging/<run>/new/<name>}, then writes a journal
 * ({@code _SWAPPING}: for each name, its target and whether the target existed) and swaps: each existing
 * target is renamed aside to {@code old/<name>}, the new folder renamed in. Renaming the journal to
 * {@code _DONE} marks the swap complete; only then is the old output deleted. Rolling back and rolling
 * forward are both safe to repeat after a crash at any point, so {@link #settle} can finish any run a
 * kill left behind.
 */
final class FolderSwap {

    static final String STAGING = "_staging";
    static final String SWAPPING = "_SWAPPING";
    static final String DONE = "_DONE";

    private final FileSystem fs;
    private final Path run;
    private Journal journal;

    private FolderSwap(FileSystem fs, Path run) {
        this.fs = fs;
        this.run = run;
    }

    /** A swap staged under {@code base/_staging/<id>}. */
    static FolderSwap stage(FileSystem fs, Path base, String id) throws IOException {
        Path run = new Path(new Path(base, STAGING), id);
        fs.mkdirs(new Path(run, "new"));
        return new FolderSwap(fs, run);
    }

    /** Where the new folder {@code name} is staged. */
    Path staged(String name) {
        return new Path(new Path(run, "new"), name);
    }

    /**
     * Writes the journal for {@code targets} (name to the folder it replaces); {@code delta} records that
     * a Delta transaction of this run decides whether the swap goes forward or back.
     */
    void journal(Map<String, Path> targets, boolean delta) throws IOException {
        journal = Journal.create(fs, run, targets, delta);
    }

    /** Swaps every journaled folder in, then marks the swap done. */
    void forward() throws IOException {
        rollForward(fs, run, journal);
        rename(fs, new Path(run, SWAPPING), new Path(run, DONE));
    }

    /** After {@link #forward}: removes the staging folder and the replaced outputs; a failure is left to recovery. */
    void cleanUp() {
        try {
            delete(fs, run);
            deleteIfEmpty(fs, run.getParent());
        } catch (IOException ignored) {
            // Left in _staging (skipped by readers), removed by the next commit's recovery.
        }
    }

    /** A failed commit: settles the run at once; if that fails too, the next commit's recovery will. */
    void abandon(Predicate<String> deltaLanded) {
        try {
            settle(fs, run, deltaLanded);
            deleteIfEmpty(fs, run.getParent());
        } catch (IOException | RuntimeException ignored) {
            // The journal stays; the next commit's recovery finishes the job.
        }
    }

    /**
     * Ends one run's staging folder: a swap in progress is rolled back, or rolled forward when it is a
     * Delta run whose transaction landed ({@code deltaLanded} of the run's id); then the folder goes.
     */
    static void settle(FileSystem fs, Path run, Predicate<String> deltaLanded) throws IOException {
        if (fs.exists(new Path(run, SWAPPING))) {
            Journal journal = Journal.read(fs, run);
            if (journal.delta() && deltaLanded.test(run.getName())) {
                rollForward(fs, run, journal);
            } else {
                rollBack(fs, run, journal);
            }
            fs.delete(new Path(run, SWAPPING), false);
        }
        delete(fs, run);
    }

    /** Puts every new folder in place, each old one aside first; repeatable after a crash at any point. */
    private static void rollForward(FileSystem fs, Path run, Journal journal) throws IOException {
        fs.mkdirs(new Path(run, "old"));
        for (String name : journal.names()) {
            Path staged = new Path(new Path(run, "new"), name);
            if (!fs.exists(staged)) {
                continue;
            }
            Path target = journal.target(name);
            Path old = new Path(new Path(run, "old"), name);
            if (journal.existed(name) && !fs.exists(old)) {
                rename(fs, target, old);
            }
            fs.mkdirs(target.getParent());
            rename(fs, staged, target);
        }
    }

    /** Puts each target back as it was before the swap; repeatable after a crash at any point. */
    private static void rollBack(FileSystem fs, Path run, Journal journal) throws IOException {
        for (String name : journal.names()) {
            Path target = journal.target(name);
            Path old = new Path(new Path(run, "old"), name);
            if (journal.existed(name)) {
                if (fs.exists(old)) {
                    delete(fs, target);
                    fs.mkdirs(target.getParent());
                    rename(fs, old, target);
                }
            } else {
                delete(fs, target);
            }
        }
    }

    static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("rename " + from + " -> " + to + " failed");
        }
    }

    static void delete(FileSystem fs, Path path) throws IOException {
        if (fs.exists(path) && !fs.delete(path, true)) {
            throw new IOException("cannot delete " + path);
        }
    }

    static void deleteIfEmpty(FileSystem fs, Path dir) throws IOException {
        if (fs.exists(dir) && fs.listStatus(dir).length == 0) {
            fs.delete(dir, false);
        }
    }

    /**
     * What a swap is about to do, written before its first rename: the targets and whether each existed
     * (so a roll-back knows whether to restore or remove it). Created under a temporary name and renamed,
     * so it is either complete or absent.
     */
    private record Journal(boolean delta, Map<String, Boolean> existedByName, Map<String, Path> targets) {

        List<String> names() {
            return new ArrayList<>(targets.keySet());
        }

        Path target(String name) {
            return targets.get(name);
        }

        boolean existed(String name) {
            return existedByName.get(name);
        }

        static Journal create(FileSystem fs, Path run, Map<String, Path> targets, boolean delta) throws IOException {
            StringBuilder text = new StringBuilder(delta ? "delta\n" : "plain\n");
            Map<String, Boolean> existed = new LinkedHashMap<>();
            for (Map.Entry<String, Path> t : targets.entrySet()) {
                existed.put(t.getKey(), fs.exists(t.getValue()));
                text.append(t.getKey()).append('\t').append(existed.get(t.getKey())).append('\t').append(t.getValue())
                        .append('\n');
            }
            Path tmp = new Path(run, "_journal.tmp");
            try (OutputStream out = fs.create(tmp, true)) {
                out.write(text.toString().getBytes(StandardCharsets.UTF_8));
            }
            rename(fs, tmp, new Path(run, SWAPPING));
            return new Journal(delta, existed, new LinkedHashMap<>(targets));
        }

        static Journal read(FileSystem fs, Path run) throws IOException {
            Map<String, Boolean> existed = new LinkedHashMap<>();
            Map<String, Path> targets = new LinkedHashMap<>();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(
                    fs.open(new Path(run, SWAPPING)), StandardCharsets.UTF_8))) {
                boolean delta = in.readLine().equals("delta");
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    String[] f = line.split("\t", 3);
                    existed.put(f[0], Boolean.parseBoolean(f[1]));
                    targets.put(f[0], new Path(f[2]));
                }
                return new Journal(delta, existed, targets);
            }
        }
    }
}
