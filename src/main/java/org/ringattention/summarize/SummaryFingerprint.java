package org.ringattention.summarize;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.ringattention.model.BertCheckpoint;

/**
 * What a summary depends on besides its document's text, as a SHA-256 in hex: the summarizer's own code
 * (every class and resource of this project, as built), the model's files, every option that changes a
 * summary ({@link SummarizeOptions#summarySettings}) and the route the document's attention takes: in
 * one task, or on a ring of P positions, whose sums run in another order (its centrality differs in the
 * last bits, so {@link SummarizeOptions#CHANGE_A_RING_SUMMARY} matter for those documents only). A summary
 * row keeps the fingerprint it was made with; a later night carries it only while that is unchanged.
 *
 * <p>Not covered: the libraries the summarizer runs on (ICU, the tokenizer) and the JVM; after upgrading
 * them, run one night with {@code --full}.
 */
public final class SummaryFingerprint {

    /** Where the project's classes and resources are, inside the jar or the classes directory. */
    private static final String OWN_CODE = "org/ringattention/";

    private final String inOneTask;
    private final String onRing;
    private final int ringThreshold;

    private SummaryFingerprint(String inOneTask, String onRing, int ringThreshold) {
        this.inOneTask = inOneTask;
        this.onRing = onRing;
        this.ringThreshold = ringThreshold;
    }

    /** The fingerprints of {@code o}'s summaries, the ring having {@code ringPositions} positions. */
    public static SummaryFingerprint of(SummarizeOptions o, int ringPositions) {
        StringBuilder settings = new StringBuilder();
        settings.append("code ").append(CodeHash.OF_THIS_BUILD).append('\n');
        for (Map.Entry<String, String> s : o.summarySettings().entrySet()) {
            settings.append(s.getKey()).append(' ')
                    .append(s.getKey().equals("model") ? modelHash(s.getValue()) : s.getValue()).append('\n');
        }
        return new SummaryFingerprint(sha256(settings + "attention in one task\n"),
                sha256(settings + "attention on a ring of " + ringPositions + " positions\n"), o.ringThreshold());
    }

    /** A summary's fingerprint when its document's attention ran in one task. */
    public String inOneTask() {
        return inOneTask;
    }

    /** A summary's fingerprint when its document's attention ran on the ring. */
    public String onRing() {
        return onRing;
    }

    /** The fingerprint of a document of {@code sentenceCount} sentences, as a column. */
    public Column of(Column sentenceCount) {
        return ringThreshold == 0 ? lit(inOneTask) : when(sentenceCount.gt(ringThreshold), lit(onRing)).otherwise(lit(inOneTask));
    }

    /** The SHA-256 of the model's files: the bundled model's two resources, or every file under a model directory. */
    static String modelHash(String model) {
        MessageDigest sha = newSha();
        try {
            if (model.isEmpty()) {
                for (String resource : List.of(BertCheckpoint.BUNDLED_ONNX, BertCheckpoint.BUNDLED_TOKENIZER)) {
                    try (InputStream in = BertCheckpoint.resource(resource)) {
                        update(sha, resource, in);
                    }
                }
            } else {
                Path dir = Path.of(model);
                List<Path> files;
                try (Stream<Path> walk = Files.walk(dir)) {
                    files = new ArrayList<>(walk.filter(Files::isRegularFile).sorted().toList());
                }
                for (Path f : files) {
                    try (InputStream in = Files.newInputStream(f)) {
                        update(sha, dir.relativize(f).toString(), in);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model " + (model.isEmpty() ? "bundled" : model)
                    + " to fingerprint it", e);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** {@code name}, then the bytes of {@code in}, into {@code sha}. */
    private static void update(MessageDigest sha, String name, InputStream in) throws IOException {
        sha.update(name.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        try (DigestInputStream digesting = new DigestInputStream(in, sha)) {
            digesting.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }

    static String sha256(String text) {
        return HexFormat.of().formatHex(newSha().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest newSha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /**
     * The SHA-256 of this project's classes and resources as built, read once per JVM from the jar or the
     * classes directory that holds this class: any change to the code that makes a summary (the splitter,
     * the encoder, the attention, the selector) changes it, so no summary outlives the code that made it.
     */
    private static final class CodeHash {
        static final String OF_THIS_BUILD = compute();

        private static String compute() {
            Path where;
            try {
                where = Path.of(SummaryFingerprint.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (URISyntaxException | NullPointerException e) {
                throw new IllegalStateException("cannot find the code of this build to fingerprint it", e);
            }
            MessageDigest sha = newSha();
            try {
                if (Files.isDirectory(where)) {
                    TreeMap<String, Path> files = new TreeMap<>();
                    try (Stream<Path> walk = Files.walk(where.resolve(OWN_CODE))) {
                        walk.filter(Files::isRegularFile).forEach(f -> files.put(where.relativize(f).toString()
                                .replace('\\', '/'), f));
                    }
                    for (Map.Entry<String, Path> f : files.entrySet()) {
                        try (InputStream in = Files.newInputStream(f.getValue())) {
                            update(sha, f.getKey(), in);
                        }
                    }
                } else {
                    try (JarFile jar = new JarFile(where.toFile())) {
                        TreeMap<String, JarEntry> entries = new TreeMap<>();
                        for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                            JarEntry entry = e.nextElement();
                            if (!entry.isDirectory() && entry.getName().startsWith(OWN_CODE)) {
                                entries.put(entry.getName(), entry);
                            }
                        }
                        for (Map.Entry<String, JarEntry> e : entries.entrySet()) {
                            try (InputStream in = jar.getInputStream(e.getValue())) {
                                update(sha, e.getKey(), in);
                            }
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the code of this build in " + where + " to fingerprint it", e);
            }
            return HexFormat.of().formatHex(sha.digest());
        }
    }
}
