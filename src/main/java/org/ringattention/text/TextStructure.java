package org.ringattention.text;

import com.ibm.icu.text.BreakIterator;
import com.ibm.icu.util.ULocale;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sentences of a plain-text, Markdown, reStructuredText or Vim-help document, read line by line
 * for its structure before any sentence is cut:
 * <ul>
 *   <li>paragraphs end at blank lines; hard-wrapped lines inside one are joined back with a space;</li>
 *   <li>headings (Markdown {@code #}, underlined or overlined titles, numbered titles like
 *       {@code 4.2 Title}, all-caps title lines, Vim-help lines carrying a {@code *tag*}) and separator
 *       lines ({@code ----}, {@code ====}) start a new section;</li>
 *   <li>list items start a new paragraph and lose their marker, so {@code 3.} is never a sentence;</li>
 *   <li>code and example blocks (fenced, reST {@code ::} literal blocks and code directives, Vim-help
 *       {@code >} ... {@code <} examples, paragraphs whose lines look like code) and table rows are kept
 *       one line per sentence, as fragments;</li>
 *   <li>page furniture (bare page numbers, {@code Page N of M}, form feeds, editor modelines, reST
 *       directive and comment markers, table borders) is dropped;</li>
 *   <li>front matter (a block of {@code key: value} lines between {@code ---} lines, or {@code key = value}
 *       between {@code +++}, at the top, as R Markdown, Quarto, Jekyll and Hugo write it): its
 *       {@code title} becomes the document's first heading and the other keys, metadata, are dropped.</li>
 * </ul>
 * Prose paragraphs are cut with ICU's sentence {@link BreakIterator} (Unicode UAX #29 rules). Every
 * sentence keeps its section and a fragment flag ({@link Sentence}); fragments stay in the document as
 * context for attention but are never chosen for a summary. One linear pass over the lines.
 */
public final class TextStructure {

    /** Sentences with fewer words than this are fragments. */
    public static final int MIN_WORDS = 4;
    /** Sentences whose letters are fewer than this share of their non-space characters are fragments. */
    static final double MIN_LETTER_SHARE = 0.5;

    private static final Pattern MARKDOWN_HEADING = Pattern.compile("^\\s{0,3}#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern RULE = Pattern.compile("^\\s*([-=*_~#^+`'\"])\\1{2,}\\s*$");
    private static final Pattern TABLE_BORDER = Pattern.compile("^\\s*[-=+|:]{3,}(\\s+[-=+|:]{3,})+\\s*$|^\\s*\\+[-=+]+\\+\\s*$");
    private static final Pattern LIST_ITEM = Pattern.compile(
            "^\\s*(?:[-*+\u2022\u2013]|\\d{1,3}[.)]|\\(\\d{1,3}\\)|\\(?[a-zA-Z][.)]|\\([ivxlc]{1,5}\\))(?:\\s+(.*))?$");
    private static final Pattern NUMBERED_TITLE = Pattern.compile("^\\s*\\d{1,3}(?:\\.\\d{1,3})*\\.?\\s+(\\p{Lu}.*)$");
    private static final Pattern MULTI_LEVEL_NUMBER = Pattern.compile("^\\s*\\d{1,3}(?:\\.\\d{1,3})+\\.?\\s");
    private static final Pattern VIM_TAG = Pattern.compile("(?<![\\w*])\\*[^*\\s|]+\\*(?![\\w*])");
    private static final Pattern VIM_LINK = Pattern.compile("\\|([^|\\s]+)\\|");
    private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");
    private static final Pattern DIRECTIVE = Pattern.compile("^\\s*\\.\\.(?:\\s+([\\w:-]+)::.*|\\s.*|)$");
    private static final Pattern CODE_DIRECTIVE = Pattern.compile("code-block|code|sourcecode|doctest|literalinclude|productionlist");
    private static final Pattern PAGE_FURNITURE = Pattern.compile(
            "^\\s*(?:-\\s*)?\\d{1,4}(?:\\s*-)?\\s*$|^\\s*[Pp]age\\s+\\d+(?:\\s+of\\s+\\d+)?\\s*$|^\\s*(?:vim?|ex):\\s*\\S*[:=].*$");
    /** "3. Grant of Patent License. Subject to ...": a numbered clause opening with a short title. */
    private static final Pattern CLAUSE_TITLE = Pattern.compile(
            "^\\s*(\\p{Lu}[\\w'-]*(?:\\s+(?:\\p{Lu}[\\w'-]*|of|and|or|the|to|for|a|an|in|on)){0,5}\\.)(?:\\s+|$)");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final Pattern FRONT_MATTER_KEY = Pattern.compile("^([A-Za-z_][\\w-]*)\\s*[:=]\\s*(.*)$");
    /** Front matter longer than this many lines is taken for ordinary text. */
    private static final int MAX_FRONT_MATTER_LINES = 200;

    private enum Mode { PROSE, FENCED, VIM_EXAMPLE, LITERAL }

    private final List<Sentence> out = new ArrayList<>();
    private final List<String> paragraph = new ArrayList<>();
    private final BreakIterator breaks = BreakIterator.getSentenceInstance(ULocale.ROOT);
    private int section;
    private boolean sectionHasText;

    private TextStructure() {
    }

    /** The sentences of {@code text}, in order, each with its section and fragment flag. */
    public static List<Sentence> parse(String text) {
        TextStructure t = new TextStructure();
        t.read(text.replace("\r\n", "\n").replace('\r', '\n').replace('\f', '\n').split("\n", -1));
        return t.out;
    }

    private void read(String[] lines) {
        Mode mode = Mode.PROSE;
        int literalIndent = 0;
        for (int i = frontMatter(lines); i < lines.length; i++) {
            String line = lines[i].replace('\t', ' ').stripTrailing();
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
                    if (indent(line) > literalIndent) {
                        code(line);
                        continue;
                    }
                    mode = Mode.PROSE;
                }
                default -> {
                }
            }
            if (blank) {
                flush();
                continue;
            }
            String next = i + 1 < lines.length ? lines[i + 1].strip() : "";
            if (FENCE.matcher(line).find()) {
                flush();
                mode = Mode.FENCED;
                continue;
            }
            Matcher directive = DIRECTIVE.matcher(line);
            if (directive.matches()) {
                flush();
                if (directive.group(1) != null && CODE_DIRECTIVE.matcher(directive.group(1)).matches()) {
                    mode = Mode.LITERAL;
                    literalIndent = indent(line);
                }
                continue;
            }
            if (RULE.matcher(line).matches()) {
                if (paragraph.size() == 1 && !LIST_ITEM.matcher(paragraph.get(0)).matches()
                        && line.strip().length() >= Math.min(3, paragraph.get(0).strip().length())) {
                    String title = paragraph.remove(0);
                    heading(title);
                } else if (paragraph.isEmpty() && !next.isEmpty() && i + 2 < lines.length
                        && lines[i + 2].strip().equals(line.strip())) {
                    heading(next);
                    i += 2;
                } else {
                    flush();
                    newSection();
                }
                continue;
            }
            if (TABLE_BORDER.matcher(line).matches() || PAGE_FURNITURE.matcher(line).matches()) {
                continue;
            }
            if (isTableRow(line)) {
                flush();
                code(line.replace('|', ' '));
                continue;
            }
            Matcher md = MARKDOWN_HEADING.matcher(line);
            if (md.matches()) {
                flush();
                heading(md.group(1));
                continue;
            }
            boolean standalone = paragraph.isEmpty() && next.isEmpty();
            if (VIM_TAG.matcher(line).find() && words(VIM_TAG.matcher(line).replaceAll(" ")) <= 8) {
                flush();
                String title = VIM_TAG.matcher(line).replaceAll(" ").strip();
                if (!title.isEmpty()) {
                    heading(title);
                } else {
                    newSection();
                }
                continue;
            }
            if (standalone && isTitle(line)) {
                heading(line);
                continue;
            }
            Matcher item = LIST_ITEM.matcher(line);
            if (item.matches() && !MULTI_LEVEL_NUMBER.matcher(line).find()) {
                flush();
                if (item.group(1) == null || item.group(1).isBlank()) {
                    continue;
                }
                line = item.group(1);
                Matcher clause = CLAUSE_TITLE.matcher(line);
                if (Character.isDigit(lines[i].strip().charAt(0)) && clause.find()) {
                    heading(clause.group(1));
                    line = line.substring(clause.end());
                    if (line.isBlank()) {
                        continue;
                    }
                }
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
                literalIndent = paragraph.isEmpty() ? indent(line) : indent(paragraph.get(0));
                paragraph.add(line.endsWith(" ::") || line.strip().equals("::")
                        ? line.substring(0, line.length() - 2) : line.substring(0, line.length() - 1));
                flush();
                mode = Mode.LITERAL;
                continue;
            }
            paragraph.add(line);
        }
        flush();
    }

    /** A standalone line that names a section: a numbered title or an all-caps line, without a final period. */
    private static boolean isTitle(String line) {
        String s = line.strip();
        if (s.endsWith(".") && !NUMBERED_TITLE.matcher(s).matches() || words(s) > 12 || s.endsWith(",")) {
            return false;
        }
        Matcher numbered = NUMBERED_TITLE.matcher(s);
        if (numbered.matches()) {
            String rest = numbered.group(1).strip();
            return !rest.endsWith(".") || MULTI_LEVEL_NUMBER.matcher(s).find() || words(rest) <= 4;
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
     * none), having made its {@code title} the first heading. Front matter opens with {@code ---} (YAML,
     * closed by {@code ---} or {@code ...}) or {@code +++} (TOML, closed by {@code +++}) and its first line
     * is a key; every line up to the close must read as metadata (a key, an indented or list line, a
     * comment, a TOML table), else the block is ordinary text. A folded or quoted title
     * ({@code title: >} and indented lines) is joined back.
     */
    private int frontMatter(String[] lines) {
        String open = lines.length > 1 ? lines[0].replace("\uFEFF", "").strip() : "";
        if (!open.equals("---") && !open.equals("+++") || !FRONT_MATTER_KEY.matcher(lines[1]).matches()) {
            return 0;
        }
        String title = null;
        for (int i = 1; i < Math.min(lines.length, MAX_FRONT_MATTER_LINES); i++) {
            String line = lines[i].stripTrailing();
            if (line.equals(open) || open.equals("---") && line.equals("...")) {
                if (title != null) {
                    heading(title);
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
                StringBuilder t = new StringBuilder(key.group(2).replaceFirst("^[>|][-+]?\\s*$", ""));
                for (int k = i + 1; k < lines.length && isContinuation(lines[k]); k++) {
                    t.append(' ').append(lines[k].strip());
                }
                title = t.toString().strip().replaceAll("^[\"']|[\"']$", "");
            }
        }
        return 0;
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
        return pipes >= 2 && (s.startsWith("| ") || s.startsWith("|-") || s.startsWith("|:") || s.contains(" | "));
    }

    private void heading(String title) {
        flush();
        newSection();
        String t = clean(title);
        if (!t.isEmpty()) {
            add(t, true);
        }
    }

    private void newSection() {
        if (sectionHasText) {
            section++;
            sectionHasText = false;
        }
    }

    private void code(String line) {
        String t = WHITESPACE.matcher(line.strip()).replaceAll(" ");
        if (!t.isEmpty()) {
            add(t, true);
        }
    }

    private void add(String text, boolean fragment) {
        out.add(new Sentence(text, section, fragment || isFragment(text)));
        sectionHasText = true;
    }

    /** Joins the paragraph's lines back into running text and cuts it into sentences. */
    private void flush() {
        if (paragraph.isEmpty()) {
            return;
        }
        int codeLines = 0;
        for (String l : paragraph) {
            if (looksLikeCode(l)) {
                codeLines++;
            }
        }
        int shortLines = 0;
        for (String l : paragraph) {
            if (words(l) < MIN_WORDS) {
                shortLines++;
            }
        }
        if (2 * codeLines > paragraph.size() || paragraph.size() >= 3 && shortLines == paragraph.size()) {
            paragraph.forEach(this::code);
            paragraph.clear();
            return;
        }
        StringBuilder joined = new StringBuilder();
        for (String l : paragraph) {
            String s = l.strip();
            int n = joined.length();
            if (n > 1 && joined.charAt(n - 1) == '-' && Character.isLetter(joined.charAt(n - 2))
                    && !s.isEmpty() && Character.isLowerCase(s.charAt(0))) {
                joined.append(s);
            } else {
                joined.append(n == 0 ? "" : " ").append(s);
            }
        }
        paragraph.clear();
        String text = clean(joined.toString());
        breaks.setText(text);
        for (int start = breaks.first(), end = breaks.next(); end != BreakIterator.DONE; start = end, end = breaks.next()) {
            String s = text.substring(start, end).strip();
            if (hasWordCharacter(s)) {
                add(s, false);
            }
        }
    }

    /** Vim-help tags dropped and links unwrapped, whitespace collapsed. */
    private static String clean(String s) {
        String t = VIM_TAG.matcher(s).replaceAll(" ");
        t = VIM_LINK.matcher(t).replaceAll("$1");
        return WHITESPACE.matcher(t).replaceAll(" ").strip();
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

    /** A fragment: fewer than {@link #MIN_WORDS} words, or mostly non-letters. */
    public static boolean isFragment(String sentence) {
        return words(sentence) < MIN_WORDS || letterShare(sentence) < MIN_LETTER_SHARE;
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
}
