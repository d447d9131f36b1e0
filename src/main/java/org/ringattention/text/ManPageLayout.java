package org.ringattention.text;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The page layout of a manual page rendered as text ({@code man -P cat}, {@code col -b}, {@code mandoc -T
 * utf8}, {@code groff -man}): a running head {@code BASH(1)   General Commands Manual   BASH(1)} on the first
 * line (and on every page when the renderer paginates), a running foot {@code GNU Bash 5.2   2022 September
 * 19   BASH(1)} (a page number in place of the title when paginated, {@code BSD   November 28, 2022   BSD}
 * from mdoc), section titles ({@code .SH}) at the left margin, subsection titles ({@code .SS}) indented by
 * three, and the text indented by five (mdoc) or seven (man).
 */
final class ManPageLayout {

    /** The running head: the page's {@code NAME(section)} at both ends, the manual's name between. */
    private static final Pattern RUNNING_HEAD = Pattern.compile("^\\s*(\\S+\\([0-9a-zA-Z]{1,8}\\))(?:\\s{2,}.*\\S)?\\s{2,}\\1\\s*$");
    /** Text in columns at the left margin: running heads and feet are laid out so, section titles never are. */
    private static final Pattern COLUMNS_AT_MARGIN = Pattern.compile("^\\S.*\\S {3,}\\S.*$");
    /** A foot without its left column starts with its centered date, this far right or further. */
    private static final int CENTERED_FOOT_INDENT = 20;
    /** Subsection titles are indented by three; the text by five or more. */
    private static final int MAX_SUBSECTION_INDENT = 4;

    private final String head;
    /** The page's {@code NAME(section)}, which ends the running foot too. */
    private final String page;

    private ManPageLayout(String head, String page) {
        this.head = head;
        this.page = page;
    }

    /** The layout of {@code lines} when its first non-blank line is a manual page's running head, else null. */
    static ManPageLayout of(String[] lines) {
        for (String line : lines) {
            if (!line.isBlank()) {
                Matcher m = RUNNING_HEAD.matcher(line);
                return m.matches() ? new ManPageLayout(line.strip(), m.group(1)) : null;
            }
        }
        return null;
    }

    /**
     * A running head or foot: page furniture, wherever the renderer repeated it. A foot ends with the page's
     * name after a run of spaces; it starts at the margin, or far right of the text when its left column (the
     * source) is empty.
     */
    boolean isRunningHeadOrFoot(String line) {
        String s = line.strip();
        if (s.equals(head) || s.equals(page) || line.charAt(0) != ' ' && COLUMNS_AT_MARGIN.matcher(line).matches()) {
            return true;
        }
        int before = s.length() - page.length();
        int indent = line.length() - line.stripLeading().length();
        return s.endsWith(page) && before > 2 && s.charAt(before - 1) == ' ' && s.charAt(before - 2) == ' '
                && (indent == 0 || indent >= CENTERED_FOOT_INDENT);
    }

    /** A section title ({@code NAME}, {@code EXIT STATUS}): text at the left margin. */
    static boolean isSectionTitle(int indent) {
        return indent == 0;
    }

    /** A subsection title: a short line indented less than the text, without a sentence's final period. */
    static boolean isSubsectionTitle(String line, int indent) {
        return indent > 0 && indent <= MAX_SUBSECTION_INDENT && TextStructure.words(line) <= 10 && !line.endsWith(".");
    }
}
