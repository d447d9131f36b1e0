package org.ringattention.text;

import com.ibm.icu.text.BreakIterator;
import com.ibm.icu.util.ULocale;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sentences of a plain-text, Markdown, reStructuredText, Vim-help, manual-page or changelog document,
 * read line by line for its structure before any sentence is cut:
 * <ul>
 *   <li>paragraphs end at blank lines and where the indentation says a new block starts; hard-wrapped
 *       lines inside one are joined back with a space, and a word broken by a line-end hyphen is joined
 *       back when the document shows it is one word ({@link Hyphenation});</li>
 *   <li>headings (Markdown {@code #}, underlined or overlined titles, numbered titles like
 *       {@code 4.2 Title}, all-caps title lines, Vim-help lines carrying a {@code *tag*}, a manual page's
 *       section titles, changelog entry and release headers) and separator lines ({@code ----},
 *       {@code ====}) start a new section;</li>
 *   <li>list items and the rows of definition lists and function tables (a term, then its description
 *       after a run of spaces or on the indented lines below: {@code -x, --long ARG}, {@code nr2char()},
 *       {@code 52}) are items of their own, never joined with their neighbours; markers are dropped and
 *       terms are kept as fragments;</li>
 *   <li>code and example blocks (fenced, reST {@code ::} literal blocks and code directives, Vim-help
 *       {@code >} ... {@code <} examples, paragraphs whose lines look like code, a manual's synopsis) and
 *       table rows are kept one line per sentence, as fragments;</li>
 *   <li>page furniture (bare page numbers, {@code Page N of M}, form feeds, editor modelines, a manual
 *       page's running heads and feet, reST comments and directive markers, Markdown link reference
 *       definitions and tables of contents, HTML comments, table borders, changelog signatures) is
 *       dropped;</li>
 *   <li>front matter (a block of {@code key: value} lines between {@code ---} lines, or {@code key = value}
 *       between {@code +++}, at the top, as R Markdown, Quarto, Jekyll and Hugo write it; or a mail-style
 *       header such as a PEP's): its {@code title} becomes the document's first heading, its
 *       {@code description} (as a reST {@code .. meta::} directive's {@code :description:}) states the
 *       document's purpose as a fragment, and the other keys, metadata, are dropped;</li>
 *   <li>inline markup (links, images, emphasis, code spans, reST roles, HTML tags) is reduced to its words
 *       ({@link InlineMarkup}).</li>
 * </ul>
 * Prose paragraphs are cut with ICU's sentence {@link BreakIterator} (Unicode UAX #29 rules). Every
 * sentence keeps its section, a fragment flag and a purpose flag ({@link Sentence}); fragments stay in
 * the document as context for attention but are never chosen for a summary. One linear pass over the
 * lines, with a bounded look ahead.
 */
public final class TextStructure {

    /** Sentences with fewer words than this are fragments. */
    public static final int MIN_WORDS = 4;
    /** Sentences whose letters are fewer than this share of their non-space characters are fragments. */
    static final double MIN_LETTER_SHARE = 0.5;
    /**
     * A unit longer than this many words is selectable only as a sentence of prose, ended as sentences end;
     * a longer run without one is a table or a list joined into one line.
     */
    static final int MAX_WORDS = 60;

    private static final Pattern MARKDOWN_HEADING = Pattern.compile("^\\s{0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final String RULE_CHARACTERS = "-=*_~#^+`'\"";
    private static final Pattern RULE = Pattern.compile("^\\s*([-=*_~#^+`'\"])\\1{2,}\\s*$");
    private static final Pattern TABLE_BORDER = Pattern.compile("^\\s*[-=+|:]{3,}(\\s+[-=+|:]{3,})+\\s*$|^\\s*\\+[-=+]+\\+\\s*$");
    /** The bullets a list item opens with: {@code ~} too, a Debian changelog's third level. Leading {@code -} is literal in a class. */
    private static final String BULLETS = "-*+~\u2022\u2023\u2043\u25E6\u25CB\u25AA\u2013";
    private static final Pattern LIST_ITEM = Pattern.compile(
            "^\\s*(?:[" + BULLETS + "]|\\d{1,3}[.)]|\\(\\d{1,3}\\)|\\(?([a-zA-Z])\\1?[.)]|\\([ivxlc]{1,5}\\))(?:\\s+(?<text>.*))?$");
    private static final Pattern NUMBERED_TITLE = Pattern.compile("^\\s*\\d{1,3}(?:\\.\\d{1,3})*\\.?\\s+(\\p{Lu}.*)$");
    private static final Pattern MULTI_LEVEL_NUMBER = Pattern.compile("^\\s*\\d{1,3}(?:\\.\\d{1,3})+\\.?\\s");
    /**
     * Vim-help tags, {@code *name*}, where help files put them: one at the start of a line before a tab or two
     * spaces, or a run of them ending the line after a tab or two spaces. Anywhere else {@code *word*} is
     * emphasis.
     */
    private static final Pattern VIM_TAG = Pattern.compile(
            "^\\s*\\*[^*\\s|]+\\*(?=\\t|  )|(?:(?<=\\t|  )|^\\s*)\\*[^*\\s|]+\\*(?:\\s+\\*[^*\\s|]+\\*)*\\s*$");
    private static final Pattern VIM_LINK = Pattern.compile("(?<![\\w|-])\\|([^|\\s]+)\\|(?![\\w|-])");
    private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");
    /** {@code .. name:: argument} (a directive), {@code .. text} (a comment or target), {@code ..}. */
    private static final Pattern DIRECTIVE = Pattern.compile("^\\s*\\.\\.(?:\\s+([\\w:-]+)::\\s*(.*)|\\s.*|)$");
    private static final Pattern CODE_DIRECTIVE = Pattern.compile("code-block|code|sourcecode|doctest|literalinclude|productionlist");
    /** Directives whose argument titles their content, as a heading does. */
    private static final Pattern TITLED_DIRECTIVE = Pattern.compile("topic|rubric|sidebar");
    /** Directives whose content is not the document's text: images, tables of contents, raw output, indexes. */
    private static final Pattern SKIPPED_DIRECTIVE = Pattern.compile(
            "image|figure|toctree|raw|include|index|meta|contents|sectnum|highlight|csv-table|tabularcolumns|\\|[^|]+\\|\\s+\\w+");
    private static final Pattern PAGE_FURNITURE = Pattern.compile(
            "^\\s*(?:-\\s*)?\\d{1,4}(?:\\s*-)?\\s*$|^\\s*[Pp]age\\s+\\d+(?:\\s+of\\s+\\d+)?\\s*$|^\\s*(?:vim?|ex):\\s*\\S*[:=].*$");
    /** {@code [!NOTE]}, {@code [!TIP]}: a GitHub alert's kind, opening a block quote; the quote's text follows. */
    private static final Pattern ALERT = Pattern.compile("^\\s*\\\\?\\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\\\\?\\]\\s*$", Pattern.CASE_INSENSITIVE);
    /** Emacs's file variables, {@code -*- outline -*-}, as GNU NEWS files carry on their first line. */
    private static final Pattern EMACS_MODELINE = Pattern.compile("\\s*-\\*-.*-\\*-\\s*");
    /** "3. Grant of Patent License. Subject to ...": a numbered clause opening with a short title. */
    private static final Pattern CLAUSE_TITLE = Pattern.compile(
            "^\\s*(\\p{Lu}[\\w'-]*(?:\\s+(?:\\p{Lu}[\\w'-]*|of|and|or|the|to|for|a|an|in|on)){0,5}\\.)(?:\\s+|$)");
    /** {@code pkg (1.2-3) unstable; urgency=medium}: the header of a Debian changelog entry. */
    private static final Pattern DEBIAN_ENTRY = Pattern.compile("^[a-z0-9][a-z0-9+.-]* \\([^()\\s]+\\)(?: [\\w/.-]+)+;.*urgency=.*$");
    /** {@code  -- Name <email>  Mon, 01 Jan 2024 12:00:00 +0000}: a Debian changelog entry's signature. */
    private static final Pattern DEBIAN_SIGNATURE = Pattern.compile("^ -- \\S.*<[^>\\s]+>\\s+\\S.*\\d{4}.*$");
    /** {@code   [ Name ]}: whose changes follow, in a Debian changelog entry by several people. */
    private static final Pattern DEBIAN_CONTRIBUTOR = Pattern.compile("^\\s+\\[ [^\\]]+ \\]$");
    /** {@code 2024-01-05  Jane Doe  <jane@x.org>} (or the older {@code Mon Jan  1 12:00:00 2024  ...}): a GNU ChangeLog entry. */
    private static final Pattern CHANGELOG_ENTRY = Pattern.compile(
            "^(?:\\d{4}-\\d{2}-\\d{2}|\\w{3} \\w{3} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} (?:\\w+ )?\\d{4})\\s+\\S.*\\S+@\\S+$");
    /**
     * A release's heading in a NEWS file or changelog: {@code * Noteworthy changes in release 9.4 (2023-08-29)
     * [stable]}, {@code version 1.34 - Sergey Poznyakoff, 2021-02-13}, {@code Version 2.1:}, {@code 14.0.0
     * (2023-11-26)}. Outline markers in front are dropped.
     */
    private static final Pattern RELEASE_HEADING = Pattern.compile(
            "^(?:[*#=]+\\s+)?((?:(?:noteworthy\\s+)?changes\\s+(?:in|for|since)\\s+(?:release|version)\\s+\\S*\\d"
            + "|(?:version|release)\\s+v?\\d+(?:\\.\\w+)+"
            + "|v?\\d+(?:\\.\\d+)+(?:[-+~][\\w.]+)?:?(?:\\s+(?:\\(.*\\)|[-\u2013\u2014]\\s.*))?\\s*$).*)$",
            Pattern.CASE_INSENSITIVE);
    /** {@code ** Bug fixes}: an Emacs outline heading below the first level, as GNU NEWS files have them. */
    private static final Pattern OUTLINE_HEADING = Pattern.compile("^\\*{2,4} (\\S.*)$");
    /** {@code :Author: Name}: a reST field, as a document's bibliographic fields are written. */
    private static final Pattern FIELD = Pattern.compile("^:([\\w][\\w .-]*):(?:\\s+(.*))?$");
    /** A heading that titles a paper's abstract. */
    private static final Pattern ABSTRACT_TITLE = Pattern.compile("(?i)abstract[.:]?");
    /** A reST {@code .. meta::} field giving the page's description ({@code :description lang=en: ...}). */
    private static final Pattern META_DESCRIPTION = Pattern.compile("^\\s*:description(?:\\s[^:]*)?:\\s*(.*)$", Pattern.CASE_INSENSITIVE);
    /** {@code Abstract. We ...}, {@code Abstract: ...}, {@code Abstract—...}: an abstract's label opening its paragraph. */
    private static final Pattern ABSTRACT_LABEL = Pattern.compile("^(?i:abstract)\\s*(?:[.:\u2014\u2013]|--?)\\s*(?=\\p{Lu})");
    /** A sentence ending inside a line, and the next one starting: never inside a term. */
    private static final Pattern SENTENCE_END_INSIDE = Pattern.compile("\\p{Ll}[.!?]\\s+\\p{Lu}");
    /** {@code [^1]: text}: a Markdown footnote; the text is the document's, the label is not. */
    private static final Pattern FOOTNOTE = Pattern.compile("^\\s{0,3}\\[\\^[^\\]\\s]+\\]:\\s+(\\S.*)$");
    private static final Pattern FRONT_MATTER_KEY = Pattern.compile("^([A-Za-z_][\\w-]*)\\s*[:=]\\s*(.*)$");
    /** {@code Title: Docutils Design Specification}: a field of a mail-style header (PEPs, Git's howtos). */
    private static final Pattern HEADER_FIELD = Pattern.compile("^([A-Z][\\w-]*):\\s+(\\S.*)$");
    /** Front matter longer than this many lines is taken for ordinary text. */
    private static final int MAX_FRONT_MATTER_LINES = 200;
    /** A term on a row of its own (its description on the lines below) has at most this many words. */
    private static final int MAX_TERM_WORDS = 12;
    /** How many terms may stand on rows of their own, one under the other, before their description. */
    private static final int MAX_STACKED_TERMS = 4;
    /** How many blank lines may separate two rows of one definition list whose alignment shows it. */
    private static final int MAX_ROW_GAP = 2;
    /** Title lines are centered: a standalone line indented this far is a title, not a sentence. */
    private static final int CENTERED_INDENT = 10;

    private enum Mode { PROSE, FENCED, VIM_EXAMPLE, LITERAL, SKIPPED, HTML_COMMENT }

    /** What a paragraph is: running text, or a list item or definition (a term's description). */
    private enum Block { PROSE, ITEM }

    private final List<Sentence> out = new ArrayList<>();
    private final List<String> paragraph = new ArrayList<>();
    private final BreakIterator breaks = BreakIterator.getSentenceInstance(ULocale.ROOT);
    private final Hyphenation hyphenation;
    private final ManPageLayout manPage;
    private int section;
    private boolean sectionHasText;
    private Block block = Block.PROSE;
    /** The indent of the paragraph's first line (an item's marker or term). */
    private int firstIndent = -1;
    /** The indent of the paragraph's other lines; -1 until the second line sets it (or a term sets it). */
    private int bodyIndent = -1;
    /** The definition list being read: its terms' indent and the column its descriptions start at. */
    private int rowIndent = -1;
    private int rowColumn = -1;
    private boolean headingSeen;
    private boolean selectableSeen;
    /** The next paragraph with a readable sentence says what the document is about (under its title, a manual's DESCRIPTION). */
    private boolean awaitingPurpose;
    /** Every paragraph states the document's purpose: an abstract, a manual page's NAME. */
    private boolean inAbstract;
    private boolean inManName;
    private boolean inSynopsis;
    private boolean paragraphPurpose;
    /**
     * The indent of the lead-in ({@code ... as follows:}) that the paragraphs being read follow, indented
     * further, else -1.
     */
    private int leadIn = -1;

    private TextStructure(String text, String[] lines) {
        this.hyphenation = new Hyphenation(text);
        this.manPage = ManPageLayout.of(lines);
    }

    /** The sentences of {@code text}, in order, each with its section, fragment and purpose flags. */
    public static List<Sentence> parse(String text) {
        String normalized = text.replace("\r\n", "\n").replace('\r', '\n').replace('\f', '\n');
        String[] lines = normalized.split("\n", -1);
        BitSet tagged = new BitSet();
        for (int i = 0; i < lines.length; i++) {
            String line = unquoted(lines, i);
            if (line.indexOf('*') >= 0 && VIM_TAG.matcher(line).find()) {
                tagged.set(i);
                line = VIM_TAG.matcher(line).replaceAll(m -> " ".repeat(m.group().length()));
            }
            lines[i] = expandTabs(line).stripTrailing();
        }
        TextStructure t = new TextStructure(normalized, lines);
        t.read(lines, tagged);
        return t.out;
    }

    private void read(String[] lines, BitSet tagged) {
        Mode mode = Mode.PROSE;
        int blockIndent = 0;
        for (int i = frontMatter(lines); i < lines.length; i++) {
            String line = lines[i];
            boolean blank = line.isBlank();
            switch (mode) {
                case FENCED -> {
                    if (FENCE.matcher(line).find()) {
                        mode = Mode.PROSE;
                    } else if (!blank) {
                        code(line);
                    }
                    continue;
                }
                case VIM_EXAMPLE -> {
                    if (line.startsWith("<")) {
                        mode = Mode.PROSE;
                        line = line.substring(1);
                        blank = line.isBlank();
                    } else if (blank || Character.isWhitespace(line.charAt(0))) {
                        if (!blank) {
                            code(line);
                        }
                        continue;
                    } else {
                        mode = Mode.PROSE;
                    }
                }
                case LITERAL -> {
                    if (blank) {
                        continue;
                    }
                    if (indent(line) > blockIndent) {
                        code(line);
                        continue;
                    }
                    mode = Mode.PROSE;
                }
                case SKIPPED -> {
                    if (blank || indent(line) > blockIndent) {
                        continue;
                    }
                    mode = Mode.PROSE;
                }
                case HTML_COMMENT -> {
                    int close = line.indexOf("-->");
                    if (close < 0) {
                        continue;
                    }
                    mode = Mode.PROSE;
                    line = " ".repeat(close + 3) + line.substring(close + 3);
                    blank = line.isBlank();
                }
                default -> {
                }
            }
            if (blank) {
                flush();
                continue;
            }
            if (manPage != null && manPage.isRunningHeadOrFoot(line)) {
                continue;
            }
            int open = line.indexOf("<!--");
            if (open >= 0 && line.indexOf("-->", open) < 0) {
                mode = Mode.HTML_COMMENT;
                line = line.substring(0, open).stripTrailing();
                if (line.isBlank()) {
                    continue;
                }
            }
            if (line.contains("-*-")) {
                line = EMACS_MODELINE.matcher(line).replaceAll(" ").stripTrailing();
                if (line.isBlank()) {
                    continue;
                }
            }
            int n = indent(line);
            String next = i + 1 < lines.length ? lines[i + 1] : "";
            char first = line.charAt(n);
            if ((first == '`' || first == '~') && FENCE.matcher(line).find()) {
                flush();
                mode = Mode.FENCED;
                continue;
            }
            Matcher directive = line.startsWith("..", n) ? DIRECTIVE.matcher(line) : null;
            if (directive != null && directive.matches()) {
                flush();
                String name = directive.group(1);
                if (name != null && CODE_DIRECTIVE.matcher(name).matches()) {
                    mode = Mode.LITERAL;
                    blockIndent = n;
                } else if (name != null && TITLED_DIRECTIVE.matcher(name).matches() && !directive.group(2).isBlank()) {
                    heading(directive.group(2));
                } else if (name == null || SKIPPED_DIRECTIVE.matcher(name).matches()) {
                    if ("meta".equalsIgnoreCase(name)) {
                        metaDescription(lines, i, n);
                    }
                    // A comment's text, an image's options, a table of contents: indented below, not the document's words.
                    mode = Mode.SKIPPED;
                    blockIndent = n;
                }
                continue;
            }
            if (RULE_CHARACTERS.indexOf(first) >= 0 && RULE.matcher(line).matches()) {
                if (paragraph.size() == 1 && !LIST_ITEM.matcher(paragraph.get(0)).matches()
                        && line.strip().length() >= Math.min(3, paragraph.get(0).strip().length())) {
                    String title = paragraph.remove(0);
                    title(title);
                } else if (paragraph.isEmpty() && !next.isBlank() && i + 2 < lines.length
                        && lines[i + 2].strip().equals(line.strip())) {
                    title(next);
                    i += 2;
                } else {
                    flush();
                    newSection();
                }
                continue;
            }
            if (isFurniture(line, first)) {
                continue;
            }
            if (isTableRow(line)) {
                flush();
                if (hasWordCharacter(line)) {
                    // A row of cells; the row under the header ("| --- | :-: |") is only a border.
                    code(InlineMarkup.plain(line.replace('|', ' ')));
                }
                continue;
            }
            Matcher md = first == '#' ? MARKDOWN_HEADING.matcher(line) : null;
            if (md != null && md.matches()) {
                title(md.group(1));
                continue;
            }
            if (n == 0 && (line.contains("urgency=") && DEBIAN_ENTRY.matcher(line).matches()
                    || line.indexOf('@') > 0 && CHANGELOG_ENTRY.matcher(line).matches())) {
                heading(line);
                continue;
            }
            boolean standalone = paragraph.isEmpty() && next.isBlank();
            String release = n == 0 && paragraph.isEmpty() ? releaseHeading(line, next) : null;
            if (release != null) {
                heading(release);
                continue;
            }
            if (tagged.get(i) && words(line) <= 8) {
                flush();
                if (!line.isBlank()) {
                    if (out.isEmpty()) {
                        title(line);
                    } else {
                        heading(line);
                    }
                } else {
                    newSection();
                }
                continue;
            }
            if (manPage != null && paragraph.isEmpty() && (ManPageLayout.isSectionTitle(n)
                    || ManPageLayout.isSubsectionTitle(line, n) && (next.isBlank() || indent(next) > n))) {
                // A synopsis in subsections ("Traditional usage", "UNIX-style usage") is command lines throughout.
                boolean synopsis = inSynopsis && !ManPageLayout.isSectionTitle(n);
                heading(line);
                inSynopsis |= synopsis;
                continue;
            }
            Matcher field = line.startsWith(":") ? FIELD.matcher(line) : null;
            if (field != null && field.matches()) {
                flush();
                field(field.group(1), field.group(2) == null ? "" : field.group(2));
                continue;
            }
            int column = rowColumn(lines, i, paragraph.isEmpty() || !continues(n));
            if (column < 0 && manPage == null) {
                if (standalone && isTitle(line) || paragraph.isEmpty() && n == 0 && isCapitalsTitle(line)
                        && !next.isBlank() && indent(next) > 0) {
                    title(line);
                    continue;
                }
                if (standalone && n >= CENTERED_INDENT && !endsSentence(line) && words(line) <= MAX_TERM_WORDS
                        && !looksLikeCode(line)) {
                    // A centered line under a title ("Write a Vim script"): a subtitle, not a sentence.
                    add(clean(line), true, false);
                    continue;
                }
            }
            boolean opensItem = column >= 0;
            if (opensItem) {
                flush();
                term(line.substring(n, column));
                startItem(n, column);
                line = line.substring(column);
                rowIndent = n;
                rowColumn = column;
            } else if (n <= rowIndent) {
                rowIndent = -1;
                rowColumn = -1;
            }
            Matcher footnote = opensItem || line.indexOf("[^") < 0 ? null : FOOTNOTE.matcher(line);
            if (footnote != null && footnote.matches()) {
                flush();
                startItem(n, -1);
                line = footnote.group(1);
                opensItem = true;
            }
            Matcher item = opensItem || !mayOpenListItem(line, n) ? null : LIST_ITEM.matcher(line);
            if (item != null && item.matches() && !MULTI_LEVEL_NUMBER.matcher(line).find()) {
                flush();
                if (item.group("text") == null || item.group("text").isBlank()) {
                    continue;
                }
                startItem(n, -1);
                line = item.group("text");
                Matcher clause = CLAUSE_TITLE.matcher(line);
                if (Character.isDigit(lines[i].strip().charAt(0)) && clause.find()) {
                    heading(clause.group(1));
                    startItem(n, -1);
                    line = line.substring(clause.end());
                    if (line.isBlank()) {
                        continue;
                    }
                }
                opensItem = true;
            }
            if (line.endsWith(" ~")) {
                flush();
                code(line.substring(0, line.length() - 1));
                continue;
            }
            if (line.endsWith(" >") || line.strip().equals(">")) {
                paragraph.add(line.substring(0, line.length() - 1));
                flush();
                mode = Mode.VIM_EXAMPLE;
                continue;
            }
            if (line.endsWith("::")) {
                blockIndent = paragraph.isEmpty() ? n : firstIndent;
                paragraph.add(line.endsWith(" ::") || line.strip().equals("::")
                        ? line.substring(0, line.length() - 2) : line.substring(0, line.length() - 1));
                flush();
                mode = Mode.LITERAL;
                continue;
            }
            if (opensItem) {
                paragraph.add(line);
                continue;
            }
            boolean introduced = !paragraph.isEmpty() && paragraph.get(paragraph.size() - 1).endsWith(":") && looksLikeCode(line);
            if (introduced || !continues(n)) {
                boolean nested = !paragraph.isEmpty() && n > Math.max(firstIndent, bodyIndent);
                flush();
                int description = descriptionIndent(lines, i);
                if (description > n) {
                    term(line);
                    startItem(n, description);
                    continue;
                }
                firstIndent = n;
                if (nested) {
                    bodyIndent = n;
                }
                if (leadIn >= 0 && n >= leadIn || rowIndent >= 0 && n > rowIndent) {
                    // What a lead-in introduces is a list or an example, and text indented inside a table is
                    // in a cell: an item, never prose.
                    block = Block.ITEM;
                }
            } else if (bodyIndent < 0 && !paragraph.isEmpty()) {
                bodyIndent = n;
            }
            paragraph.add(line);
        }
        flush();
    }

    /**
     * Page furniture, dropped: table borders, page numbers, editor modelines, Markdown link reference
     * definitions, a Debian changelog entry's signature and its {@code [ Name ]} lines, a GitHub alert's
     * {@code [!NOTE]}. {@code first} is the line's first visible character; each pattern runs only where
     * that character lets it match.
     */
    private static boolean isFurniture(String line, char first) {
        return "-=+|:".indexOf(first) >= 0 && TABLE_BORDER.matcher(line).matches()
                || (Character.isDigit(first) || "-Ppvie".indexOf(first) >= 0) && PAGE_FURNITURE.matcher(line).matches()
                || InlineMarkup.isReferenceDefinition(line)
                || line.startsWith(" -- ") && DEBIAN_SIGNATURE.matcher(line).matches()
                || line.endsWith(" ]") && DEBIAN_CONTRIBUTOR.matcher(line).matches()
                || line.endsWith("]") && ALERT.matcher(line).matches();
    }

    /**
     * The heading a changelog or NEWS file gives a release ({@link #RELEASE_HEADING}, {@link #OUTLINE_HEADING}),
     * when {@code line}, at the margin, is one: short, not a sentence, followed by a blank line, an indented
     * line or a list item. Else null.
     */
    private static String releaseHeading(String line, String next) {
        if (!(next.isBlank() || indent(next) > 0 || LIST_ITEM.matcher(next).matches())
                || line.endsWith(".") || hasWords(line, MAX_TERM_WORDS + 1)) {
            return null;
        }
        Matcher release = RELEASE_HEADING.matcher(line);
        if (release.matches()) {
            return release.group(1);
        }
        Matcher outline = OUTLINE_HEADING.matcher(line);
        return outline.matches() ? outline.group(1) : null;
    }

    /**
     * Whether a line indented by {@code n} continues the paragraph being read. The second line sets the
     * body's indent: at or right of a list item's marker, at or left of a prose paragraph's first line (whose
     * first line may be indented) or right of a hanging one; a term's description has it from the term's row. Then every line is at the
     * body's indent: one further right starts a nested block (an example, a table), one further left ends
     * the item or the block.
     */
    private boolean continues(int n) {
        if (paragraph.isEmpty()) {
            return block == Block.ITEM && n == bodyIndent;
        }
        if (bodyIndent < 0) {
            return block == Block.ITEM ? n >= firstIndent : n <= firstIndent || isHangingFirstLine(paragraph.get(0));
        }
        return n == bodyIndent;
    }

    /**
     * A first line that a further indented line goes on with (a hanging indent, as {@code ll. `wait -n' now
     * accepts a list ... and will}): too long for a term, ending mid-sentence. After a sentence's end or a
     * lead-in, the indented line is an example instead.
     */
    private static boolean isHangingFirstLine(String line) {
        String s = line.strip();
        return !endsSentence(s) && !s.endsWith(":") && hasWords(s, MAX_TERM_WORDS + 1);
    }

    /**
     * The column where the description starts when line {@code i} is a row of a definition list (a term, a
     * run of spaces, the description), else -1. The alignment proves it, not the spaces alone (justified
     * text has runs of spaces too): the next line continues the description at that column, or the next row
     * (blank lines between allowed) puts its description at the same column after a wide run, or the list
     * read so far has its descriptions at that column.
     */
    private int rowColumn(String[] lines, int i, boolean opensBlock) {
        String line = lines[i];
        int n = indent(line);
        if (n == rowIndent) {
            if (splitsAt(line, n, rowColumn, true)) {
                return rowColumn;
            }
            // A name too long for the term column, then one space, among rows: test_garbagecollect_now() free memory ...
            int end = line.indexOf(' ', n);
            if (!lines[i - 1].isBlank() && end >= rowColumn - 1 && end + 1 < line.length() && line.charAt(end + 1) != ' '
                    && isTerm(line.substring(n, end)) && !isWord(line.substring(n, end))) {
                return end + 1;
            }
        }
        String next = i + 1 < lines.length ? lines[i + 1] : "";
        if (!next.isBlank() && splitsAt(line, n, indent(next), opensBlock)) {
            return indent(next);
        }
        int gap = gapAfterTerm(line, n);
        if (gap < 0 || !isTerm(line.substring(n, gap))) {
            return -1;
        }
        int column = skipSpaces(line, gap);
        for (int k = i + 1; k < lines.length && k <= i + 1 + MAX_ROW_GAP; k++) {
            String other = lines[k];
            if (other.isBlank()) {
                continue;
            }
            if (indent(other) != n) {
                return -1;
            }
            int otherGap = gapAfterTerm(other, n);
            if (otherGap < 0) {
                // The next row's term fills its line and its description starts below, at the same column.
                boolean below = k + 1 < lines.length && !lines[k + 1].isBlank() && indent(lines[k + 1]) == column;
                return below && column - gap >= minColumnGap() && isTermLine(other) ? column : -1;
            }
            if (skipSpaces(other, otherGap) != column || !isTerm(other.substring(n, otherGap))) {
                return -1;
            }
            return column - gap >= minColumnGap() || column - otherGap >= minColumnGap() ? column : -1;
        }
        return -1;
    }

    /**
     * The narrowest run of spaces that separates columns on one row at least. A manual page is justified,
     * with runs of two spaces anywhere in its text; elsewhere two spaces not after a sentence's end separate
     * columns ({@code |41.1|} and a tab, in Vim help).
     */
    private int minColumnGap() {
        return manPage != null ? 3 : 2;
    }

    /**
     * Whether {@code line}, indented by {@code n}, reads as a term and a description starting at
     * {@code column}: a space before the column, text at it, a term before it. A run of spaces inside the
     * term means the row splits earlier. A term followed by one space only ({@code --help Display ...}, as a
     * renderer sets a tag that nearly fills its indent) counts where {@code oneSpace} allows it, and must
     * be a single name, not a word: any word boundary of prose could fall on the column.
     */
    private static boolean splitsAt(String line, int n, int column, boolean oneSpace) {
        if (column <= n + 1 || column >= line.length() || line.charAt(column - 1) != ' ' || line.charAt(column) == ' ') {
            return false;
        }
        String term = line.substring(n, column).strip();
        return isTerm(term) && !term.contains("  ")
                && (line.charAt(column - 2) == ' ' || oneSpace && term.indexOf(' ') < 0 && !isWord(term));
    }

    /** A run of letters only: a word of prose rather than a name ({@code nr2char()}, {@code --help}, {@code v:errors}). */
    private static boolean isWord(String token) {
        for (int k = 0; k < token.length(); k++) {
            if (!Character.isLetter(token.charAt(k))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The indent of the description when line {@code i} is a term on a row of its own ({@code --alt-svc
     * <file name>} with its description indented on the lines below), else -1. Terms may stack ({@code -q}
     * over {@code --quiet}, {@code --init-file file} over {@code --rcfile file}) before their description. A
     * line that ends a sentence is not a term; one followed by list items or by the rows of a table is their
     * lead-in.
     */
    private int descriptionIndent(String[] lines, int i) {
        int n = indent(lines[i]);
        for (int k = i; k < lines.length - 1 && k - i < MAX_STACKED_TERMS && isTermLine(lines[k]); k++) {
            String next = lines[k + 1];
            int below = indent(next);
            if (next.isBlank() || below < n) {
                return -1;
            }
            if (below > n) {
                return LIST_ITEM.matcher(next).matches() || rowColumn(lines, k + 1, true) >= 0 ? -1 : below;
            }
        }
        return -1;
    }

    /** A line that can be a term on a row of its own: short, holding no sentence's end, not ending a clause. */
    private static boolean isTermLine(String line) {
        return !endsSentence(line) && !line.endsWith(",") && !line.endsWith(";") && !hasWords(line, MAX_TERM_WORDS + 1)
                && !SENTENCE_END_INSIDE.matcher(line).find();
    }

    /**
     * Whether {@code line} may open a list item at {@code n}: a bullet, a parenthesis, a digit, or a letter
     * (or a doubled one, {@code aa.} after {@code z.}) and its {@code .} or {@code )}. Cheap, so that {@link #LIST_ITEM} runs only where it can match.
     */
    private static boolean mayOpenListItem(String line, int n) {
        char c = line.charAt(n);
        if (BULLETS.indexOf(c) >= 0 || c == '(' || Character.isDigit(c)) {
            return true;
        }
        int k = n + 1 < line.length() && line.charAt(n + 1) == c ? n + 2 : n + 1;
        return Character.isLetter(c) && k < line.length() && (line.charAt(k) == '.' || line.charAt(k) == ')');
    }

    /** A definition's term: short, holding no sentence's end, not a bare list marker. */
    private static boolean isTerm(String term) {
        String t = term.strip();
        return !t.isEmpty() && !t.endsWith(".") && !t.endsWith(",") && !t.endsWith(";") && !hasWords(t, MAX_TERM_WORDS + 1)
                && !(mayOpenListItem(t, 0) && LIST_ITEM.matcher(t).matches()) && !SENTENCE_END_INSIDE.matcher(t).find();
    }

    /** The start of the first run of two or more spaces after the text that starts at {@code from}, or -1. */
    private static int gapAfterTerm(String line, int from) {
        for (int k = from + 1; k + 1 < line.length(); k++) {
            if (line.charAt(k) == ' ' && line.charAt(k + 1) == ' ' && line.charAt(k - 1) != ' ') {
                return k;
            }
        }
        return -1;
    }

    private static int skipSpaces(String line, int k) {
        while (k < line.length() && line.charAt(k) == ' ') {
            k++;
        }
        return k;
    }

    /** A term's text, kept as a fragment: context for its description, never a summary sentence. */
    private void term(String text) {
        String t = clean(text);
        if (!t.isEmpty()) {
            add(t, true, false);
        }
    }

    /** Starts a list item or a term's description: marker or term at {@code indent}, body at {@code body} (-1: the next line says). */
    private void startItem(int indent, int body) {
        block = Block.ITEM;
        firstIndent = indent;
        bodyIndent = body;
    }

    /**
     * A reST field ({@code :Author: A. Writer}): bibliographic metadata, kept as context. An {@code :Abstract:}
     * field states the document's purpose: its text, on the line and indented below, up to the next field or
     * heading.
     */
    private void field(String name, String value) {
        inAbstract = ABSTRACT_TITLE.matcher(name).matches();
        if (inAbstract) {
            if (!value.isBlank()) {
                firstIndent = 0;
                paragraph.add(value);
            }
            return;
        }
        String t = clean(name + ": " + value);
        if (!t.isEmpty()) {
            add(t, true, false);
        }
    }

    /** A standalone line that names a section: a numbered title or an all-caps line, without a final period. */
    private static boolean isTitle(String line) {
        String s = line.strip();
        Matcher numbered = NUMBERED_TITLE.matcher(s);
        if (numbered.matches()) {
            String rest = numbered.group(1).strip();
            return words(s) <= 12 && !s.endsWith(",")
                    && (!rest.endsWith(".") || MULTI_LEVEL_NUMBER.matcher(s).find() || words(rest) <= 4);
        }
        return isCapitalsTitle(s);
    }

    /** A short line of capitals ({@code TERMS AND CONDITIONS}, {@code EXIT STATUS}) without a final period or comma. */
    private static boolean isCapitalsTitle(String line) {
        String s = line.strip();
        if (s.endsWith(".") || s.endsWith(",") || words(s) > 12) {
            return false;
        }
        int letters = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (Character.isLetter(c)) {
                if (Character.isLowerCase(c)) {
                    return false;
                }
                letters++;
            }
        }
        return letters >= 3;
    }

    /**
     * The index of the first line after the front matter at the top of the document (0 when there is
     * none), having made its title the first heading. Front matter opens with {@code ---} (YAML, closed by
     * {@code ---} or {@code ...}) or {@code +++} (TOML, closed by {@code +++}) and its first line is a key;
     * every line up to the close must read as metadata (a key, an indented or list line, a comment, a TOML
     * table), else the block is ordinary text. A folded or quoted title ({@code title: >} and indented lines)
     * is joined back. Without such a block, a mail-style header is front matter too ({@link #mailHeader}).
     */
    private int frontMatter(String[] lines) {
        String open = lines.length > 1 ? lines[0].replace("\uFEFF", "").strip() : "";
        if (!open.equals("---") && !open.equals("+++") || !FRONT_MATTER_KEY.matcher(lines[1]).matches()) {
            return mailHeader(lines);
        }
        String title = null;
        String description = null;
        for (int i = 1; i < Math.min(lines.length, MAX_FRONT_MATTER_LINES); i++) {
            String line = lines[i];
            if (line.equals(open) || open.equals("---") && line.equals("...")) {
                if (title != null) {
                    title(title);
                }
                if (description != null) {
                    purposeStatement(description);
                }
                return i + 1;
            }
            Matcher key = FRONT_MATTER_KEY.matcher(line);
            boolean metadata = key.matches() || line.isBlank() || Character.isWhitespace(line.charAt(0))
                    || line.startsWith("- ") || line.startsWith("#") || line.startsWith("[");
            if (!metadata) {
                return 0;
            }
            if (title == null && key.matches() && key.group(1).equalsIgnoreCase("title")) {
                title = frontMatterValue(lines, i, key.group(2));
            } else if (description == null && key.matches() && key.group(1).equalsIgnoreCase("description")) {
                description = frontMatterValue(lines, i, key.group(2));
            }
        }
        return 0;
    }

    /** A front matter value starting on line {@code i}: folded or quoted, joined back from its indented lines. */
    private static String frontMatterValue(String[] lines, int i, String first) {
        StringBuilder t = new StringBuilder(first.replaceFirst("^[>|][-+]?\\s*$", ""));
        for (int k = i + 1; k < lines.length && isContinuation(lines[k]); k++) {
            t.append(' ').append(lines[k].strip());
        }
        return t.toString().strip().replaceAll("^[\"']|[\"']$", "");
    }

    /**
     * The {@code :description:} of the {@code .. meta::} directive on line {@code i} (indented {@code indent}):
     * the page's own statement of what it is about, as its author gave it to search engines. Not shown on the
     * page, so never chosen for a summary, but it tells the selection what the document is for.
     */
    private void metaDescription(String[] lines, int i, int indent) {
        for (int j = i + 1; j < lines.length && (lines[j].isBlank() || indent(lines[j]) > indent); j++) {
            Matcher d = META_DESCRIPTION.matcher(lines[j]);
            if (d.matches()) {
                StringBuilder t = new StringBuilder(d.group(1));
                int field = indent(lines[j]);
                for (int k = j + 1; k < lines.length && !lines[k].isBlank() && indent(lines[k]) > field; k++) {
                    t.append(' ').append(lines[k].strip());
                }
                purposeStatement(t.toString());
                return;
            }
        }
    }

    /** A statement of the document's purpose that is not part of its text: a fragment carrying the purpose flag. */
    private void purposeStatement(String text) {
        String t = clean(text);
        if (!t.isEmpty()) {
            add(t, true, true);
        }
    }

    /**
     * The index of the first line after a mail-style header at the top (a PEP's {@code PEP:}, {@code Title:},
     * {@code Author:} ...; a howto's {@code From:}, {@code Subject:}, {@code Abstract:}), or 0 when the document
     * has none: two or more {@code Field: value} lines, continued on indented lines, up to the first blank
     * line. The title or subject is the first heading; an abstract is a paragraph stating the purpose; the
     * rest is metadata, dropped.
     */
    private int mailHeader(String[] lines) {
        int fields = 0;
        int end = 0;
        while (end < lines.length && !lines[end].isBlank()) {
            if (HEADER_FIELD.matcher(lines[end]).matches()) {
                fields++;
            } else if (fields == 0 || !isContinuation(lines[end])) {
                return 0;
            }
            end++;
        }
        if (fields < 2) {
            return 0;
        }
        for (int i = 0; i < end; i++) {
            Matcher f = HEADER_FIELD.matcher(lines[i]);
            if (!f.matches()) {
                continue;
            }
            String name = f.group(1);
            if (name.equalsIgnoreCase("title") || name.equalsIgnoreCase("subject")) {
                title(f.group(2));
            } else if (ABSTRACT_TITLE.matcher(name).matches()) {
                paragraphPurpose = true;
                paragraph.add(f.group(2));
                for (int k = i + 1; k < end && isContinuation(lines[k]); k++) {
                    paragraph.add(lines[k].strip());
                }
                flush();
            }
        }
        return end;
    }

    /** An indented, non-blank line: the continuation of a folded front matter value. */
    private static boolean isContinuation(String line) {
        return !line.isBlank() && Character.isWhitespace(line.charAt(0));
    }

    private static boolean isTableRow(String line) {
        String s = line.strip();
        int pipes = 0;
        for (int k = 0; k < s.length(); k++) {
            if (s.charAt(k) == '|') {
                pipes++;
            }
        }
        return pipes >= 2 && (s.startsWith("| ") || s.startsWith("|-") || s.startsWith("|:")
                || s.indexOf(" | ") >= 0 && s.indexOf(" | ") != s.lastIndexOf(" | "));
    }

    /**
     * A heading that can title the document (Markdown, underlined or overlined, front matter, a help file's
     * first line): when nothing came before it, the paragraph under it says what the document is about.
     */
    private void title(String text) {
        boolean first = !headingSeen && !selectableSeen;
        heading(text);
        awaitingPurpose = first && manPage == null;
    }

    /** A heading: a new section, the title kept as a fragment. */
    private void heading(String title) {
        flush();
        newSection();
        String t = clean(title);
        if (!t.isEmpty()) {
            add(t, true, false);
        }
        headingSeen = true;
        leadIn = -1;
        rowIndent = -1;
        rowColumn = -1;
        inAbstract = ABSTRACT_TITLE.matcher(t).matches();
        inManName = manPage != null && t.equalsIgnoreCase("NAME");
        inSynopsis = manPage != null && t.equalsIgnoreCase("SYNOPSIS");
        awaitingPurpose = manPage != null && t.equalsIgnoreCase("DESCRIPTION");
    }

    private void newSection() {
        if (sectionHasText) {
            section++;
            sectionHasText = false;
        }
    }

    private void code(String line) {
        String t = collapseWhitespace(line);
        if (!t.isEmpty()) {
            add(t, true, false);
        }
    }

    private void add(String text, boolean fragment, boolean purpose) {
        out.add(new Sentence(text, section, fragment, purpose));
        sectionHasText = true;
    }

    /** Ends the paragraph being read: its sentences are cut and added, and the next line starts afresh. */
    private void flush() {
        if (!paragraph.isEmpty()) {
            sentences();
        }
        paragraph.clear();
        block = Block.PROSE;
        firstIndent = -1;
        bodyIndent = -1;
        paragraphPurpose = false;
    }

    /** Joins the paragraph's lines back into running text and cuts it into sentences. */
    private void sentences() {
        int introducedBy = leadIn;
        leadIn = paragraph.get(paragraph.size() - 1).strip().endsWith(":") ? firstIndent
                : introducedBy >= 0 && firstIndent > introducedBy ? introducedBy : -1;
        int codeLines = 0;
        int shortLines = 0;
        int columnLines = 0;
        for (String l : paragraph) {
            if (looksLikeCode(l)) {
                codeLines++;
            }
            if (!hasWords(l, MIN_WORDS)) {
                shortLines++;
            }
            if (hasColumns(l)) {
                columnLines++;
            }
        }
        if (inSynopsis || 2 * codeLines > paragraph.size()) {
            paragraph.forEach(this::code);
            return;
        }
        boolean item = block == Block.ITEM;
        if (paragraph.size() >= 3 && shortLines == paragraph.size() || 2 * columnLines > paragraph.size()) {
            // A menu, or rows of a table the alignment did not show: each line is a unit, never one joined
            // "sentence", and a table's cells are context, not summary sentences.
            for (String l : paragraph) {
                add(clean(l), true, false);
            }
            return;
        }
        String joined = join();
        if (item && InlineMarkup.isLinkOnly(joined)) {
            return;
        }
        boolean stated = paragraphPurpose || inAbstract;
        Matcher label = ABSTRACT_LABEL.matcher(joined);
        if (label.lookingAt()) {
            joined = joined.substring(label.end());
            stated = true;
        }
        String text = clean(joined);
        if (inManName) {
            // "bash - GNU Bourne-Again SHell": the author's one-line summary, a title rather than a sentence.
            add(text, true, true);
            return;
        }
        List<String> cut = new ArrayList<>();
        breaks.setText(text);
        int start = breaks.first();
        for (int end = breaks.next(); end != BreakIterator.DONE; end = breaks.next()) {
            if (end < text.length() && !Character.isWhitespace(text.charAt(end - 1)) && !Character.isWhitespace(text.charAt(end))) {
                // A break inside a token ("!=", "?:" in program text) is not a sentence's end.
                continue;
            }
            String s = text.substring(start, end).strip();
            if (hasWordCharacter(s)) {
                cut.add(s);
            }
            start = end;
        }
        boolean[] selectable = new boolean[cut.size()];
        boolean any = false;
        for (int k = 0; k < selectable.length; k++) {
            selectable[k] = isSelectable(cut.get(k), item);
            any |= selectable[k];
        }
        // Under a title, badges and link lines come before the paragraph that says what the document is about.
        boolean purpose = stated || awaitingPurpose && any;
        for (int k = 0; k < selectable.length; k++) {
            add(cut.get(k), !selectable[k], purpose);
        }
        if (any) {
            awaitingPurpose = false;
            selectableSeen = true;
        }
    }

    /**
     * Whether a summary may pick {@code s}: enough words and letters ({@link #isFragment}), not a lead-in
     * ending in {@code :} nor a clause ending in {@code ,}, no markup left, no run longer than
     * {@link #MAX_WORDS} words that does not end as a sentence; an item must also start as one.
     */
    private static boolean isSelectable(String s, boolean item) {
        return !isFragment(s) && !s.endsWith(":") && !s.endsWith(",") && !InlineMarkup.hasLeftover(s)
                && (endsSentence(s) || !hasWords(s, MAX_WORDS + 1)) && (!item || startsSentence(s));
    }

    /**
     * The paragraph's lines joined with spaces; a word broken by a hyphen at a line's end ({@code connect‐}
     * {@code ing}, {@code INVOCA‐} {@code TION}) is joined back without it, a compound keeps it
     * ({@link Hyphenation}).
     */
    private String join() {
        StringBuilder joined = new StringBuilder();
        for (String l : paragraph) {
            String s = l.strip();
            int n = joined.length();
            if (n > 1 && Hyphenation.isLineEndHyphen(joined.charAt(n - 1)) && Character.isLetter(joined.charAt(n - 2))
                    && !s.isEmpty() && Character.isLetter(s.charAt(0))
                    && (Character.isLowerCase(s.charAt(0)) || Character.isUpperCase(joined.charAt(n - 2)))) {
                char hyphen = joined.charAt(n - 1);
                int left = n - 1;
                while (left > 0 && Character.isLetter(joined.charAt(left - 1))) {
                    left--;
                }
                int right = 0;
                while (right < s.length() && Character.isLetter(s.charAt(right))) {
                    right++;
                }
                if (hyphenation.dropsHyphen(joined.substring(left, n - 1), hyphen, s.substring(0, right))) {
                    joined.setLength(n - 1);
                }
                joined.append(s);
            } else {
                joined.append(n == 0 ? "" : " ").append(s);
            }
        }
        return joined.toString();
    }

    /** Vim-help links unwrapped, inline markup reduced to its words ({@link InlineMarkup}), whitespace collapsed. */
    private static String clean(String s) {
        String t = s.indexOf('|') >= 0 ? VIM_LINK.matcher(s).replaceAll("$1") : s;
        return collapseWhitespace(InlineMarkup.plain(t));
    }

    /** {@code s} stripped, each run of whitespace inside it one space. */
    private static String collapseWhitespace(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean space = false;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (Character.isWhitespace(c)) {
                space = b.length() > 0;
            } else {
                if (space) {
                    b.append(' ');
                    space = false;
                }
                b.append(c);
            }
        }
        return b.toString();
    }

    /** A line of program text or a shell session rather than prose. */
    static boolean looksLikeCode(String line) {
        String s = line.strip();
        if (s.startsWith(">>>") || s.startsWith("$ ") || s.startsWith("# ") && indent(line) > 0
                || s.startsWith("#include") || s.startsWith("//") || s.startsWith("/*")
                || s.endsWith(";") || s.endsWith("{") || s.endsWith("}") || s.endsWith("\\")) {
            return true;
        }
        return letterShare(s) < 0.6;
    }

    /**
     * Whether the text inside a line stands in columns: a run of spaces between words, as wide as
     * {@link #minColumnGap}, that does not follow a sentence's end (two spaces after a period are a typist's
     * habit).
     */
    private boolean hasColumns(String line) {
        int k = indent(line);
        for (int spaces = 0; k < line.length(); k++) {
            if (line.charAt(k) == ' ') {
                spaces++;
                continue;
            }
            if (spaces >= minColumnGap()) {
                char before = line.charAt(k - spaces - 1);
                if (before != '.' && before != '!' && before != '?' && before != ':') {
                    return true;
                }
            }
            spaces = 0;
        }
        return false;
    }

    /** A fragment: fewer than {@link #MIN_WORDS} words, or mostly non-letters. */
    public static boolean isFragment(String sentence) {
        return !hasWords(sentence, MIN_WORDS) || letterShare(sentence) < MIN_LETTER_SHARE;
    }

    /** Whether {@code s} ends as a sentence does: a period, question or exclamation mark, before any closing quote or bracket. */
    static boolean endsSentence(String s) {
        int k = s.length() - 1;
        while (k >= 0 && "\"')]\u201D\u2019\u00BB*_".indexOf(s.charAt(k)) >= 0) {
            k--;
        }
        return k >= 0 && (s.charAt(k) == '.' || s.charAt(k) == '!' || s.charAt(k) == '?');
    }

    /** Whether {@code s} starts as a sentence does: a capital or a digit, after any opening quote or bracket. */
    static boolean startsSentence(String s) {
        int k = 0;
        while (k < s.length() && "\"'([\u201C\u2018\u00AB\u00BF\u00A1".indexOf(s.charAt(k)) >= 0) {
            k++;
        }
        return k < s.length() && (Character.isUpperCase(s.charAt(k)) || Character.isDigit(s.charAt(k)));
    }

    /** Whether {@code s} has at least {@code count} {@link #words}; reads only as far as it needs to. */
    static boolean hasWords(String s, int count) {
        int found = 0;
        boolean inToken = false;
        boolean hasLetter = false;
        for (int k = 0; k <= s.length(); k++) {
            boolean space = k == s.length() || s.charAt(k) == ' ' || Character.isWhitespace(s.charAt(k));
            if (space) {
                if (inToken && hasLetter && ++found >= count) {
                    return true;
                }
                inToken = false;
                hasLetter = false;
            } else {
                inToken = true;
                hasLetter |= Character.isLetter(s.charAt(k));
            }
        }
        return false;
    }

    /** Whitespace-separated tokens that contain a letter. */
    static int words(String s) {
        int count = 0;
        boolean inToken = false;
        boolean hasLetter = false;
        for (int k = 0; k <= s.length(); k++) {
            boolean space = k == s.length() || Character.isWhitespace(s.charAt(k));
            if (space) {
                if (inToken && hasLetter) {
                    count++;
                }
                inToken = false;
                hasLetter = false;
            } else {
                inToken = true;
                hasLetter |= Character.isLetter(s.charAt(k));
            }
        }
        return count;
    }

    private static double letterShare(String s) {
        int letters = 0;
        int visible = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (!Character.isWhitespace(c)) {
                visible++;
                if (Character.isLetter(c)) {
                    letters++;
                }
            }
        }
        return visible == 0 ? 0 : (double) letters / visible;
    }

    private static boolean hasWordCharacter(String s) {
        for (int k = 0; k < s.length(); k++) {
            if (Character.isLetterOrDigit(s.charAt(k))) {
                return true;
            }
        }
        return false;
    }

    private static int indent(String line) {
        int k = 0;
        while (k < line.length() && line.charAt(k) == ' ') {
            k++;
        }
        return k;
    }

    /**
     * Line {@code i} without its Markdown block-quote markers ({@code > text}, {@code > > text}). A lone
     * {@code >} is a blank line inside a quote when a neighbour is quoted; elsewhere it opens a Vim-help
     * example and stays.
     */
    private static String unquoted(String[] lines, int i) {
        String line = lines[i];
        int k = indent(line);
        if (k > 3 || k >= line.length() || line.charAt(k) != '>') {
            return line;
        }
        if (line.strip().equals(">")) {
            boolean quoted = i > 0 && isQuoted(lines[i - 1]) || i + 1 < lines.length && isQuoted(lines[i + 1]);
            return quoted ? "" : line;
        }
        while (k < line.length() && line.charAt(k) == '>') {
            k++;
            if (k < line.length() && line.charAt(k) == ' ') {
                k++;
            }
            while (k < line.length() && line.charAt(k) == ' ' && k + 1 < line.length() && line.charAt(k + 1) == '>') {
                k++;
            }
        }
        return line.substring(k);
    }

    /** A line that starts a block quote's text: {@code >} and a space, at most three spaces in. */
    private static boolean isQuoted(String line) {
        int k = indent(line);
        return k <= 3 && line.startsWith("> ", k);
    }

    /** Tabs to spaces at stops of eight columns, as terminals and {@code col} lay them out: columns are structure here. */
    private static String expandTabs(String line) {
        if (line.indexOf('\t') < 0) {
            return line;
        }
        StringBuilder b = new StringBuilder(line.length() + 16);
        for (int k = 0; k < line.length(); k++) {
            char c = line.charAt(k);
            if (c == '\t') {
                b.append(' ');
                while (b.length() % 8 != 0) {
                    b.append(' ');
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
