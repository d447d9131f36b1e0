package org.ringattention.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TextStructureTest {

    static String resource(String name) throws IOException {
        try (InputStream in = TextStructureTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> prose(List<Sentence> s) {
        return s.stream().filter(x -> !x.fragment()).map(Sentence::text).collect(Collectors.toList());
    }

    private static Sentence find(List<Sentence> s, String text) {
        return s.stream().filter(x -> x.text().equals(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no sentence '" + text + "' in " + s));
    }

    @Test
    void hardWrappedLinesJoinAndParagraphsEndAtBlankLines() {
        List<Sentence> s = TextStructure.parse("The night shift starts at ten and ends\nat six in the morning. Logs are kept\r\n"
                + "for a well-\nknown reason.\n\nA second paragraph has one sentence here.");
        assertEquals(List.of("The night shift starts at ten and ends at six in the morning.",
                "Logs are kept for a well-known reason.", "A second paragraph has one sentence here."), prose(s));
    }

    @Test
    void frontMatterGivesTheTitleAndDropsTheMetadata() {
        String rmd = "---\ntitle: \"Grouped data with dplyr\"\nauthor: \"A. Writer\"\noutput: rmarkdown::html_vignette\n"
                + "vignette: >\n  %\\VignetteIndexEntry{Grouped data}\n---\n\n## Introduction\n\n"
                + "Grouping lets you summarise each group of rows on its own. The verbs keep the groups.\n";
        List<Sentence> s = TextStructure.parse(rmd);
        assertEquals("Grouped data with dplyr", s.get(0).text());
        assertTrue(s.get(0).fragment());
        assertEquals(List.of("Grouping lets you summarise each group of rows on its own.", "The verbs keep the groups."),
                prose(s));
        assertTrue(s.stream().noneMatch(x -> x.text().contains("author") || x.text().contains("Vignette")), s.toString());
        // TOML front matter with a folded title, as Hugo writes it.
        List<Sentence> toml = TextStructure.parse("+++\ntitle = 'Night shifts'\ndate = 2026-11-30\n+++\n"
                + "The night shift starts at ten and ends at six.\n");
        assertEquals("Night shifts", toml.get(0).text());
        assertEquals(List.of("The night shift starts at ten and ends at six."), prose(toml));
        // A rule followed by prose is not front matter: nothing is dropped.
        List<Sentence> rule = TextStructure.parse("---\nNote: the night shift starts at ten and ends at six.\n"
                + "The day shift covers the rest of the day.\n---\n");
        assertEquals(List.of("Note: the night shift starts at ten and ends at six.",
                "The day shift covers the rest of the day."), prose(rule));
    }

    @Test
    void headingsOfEveryKindStartSections() {
        String text = String.join("\n",
                "# Markdown title", "", "Text under the markdown title goes here.", "",
                "Underlined Title", "================", "", "Text under the underlined title goes here.", "",
                "=======", "Overlined", "=======", "", "Text under the overlined title goes here.", "",
                "4.2 Numbered Title", "", "Text under the numbered title goes here.", "",
                "ALL CAPS TITLE", "", "Text under the all-caps title goes here.", "",
                "----", "", "Text after a separator line goes here.", "",
                "*41.1*\tIntroduction\t\t\t\t*vim-script-intro*", "", "Text under the Vim help title goes here.");
        List<Sentence> s = TextStructure.parse(text);
        String[] headings = {"Markdown title", "Underlined Title", "Overlined", "4.2 Numbered Title", "ALL CAPS TITLE",
            "Introduction"};
        for (String h : headings) {
            assertTrue(find(s, h).fragment(), h + " is a heading, never a summary sentence");
        }
        List<Integer> sections = s.stream().filter(x -> !x.fragment()).map(Sentence::section).toList();
        assertEquals(7, sections.size());
        assertEquals(7, sections.stream().distinct().count(), "each text follows its own heading: " + s);
        assertEquals(sections.stream().sorted().toList(), sections);
    }

    @Test
    void listMarkersAreNeverSentences() {
        List<Sentence> s = TextStructure.parse("Steps to follow:\n\n1. Read the whole manual before you start.\n"
                + "2. Install the package with the usual tools.\n- A bullet item with enough words in it.\n"
                + "  * A nested item that is wrapped\n    over two lines.\n3.\n");
        assertEquals(List.of("Read the whole manual before you start.", "Install the package with the usual tools.",
                "A bullet item with enough words in it.", "A nested item that is wrapped over two lines."), prose(s));
        assertTrue(s.stream().noneMatch(x -> x.text().matches("[0-9.\\-*]+")));
    }

    @Test
    void codeExamplesAndTablesAreFragments() {
        String text = String.join("\n",
                "Run the tool like this::", "", "    tool --input a.txt --output b.txt", "    echo done", "",
                "Back to prose after the literal block ends here.", "",
                "```java", "int x = compute(y);", "```", "",
                "To define a function in Vim script: >", "\tdef Add(a: number): number", "\t  return a + 1", "\tenddef", "<",
                "The example ends at the line that starts with a bracket.", "",
                "| name | value |", "|------|-------|", "| alpha | one two three four |", "",
                ".. code-block:: python", "", "   print('hello world from python')", "",
                "Final prose sentence comes after everything else.");
        List<Sentence> s = TextStructure.parse(text);
        assertEquals(List.of("Back to prose after the literal block ends here.",
                "The example ends at the line that starts with a bracket.",
                "Final prose sentence comes after everything else."), prose(s));
        // The lead-ins stay as context for the examples they introduce; a summary never ends in a colon.
        assertTrue(find(s, "Run the tool like this:").fragment());
        assertTrue(find(s, "To define a function in Vim script:").fragment());
        assertTrue(find(s, "tool --input a.txt --output b.txt").fragment());
        assertTrue(find(s, "int x = compute(y);").fragment());
        assertTrue(find(s, "def Add(a: number): number").fragment());
        assertTrue(find(s, "print('hello world from python')").fragment());
        assertTrue(s.stream().anyMatch(x -> x.fragment() && x.text().contains("alpha")), "table row kept as context");
    }

    @Test
    void pageFurnitureIsDropped() {
        List<Sentence> s = TextStructure.parse("The first page ends with this sentence.\n\n- 12 -\n\f\nPage 3 of 10\n\n"
                + "The next page starts with this sentence.\n\n vim:tw=78:ts=8:noet:ft=help:norl:\n");
        assertEquals(List.of("The first page ends with this sentence.", "The next page starts with this sentence."),
                s.stream().map(Sentence::text).toList());
    }

    @Test
    void shortOrSymbolicSentencesAreFragments() {
        assertTrue(TextStructure.isFragment("3."));
        assertTrue(TextStructure.isFragment("Example:"));
        assertTrue(TextStructure.isFragment("See it now."));
        assertTrue(TextStructure.isFragment("x = f(a[0], b[1]) + g(c) * 2 == 7 && y"));
        assertFalse(TextStructure.isFragment("Vim can now exchange messages with other processes."));
    }

    @Test
    void apacheLicenseClausesAreSectionsAndNumbersAreNotSentences() throws IOException {
        List<Sentence> s = TextStructure.parse(resource("apache-license-2.0.txt"));
        assertTrue(s.stream().noneMatch(x -> x.text().matches("\\(?[0-9a-z]{1,2}[.)]")), "no bare list marker");
        assertTrue(find(s, "Grant of Patent License.").fragment());
        assertTrue(s.stream().map(Sentence::section).distinct().count() >= 9, "one section per clause");
        assertTrue(prose(s).contains("You must give any other recipients of the Work or Derivative Works a copy of this License; and"));
    }

    @Test
    void vimHelpExamplesAndTagsAreContextOnly() throws IOException {
        List<Sentence> s = TextStructure.parse(resource("vim-usr_41-excerpt.txt"));
        assertTrue(find(s, "Basically:").fragment());
        assertTrue(find(s, "vim9script").fragment());
        assertTrue(find(s, "Introduction").fragment());
        assertTrue(prose(s).contains("Your first experience with Vim scripts is the vimrc file."));
        assertTrue(s.stream().noneMatch(x -> x.text().contains("*")), "tags are dropped");
        assertTrue(s.stream().noneMatch(x -> !x.fragment() && x.text().endsWith(">")));
    }
}
