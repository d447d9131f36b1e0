package org.ringattention.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Documentation as it is written (issue 18): manual pages rendered as text, definition lists and function
 * tables, Markdown and reStructuredText inline syntax, changelogs and NEWS files, and where a document says
 * what it is about. Excerpts of real documents live beside this class (curl's manual, Node.js's build
 * guide, Vim's user manual); the inline snippets are written in the layout their tools produce.
 */
class DocumentationStructureTest {

    /** A manual page as {@code groff} paginates it: head and foot repeated, a page number in the foot. */
    private static final String PAGINATED_MANUAL = String.join("\n",
            "RINGCTL(1)                    Ring Attention Manual                   RINGCTL(1)",
            "",
            "NAME",
            "       ringctl - start, watch and stop attention rings on a Spark cluster",
            "",
            "SYNOPSIS",
            "       ringctl [-v] [--master URL] command [args...]",
            "",
            "DESCRIPTION",
            "       ringctl  submits  the  nightly summarization job and watches its ring steps",
            "       until the last key block has travelled round.  It never changes a  finished",
            "       night.",
            "",
            "       The commands below talk to the driver through its REST interface.",
            "",
            "OPTIONS",
            "       -v, --verbose",
            "              Print every ring step as it ends, with the partition that took  the",
            "              longest.",
            "",
            "       --master URL",
            "              Submit to the cluster at URL instead of the one in the configura\u2010",
            "              tion file.",
            "",
            "ringctl 1.4                      March 2026                                1",
            "",
            "",
            "",
            "RINGCTL(1)                    Ring Attention Manual                   RINGCTL(1)",
            "",
            "   Exit status",
            "       0      The ring finished and its outputs were committed.",
            "",
            "       3      The driver could not be reached; nothing was submitted.",
            "",
            "ringctl 1.4                      March 2026                                2",
            "");

    /** An mdoc page (BSD style): an em dash in NAME, a body indented by five, a foot without the page name. */
    private static final String MDOC_MANUAL = String.join("\n",
            "RINGD(8)                  BSD System Manager's Manual                 RINGD(8)",
            "",
            "NAME",
            "     ringd \u2014 attention ring daemon",
            "",
            "DESCRIPTION",
            "     ringd keeps the query blocks of one partition in memory and passes key",
            "     blocks to the next partition of the ring.",
            "",
            "     The options are as follows:",
            "",
            "     -d      Do not detach; log to the standard error output.",
            "",
            "     -f file",
            "             Read the configuration from file instead of the default one.",
            "",
            "BSD                            November 28, 2025                           BSD",
            "");

    private static List<String> selectable(List<Sentence> s) {
        return s.stream().filter(x -> !x.fragment()).map(Sentence::text).toList();
    }

    private static List<String> purpose(List<Sentence> s) {
        return s.stream().filter(Sentence::purpose).map(Sentence::text).toList();
    }

    private static Sentence find(List<Sentence> s, String text) {
        return s.stream().filter(x -> x.text().equals(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no sentence '" + text + "' in " + s));
    }

    private static void absent(List<Sentence> s, String part) {
        assertTrue(s.stream().noneMatch(x -> x.text().contains(part)), "'" + part + "' kept: " + s);
    }

    @Test
    void manualRunningHeadsAndFeetAreFurnitureAndItsSectionsAreHeadings() throws IOException {
        List<Sentence> curl = TextStructure.parse(TextStructureTest.resource("curl-1-excerpt.txt"));
        absent(curl, "curl Manual");
        absent(curl, "February 19 2023");
        for (String title : new String[] {"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT CODES", "SEE ALSO"}) {
            assertTrue(find(curl, title).fragment(), title);
        }
        assertTrue(find(curl, "curl [options / URLs]").fragment(), "the synopsis is code");
        List<Sentence> paged = TextStructure.parse(PAGINATED_MANUAL);
        absent(paged, "Ring Attention Manual");
        absent(paged, "March 2026");
        assertTrue(find(paged, "Exit status").fragment(), "a subsection title, indented by three");
        assertEquals(find(paged, "Exit status").section() + 1,
                find(paged, "The ring finished and its outputs were committed.").section() + 1);
        List<Sentence> mdoc = TextStructure.parse(MDOC_MANUAL);
        absent(mdoc, "November 28, 2025");
        absent(mdoc, "System Manager");
    }

    @Test
    void optionsAndExitCodesAreItemsOfTheirOwn() throws IOException {
        List<Sentence> curl = TextStructure.parse(TextStructureTest.resource("curl-1-excerpt.txt"));
        assertTrue(find(curl, "--abstract-unix-socket <path>").fragment(), "an option is a term, context only");
        assertFalse(find(curl, "(HTTP) Connect through an abstract Unix domain socket, instead of using the network.").fragment());
        assertTrue(find(curl, "-a, --append").fragment());
        assertTrue(find(curl, "52").fragment());
        assertFalse(find(curl, "The server did not reply anything, which here is considered an error.").fragment());
        assertFalse(find(curl, "SSL crypto engine not found.").fragment());
        assertTrue(find(curl, "Failed to initialize.").fragment(), "three words: not a sentence to select");
        assertTrue(curl.stream().noneMatch(x -> x.text().contains("error.") && x.text().contains("SSL")),
                "exit codes never run into each other: " + curl);
        assertTrue(find(curl, "At the time of this writing, the exit codes are:").fragment(), "a lead-in");
        assertTrue(find(curl, "curl --abstract-unix-socket socketpath https://example.com").fragment(), "an example");

        List<Sentence> paged = TextStructure.parse(PAGINATED_MANUAL);
        assertTrue(find(paged, "-v, --verbose").fragment());
        assertTrue(find(paged, "--master URL").fragment());
        assertFalse(find(paged, "Print every ring step as it ends, with the partition that took the longest.").fragment());
        assertTrue(find(paged, "3").fragment());
        assertFalse(find(paged, "The driver could not be reached; nothing was submitted.").fragment());

        List<Sentence> mdoc = TextStructure.parse(MDOC_MANUAL);
        assertTrue(find(mdoc, "-d").fragment());
        assertFalse(find(mdoc, "Do not detach; log to the standard error output.").fragment());
        assertTrue(find(mdoc, "-f file").fragment());
        assertFalse(find(mdoc, "Read the configuration from file instead of the default one.").fragment());
    }

    @Test
    void aManualStatesItsPurposeInNameAndDescription() throws IOException {
        List<Sentence> curl = TextStructure.parse(TextStructureTest.resource("curl-1-excerpt.txt"));
        Sentence name = find(curl, "curl - transfer a URL");
        assertTrue(name.purpose() && name.fragment(), "the NAME line: a title, not a sentence to select");
        assertEquals(List.of("curl - transfer a URL", "curl is a tool for transferring data from or to a server.",
                "It supports these protocols: DICT, FILE, FTP, FTPS, GOPHER, GOPHERS, HTTP, HTTPS, IMAP, IMAPS, LDAP, "
                + "LDAPS, MQTT, POP3, POP3S, RTMP, RTMPS, RTSP, SCP, SFTP, SMB, SMBS, SMTP, SMTPS, TELNET, TFTP, WS and WSS.",
                "The command is designed to work without user interaction."), purpose(curl));
        assertEquals(List.of("ringd \u2014 attention ring daemon",
                "ringd keeps the query blocks of one partition in memory and passes key blocks to the next partition of the ring."),
                purpose(TextStructure.parse(MDOC_MANUAL)));
    }

    @Test
    void wordsBrokenAtLineEndsAreJoinedCompoundsKeepTheirHyphen() throws IOException {
        List<Sentence> curl = TextStructure.parse(TextStructureTest.resource("curl-1-excerpt.txt"));
        find(curl, "Note: netstat shows the path of an abstract socket prefixed with '@', however the <path> argument "
                + "should not have this leading character.");
        find(curl, "curl offers a busload of useful tricks like proxy support, user authentication, FTP upload, HTTP post, "
                + "SSL connections, cookies, file transfer resume and more.");
        find(TextStructure.parse(PAGINATED_MANUAL),
                "Submit to the cluster at URL instead of the one in the configuration file.");
        // The document decides: a compound written whole elsewhere keeps its hyphen, a word written whole is joined.
        List<Sentence> s = TextStructure.parse("Each ring step reads its options from the command-\n"
                + "line and writes an inter-\nnational date. The command-line parser and the international date "
                + "format are\ndocumented. Steps read the INVOCA\u2010\nTION section first.\n");
        assertEquals(List.of("Each ring step reads its options from the command-line and writes an international date.",
                "The command-line parser and the international date format are documented.",
                "Steps read the INVOCATION section first."), selectable(s));
    }

    @Test
    void functionTablesAreRowsNeverOneSentence() throws IOException {
        List<Sentence> s = TextStructure.parse(TextStructureTest.resource("vim-usr_41-function-list-excerpt.txt"));
        assertTrue(find(s, "nr2char()").fragment());
        assertTrue(find(s, "get a character by its number value").fragment(), "a row that does not read as a sentence");
        find(s, "translate internal keycodes to a form that can be used by :map");
        assertTrue(s.stream().noneMatch(x -> x.text().contains("nr2char()") && x.text().contains("list2str()")), s.toString());
        assertTrue(s.stream().allMatch(x -> TextStructure.words(x.text()) <= TextStructure.MAX_WORDS), s.toString());
        assertTrue(find(s, "String manipulation:").fragment());
        assertFalse(find(s, "There are many functions.").fragment());
    }

    @Test
    void aTableInColumnsIsContextOnly() {
        // Three columns, as Vim's quick reference lays them out; a cell's text goes on in its column below.
        List<Sentence> s = TextStructure.parse(String.join("\n",
                "Moving around in the ring viewer:",
                "",
                "|gg|\tN  gg\t\tgo to the first step of partition N, or the first",
                "\t\t\t   step of the whole ring",
                "|G|\tN  G\t\tgo to step N of the ring (default: the last step)",
                "|CTRL-F|\tN  CTRL-F\tshow the next N key blocks",
                "",
                "The viewer never changes a finished night."));
        assertEquals(List.of("The viewer never changes a finished night."), selectable(s));
    }

    @Test
    void anEntryWithAHangingIndentIsOneItem() {
        List<Sentence> s = TextStructure.parse(String.join("\n",
                "kk. The ring step now retries a partition whose executor was lost, and will",
                "    write the same bytes as the first try.",
                "",
                "ll. `ringctl -n' now accepts a list of job ids and waits for the first to end.",
                "",
                "Release 1.4 of the ring tools changes how a night ends when an executor is",
                "        lost: the driver waits for its replacement instead of failing the night."));
        assertEquals(List.of("The ring step now retries a partition whose executor was lost, and will write the same bytes "
                + "as the first try.", "`ringctl -n' now accepts a list of job ids and waits for the first to end.",
                "Release 1.4 of the ring tools changes how a night ends when an executor is lost: the driver waits for its "
                + "replacement instead of failing the night."), s.stream().map(Sentence::text).toList());
    }

    @Test
    void definitionListsInPlainTextAreRows() {
        List<Sentence> s = TextStructure.parse(String.join("\n",
                "The ring tool has these commands:",
                "",
                "  init       Create the checkpoint directory for a new ring.",
                "  step       Move every key block to the next partition.",
                "  finish     Merge the partial outputs and write them out.",
                "",
                "  --partitions N",
                "  -p N",
                "      Use N partitions; the default is the number of executors.",
                "",
                "Configuration keys",
                "    Every key can be set in the job file as well."));
        assertEquals(List.of("Create the checkpoint directory for a new ring.", "Move every key block to the next partition.",
                "Merge the partial outputs and write them out.", "Use N partitions; the default is the number of executors.",
                "Every key can be set in the job file as well."), selectable(s));
        for (String term : new String[] {"init", "step", "finish", "--partitions N", "-p N", "Configuration keys",
            "The ring tool has these commands:"}) {
            assertTrue(find(s, term).fragment(), term);
        }
    }

    @Test
    void aLongUnitIsSelectableOnlyAsASentenceOfProse() throws IOException {
        StringBuilder run = new StringBuilder("Supported codecs\n\n");
        for (int k = 0; k < 30; k++) {
            run.append("codec").append(k).append(" decoder for format ").append(k).append('\n');
        }
        List<Sentence> joined = TextStructure.parse(run.toString());
        assertTrue(joined.stream().noneMatch(x -> !x.fragment() && TextStructure.words(x.text()) > TextStructure.MAX_WORDS),
                joined.toString());
        long longLegal = TextStructure.parse(TextStructureTest.resource("apache-license-2.0.txt")).stream()
                .filter(x -> !x.fragment() && TextStructure.words(x.text()) > TextStructure.MAX_WORDS).count();
        assertTrue(longLegal >= 3, "a long sentence of the licence is still a sentence: " + longLegal);
    }

    @Test
    void listItemsAreSelectableOnlyAsSentencesAndLeadInsNever() {
        List<Sentence> s = TextStructure.parse(String.join("\n",
                "The night job changed in three ways:",
                "",
                "- Fixed a crash when a document has no sentences at all.",
                "- src/ring/Step.java: reuse the buffer",
                "- Faster",
                "- [Release notes](#release-notes)",
                "- **Coverage**: picks sentences from every section of a long document.",
                "",
                "Run it like this:",
                "",
                "    spark-submit --class org.ringattention.Night ring.jar"));
        assertEquals(List.of("Fixed a crash when a document has no sentences at all.",
                "Coverage: picks sentences from every section of a long document."), selectable(s));
        assertTrue(find(s, "The night job changed in three ways:").fragment());
        assertTrue(find(s, "src/ring/Step.java: reuse the buffer").fragment());
        assertTrue(find(s, "Run it like this:").fragment());
        absent(s, "Release notes");
    }

    @Test
    void markdownInlineSyntaxKeepsItsWords() {
        List<Sentence> s = TextStructure.parse(String.join("\n",
                "# Ring attention",
                "",
                "[![Build](https://ci.example.org/badge.svg)](https://ci.example.org)",
                "",
                "<!-- The badge above is updated by the CI job;",
                "     do not edit it by hand. -->",
                "",
                "Ring attention computes *exact* attention over documents longer than one executor's memory, as",
                "described in the [Ring Attention paper][ring] and the [BPT paper](https://arxiv.org/abs/2305.19370).",
                "",
                "## Contents",
                "",
                "* [Building](#building)",
                "  * [Running the tests](#running-the-tests)",
                "",
                "## Building",
                "",
                "Build the project with `mvn -B package` and read <https://example.org/ring> for details.<br>",
                "The build writes its jar to **target/**, next to the <em>test reports</em>.",
                "",
                "> [!NOTE]",
                "> The build needs Java 17 and about 2 GB of memory for the tests.",
                "",
                "| Setting | Default |",
                "| ------- | ------- |",
                "| `partitions` | number of executors |",
                "",
                "[ring]: https://arxiv.org/abs/2310.01889"));
        assertEquals(List.of("Ring attention computes exact attention over documents longer than one executor's memory, as "
                + "described in the Ring Attention paper and the BPT paper.",
                "Build the project with mvn -B package and read https://example.org/ring for details.",
                "The build writes its jar to target/, next to the test reports.",
                "The build needs Java 17 and about 2 GB of memory for the tests."), selectable(s));
        assertEquals(List.of(selectable(s).get(0)), purpose(s), "the paragraph under the title");
        absent(s, "arxiv");
        absent(s, "badge");
        absent(s, "Running the tests");
        absent(s, "do not edit");
        assertTrue(find(s, "partitions number of executors").fragment(), "a table row");
    }

    @Test
    void aMarkdownBuildGuideReadsAsItsProse() throws IOException {
        List<Sentence> s = TextStructure.parse(TextStructureTest.resource("node-building-excerpt.md"));
        assertEquals(List.of("Depending on what platform or features you need, the build process may differ.",
                "After you've built a binary, running the test suite to confirm that the binary works as intended is a good next step."),
                purpose(s));
        absent(s, "](#");
        absent(s, "Building Node.js on supported platforms");
        absent(s, "[!TIP]");
        absent(s, "devguide.python.org");
        assertTrue(find(s, "There are three support tiers:").fragment());
        assertFalse(find(s, "Tier 1: These platforms represent the majority of Node.js users.").fragment());
        assertFalse(find(s, "Older kernel versions may work.").fragment(), "a footnote's text is prose");
        assertFalse(find(s, "If you are building from a Windows machine, symlinks are disabled by default, and can be "
                + "enabled by cloning with the -c core.symlinks=true flag.").fragment(), "a block quote's text is prose");
        assertTrue(find(s, "git clone -c core.symlinks=true <repository_url>").fragment());
        assertTrue(s.stream().filter(x -> x.text().startsWith("GNU/Linux")).allMatch(Sentence::fragment), "table rows");
    }

    @Test
    void restructuredTextSyntaxKeepsItsWordsAndItsAbstractStatesThePurpose() {
        List<Sentence> s = TextStructure.parse(String.join("\n",
                ".. _ring-howto:",
                "",
                "**********************",
                "  Ring Attention HOWTO",
                "**********************",
                "",
                ":Author: A. Writer <writer@example.org>",
                "",
                ".. TODO:",
                "   Describe the striped layout",
                "   and the zigzag one.",
                "",
                ".. topic:: Abstract",
                "",
                "   This document shows how the :mod:`ringattention` package shards a sequence over the",
                "   partitions of a Spark job.",
                "",
                "Sharding",
                "========",
                "",
                "Each partition keeps its ``query`` blocks; see `the paper <https://arxiv.org/abs/2310.01889>`_ and",
                "Blockwise_ for the kernel.",
                "",
                ".. image:: ring.png",
                "   :alt: Eight partitions in a ring",
                "",
                ".. code-block:: python",
                "",
                "   ring.step(blocks)",
                "",
                ".. _Blockwise: https://arxiv.org/abs/2305.19370"));
        assertEquals(List.of("This document shows how the ringattention package shards a sequence over the partitions of a Spark job.",
                "Each partition keeps its query blocks; see the paper and Blockwise for the kernel."), selectable(s));
        assertEquals(List.of(selectable(s).get(0)), purpose(s));
        assertTrue(find(s, "Ring Attention HOWTO").fragment());
        assertTrue(find(s, "Author: A. Writer writer@example.org").fragment(), "metadata, kept as context");
        absent(s, "zigzag");
        absent(s, "Eight partitions");
        assertTrue(find(s, "ring.step(blocks)").fragment());
    }

    @Test
    void aPageDescriptionForSearchEnginesStatesThePurposeButIsNeverSelected() {
        List<Sentence> rst = TextStructure.parse(String.join("\n",
                "=====================",
                " Ring Attention Guide",
                "=====================",
                "",
                ".. meta::",
                "   :keywords: attention, ring, Spark",
                "   :description lang=en: How the job shards a long document over",
                "       the partitions of a Spark ring.",
                "",
                "Each partition keeps its query blocks while key blocks travel round the ring."));
        // The description comes first; the paragraph under the title states the purpose too.
        assertEquals("How the job shards a long document over the partitions of a Spark ring.", purpose(rst).get(0));
        assertTrue(find(rst, purpose(rst).get(0)).fragment(), "not on the page: context for the cue, never picked");
        assertEquals(List.of("Each partition keeps its query blocks while key blocks travel round the ring."), selectable(rst));
        absent(rst, "keywords");

        List<Sentence> md = TextStructure.parse(String.join("\n",
                "---",
                "title: Ring Attention Guide",
                "description: >",
                "  How the job shards a long document",
                "  over a Spark ring.",
                "weight: 20",
                "---",
                "",
                "Each partition keeps its query blocks while key blocks travel round the ring."));
        assertEquals("How the job shards a long document over a Spark ring.", purpose(md).get(0));
        assertTrue(find(md, "How the job shards a long document over a Spark ring.").fragment());
    }

    @Test
    void aPapersAbstractStatesThePurpose() {
        List<Sentence> s = TextStructure.parse(String.join("\n",
                "Blockwise Attention for Long Documents",
                "",
                "ABSTRACT",
                "",
                "We compute exact attention over sequences longer than one device's memory. The sequence is",
                "sharded over devices that pass key blocks round a ring.",
                "",
                "1 Introduction",
                "",
                "Transformers need memory quadratic in the sequence length for attention."));
        assertEquals(List.of("We compute exact attention over sequences longer than one device's memory.",
                "The sequence is sharded over devices that pass key blocks round a ring."), purpose(s));
        List<Sentence> inline = TextStructure.parse("Abstract\u2014We compute exact attention over long sequences on a ring "
                + "of devices.\n\nTransformers need memory quadratic in the sequence length.\n");
        assertEquals(List.of("We compute exact attention over long sequences on a ring of devices."), purpose(inline));
    }

    @Test
    void changelogEntriesAreHeadingsSignaturesFurnitureBulletsItems() {
        List<Sentence> debian = TextStructure.parse(String.join("\n",
                "ringattention (1.4-2) unstable; urgency=medium",
                "",
                "  [ Jane Doe ]",
                "  * Fix the ring step when a partition holds no key block (Closes: #1023456)",
                "    - debian/patches/empty-partition.patch: new",
                "  * Update the watch file for the new tarball names",
                "",
                " -- Jane Doe <jane@example.org>  Mon, 01 Jan 2024 12:00:00 +0000",
                "",
                "ringattention (1.4-1) unstable; urgency=low",
                "",
                "  * New upstream release.",
                "",
                " -- Jane Doe <jane@example.org>  Fri, 01 Dec 2023 09:30:00 +0100",
                ""));
        assertTrue(find(debian, "ringattention (1.4-2) unstable; urgency=medium").fragment());
        assertEquals(find(debian, "ringattention (1.4-2) unstable; urgency=medium").section() + 1,
                find(debian, "ringattention (1.4-1) unstable; urgency=low").section());
        absent(debian, "Mon, 01 Jan 2024");
        absent(debian, "[ Jane Doe ]");
        assertEquals(List.of("Fix the ring step when a partition holds no key block (Closes: #1023456)",
                "Update the watch file for the new tarball names"), selectable(debian));
        assertTrue(find(debian, "debian/patches/empty-partition.patch: new").fragment());

        List<Sentence> gnu = TextStructure.parse(String.join("\n",
                "2024-01-05  Jane Doe  <jane@example.org>",
                "",
                "\tring: merge partial outputs in ring order",
                "\t* src/ring/merge.c (merge_partials): Merge in the order of the ring",
                "\tschedule, so that retried tasks write the same bytes.",
                "",
                "2024-01-03  Paul Roe  <paul@example.org>",
                "",
                "\t* NEWS: Mention the striped layout.",
                ""));
        assertTrue(find(gnu, "2024-01-05 Jane Doe jane@example.org").fragment());
        assertTrue(find(gnu, "src/ring/merge.c (merge_partials): Merge in the order of the ring schedule, so that retried "
                + "tasks write the same bytes.").fragment(), "an entry naming a file, not a sentence");

        List<Sentence> news = TextStructure.parse(String.join("\n",
                "GNU ring NEWS                                    -*- outline -*-",
                "",
                "* Noteworthy changes in release 1.4 (2024-01-05) [stable]",
                "",
                "** Bug fixes",
                "",
                "  Retried ring steps now write the same bytes as the first try.",
                "  [bug introduced in ring-1.2]",
                "",
                "## [1.3.0] - 2023-11-02",
                "",
                "### Added",
                "",
                "- A striped layout balances causal attention across the ring.",
                ""));
        for (String heading : new String[] {"Noteworthy changes in release 1.4 (2024-01-05) [stable]", "Bug fixes",
            "[1.3.0] - 2023-11-02", "Added"}) {
            assertTrue(find(news, heading).fragment(), heading);
        }
        absent(news, "outline");
        assertEquals(List.of("Retried ring steps now write the same bytes as the first try. [bug introduced in ring-1.2]",
                "A striped layout balances causal attention across the ring."), selectable(news));
    }

    @Test
    void aSynopsisInSubsectionsIsCommandLinesAndTildeBulletsAreItems() {
        List<Sentence> man = TextStructure.parse(String.join("\n",
                "TAR(1)                          GNU TAR Manual                          TAR(1)",
                "",
                "NAME",
                "       tar - an archiving utility",
                "",
                "SYNOPSIS",
                "   Traditional usage",
                "       tar {A|c|d|r|t|u|x}[GnSkUWOmpsMBiajJzZhPlRvwo] [ARG...]",
                "",
                "   UNIX-style usage",
                "       tar -A [OPTIONS] ARCHIVE ARCHIVE",
                "",
                "       tar -c [-f ARCHIVE] [OPTIONS] [FILE...]",
                "",
                "DESCRIPTION",
                "       GNU tar is an archiving program designed to store multiple files in a",
                "       single file (an archive), and to manipulate such archives.",
                ""));
        assertTrue(find(man, "tar -A [OPTIONS] ARCHIVE ARCHIVE").fragment(), "a command line of the synopsis");
        assertEquals(List.of("GNU tar is an archiving program designed to store multiple files in a single file (an "
                + "archive), and to manipulate such archives."), selectable(man));

        List<Sentence> debian = TextStructure.parse(String.join("\n",
                "curl (7.88.1-1) unstable; urgency=medium",
                "",
                "  * New upstream version 7.88.1",
                "    - Fix the following CVEs (closes: #1031371)",
                "      ~ CVE-2023-23916: HTTP multi-header compression denial of service",
                "      ~ CVE-2023-23915: HSTS amnesia with --parallel",
                "    - Fix curl_multi_socket_action regression (closes: #1029231)",
                "",
                " -- Samuel Henrique <samueloph@debian.org>  Fri, 03 Mar 2023 08:28:19 +0000",
                ""));
        // Third-level items of their own, not joined to the item above them.
        find(debian, "Fix the following CVEs (closes: #1031371)");
        find(debian, "CVE-2023-23916: HTTP multi-header compression denial of service");
        find(debian, "CVE-2023-23915: HSTS amnesia with --parallel");
        for (Sentence s : debian) {
            assertTrue(!s.text().contains("~"), s.text());
        }
    }

    /** Syntax that should never reach a selectable sentence: links, code and emphasis markers, HTML, reST roles. */
    private static final Pattern MARKUP = Pattern.compile(
            "\\]\\(|\\]\\[|!\\[|<!--|</?(?:a|b|p|em|strong|code|br|img|div|span)\\b[^>]*>|:[a-z]+:`|`_|\\*\\*\\w|(^|\\s)`[^`']+`");

    @Test
    void documentationExcerptsHaveNoLongRunsMarkupOrRunningHeads() throws IOException {
        String[] documents = {"curl-1-excerpt.txt", "node-building-excerpt.md", "vim-usr_41-function-list-excerpt.txt",
            "vim-usr_41-excerpt.txt", "vim-version8-excerpt.txt", "apache-license-2.0.txt"};
        int checked = 0;
        for (String name : documents) {
            for (Sentence x : TextStructure.parse(TextStructureTest.resource(name))) {
                if (x.fragment()) {
                    continue;
                }
                assertFalse(TextStructure.words(x.text()) > TextStructure.MAX_WORDS && !TextStructure.endsSentence(x.text()),
                        name + ": a run of " + TextStructure.words(x.text()) + " words");
                assertFalse(MARKUP.matcher(x.text()).find(), name + ": markup in '" + x.text() + "'");
                assertFalse(x.text().contains("curl(1)"), name + ": a running head");
                checked++;
            }
        }
        assertTrue(checked > 300, checked + " selectable units checked");
    }
}
