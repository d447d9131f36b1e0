package org.ringattention.text;

import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The words of a line of Markdown, reStructuredText, Vim help or HTML without its inline syntax: links and
 * images keep their text and lose their targets, emphasis and code markers go and the code's text stays,
 * HTML tags and comments go. A sentence is read by the encoder and by people; {@code [text](#anchor)} and
 * {@code :mod:`re`} are neither's words. Each pattern runs only when a character it needs is present, so
 * plain prose pays a few {@code indexOf} calls.
 */
final class InlineMarkup {

    /** {@code ![alt](src)} and {@code ![alt][ref]}: the alternative text. */
    private static final Pattern IMAGE = Pattern.compile("!\\[([^\\]]*)\\](?:\\((?:[^()\\s]+|\\([^()]*\\))*(?:\\s+\"[^\"]*\")?\\)|\\[[^\\]]*\\])");
    /** {@code [text](target "title")}, {@code [text][ref]}, {@code [text][]}: the text. */
    private static final Pattern LINK = Pattern.compile("\\[([^\\[\\]]+)\\](?:\\((?:[^()\\s]+|\\([^()]*\\))*(?:\\s+\"[^\"]*\")?\\)|\\[[^\\]]*\\])");
    /** {@code [^1]}: a footnote reference, no words of its own. */
    private static final Pattern FOOTNOTE_REFERENCE = Pattern.compile("\\[\\^[^\\]\\s]+\\]");
    /** {@code <https://...>}, {@code <mailto:...>}, {@code <name@host>}, and groff's {@code ⟨https://...⟩}: the address. */
    private static final Pattern AUTOLINK = Pattern.compile("[<\u27E8]((?:https?|ftp|mailto):[^>\u27E9\\s]+|[\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+)[>\u27E9]");
    /**
     * Spans whose text is kept as written, in the order tried: {@code ``literal``}; {@code :role:`text`} (reST
     * interpreted text with a role); {@code `text <url>`_} and {@code `text`_} (reST hyperlink references);
     * {@code `code`}, whose text does not start with a space. Inner repetitions are of single characters only:
     * a repeated group costs Java's matcher a stack frame per character, and a paragraph can be long.
     */
    private static final Pattern LITERAL = Pattern.compile(
            "``\\s?([^`\\s][^`]*?)\\s?``"
            + "|:[\\w.+-]+(?::[\\w.+-]+)*:`([^`]+)`"
            + "|`([^`]+?)`__?(?![\\w`])"
            + "|`([^`\\s][^`]*?)`(?!`)");
    /** A quote closed GNU's way ({@code `quoted'}) inside what looked like a code span: the backticks are punctuation. */
    private static final Pattern QUOTE_CLOSE = Pattern.compile("'\\s");
    /** {@code name_}: a reST reference to a target named by one word; the underscore is syntax. */
    private static final Pattern REST_NAME_REFERENCE = Pattern.compile("(?<![\\w`])([A-Za-z][\\w.-]*[A-Za-z0-9])__?(?=[\\s.,;:!?)]|$)");
    /**
     * {@code **strong**}, {@code __strong__}, {@code ~~struck~~}: doubled markers around text that neither
     * starts nor ends with a space.
     */
    private static final Pattern STRONG = Pattern.compile("(?<![\\w*\\\\])(\\*\\*|__|~~)(?=\\S)(.+?)(?<=\\S)\\1(?![\\w*~])");
    /**
     * {@code *emphasis*}, {@code _emphasis_}. The marker must touch a letter or digit on its inner side, so
     * globs ({@code *.txt}, {@code '*'}) and identifiers ({@code _POSIX_C_SOURCE}) are not read as emphasis;
     * between stars an identifier may be emphasized ({@code *_age*}).
     */
    private static final Pattern EMPHASIS = Pattern.compile(
            "(?<![\\w*\\\\])\\*(?=[\\p{L}\\p{N}\\[(_])([^*]+?)(?<=[\\p{L}\\p{N}.!?)\\]_])\\*(?![\\w*])"
            + "|(?<![\\w\\\\])_(?=[\\p{L}\\p{N}\\[(])([^_]+?)(?<=[\\p{L}\\p{N}.!?)\\]])_(?!\\w)");
    /**
     * {@code \\_} and {@code \\*}: Markdown's escapes of the emphasis markers. Only these two: a backslash
     * before other punctuation is often the text's own ({@code \\[} in a prompt string, {@code \\n}).
     */
    private static final Pattern ESCAPE = Pattern.compile("\\\\([_*])");
    private static final Pattern HTML_COMMENT = Pattern.compile("<!--.*?-->");
    /**
     * HTML elements a Markdown author writes around words; they go without a trace. Only named elements, as
     * in a manual {@code <file>} or {@code <CR>} is a placeholder or a key, and stays.
     */
    private static final Pattern INLINE_TAG = Pattern.compile(
            "</?(?:a|abbr|b|big|cite|code|del|em|font|i|ins|kbd|mark|q|s|samp|small|span|strong|sub|sup|tt|u|var)"
            + "(?:\\s[^<>]*)?/?>", Pattern.CASE_INSENSITIVE);
    /** HTML elements that stand between blocks or lines of text; they leave a space. */
    private static final Pattern BLOCK_TAG = Pattern.compile(
            "</?(?:blockquote|br|center|dd|details|div|dl|dt|figcaption|figure|h[1-6]|hr|img|li|ol|p|picture|pre|source"
            + "|summary|table|tbody|td|th|thead|tr|ul|video)(?:\\s[^<>]*)?/?>", Pattern.CASE_INSENSITIVE);
    private static final Pattern ENTITY = Pattern.compile("&(amp|lt|gt|quot|apos|nbsp|#39);");
    /** {@code [ref]: url "title"}: a Markdown link reference definition (a footnote, {@code [^1]: text}, is not one). */
    private static final Pattern REFERENCE_DEFINITION = Pattern.compile(
            "^\\s{0,3}\\[(?!\\^)[^\\]]+\\]:\\s*(?:<[^>]*>|\\S+)(?:\\s+(?:\"[^\"]*\"|'[^']*'|\\([^)]*\\)))?\\s*$");
    /** A list item that is only a link, as a table of contents or a "see also" list has them. */
    private static final Pattern LINK_ONLY = Pattern.compile(
            "^\\s*(?:\\[[^\\[\\]]+\\](?:\\([^)]*\\)|\\[[^\\]]*\\])|`[^`<]+<[^>]+>`__?|:\\w+:`[^`]+`|[<\u27E8](?:https?|ftp):[^>\u27E9\\s]+[>\u27E9])[.,;]?\\s*$");
    /** What {@link #plain} leaves only when the syntax was broken: a sentence holding it is not readable. */
    private static final Pattern LEFTOVER = Pattern.compile("\\]\\(|\\]\\[|!\\[|<!--|-->|:\\w+:`|`_|\\*\\*\\w|\\w\\*\\*");

    private InlineMarkup() {
    }

    /**
     * {@code text} without inline link, image, emphasis, code and HTML syntax; the words are kept. Links and
     * images go first (their text may hold code); code spans keep their text as written, so what looks like
     * markup inside them ({@code [^0-9]}, {@code <br>}, {@code __init__}) stays.
     */
    static String plain(String text) {
        String t = text;
        if (t.indexOf('[') >= 0) {
            t = IMAGE.matcher(t).replaceAll("$1");
            t = LINK.matcher(t).replaceAll("$1");
        }
        if (t.indexOf('`') < 0) {
            return outsideLiterals(t);
        }
        StringBuilder b = new StringBuilder(t.length());
        Matcher m = LITERAL.matcher(t);
        int at = 0;
        int from = 0;
        while (from < t.length() && m.find(from)) {
            if (m.group(4) != null && QUOTE_CLOSE.matcher(m.group(4)).find()) {
                // A backtick opening a GNU-style quote, not a code span: the next span may start at the closing one.
                from = m.start() + 1;
                continue;
            }
            b.append(outsideLiterals(t.substring(at, m.start())));
            if (m.group(1) != null) {
                b.append(m.group(1));
            } else if (m.group(2) != null) {
                b.append(roleText(m.group(2)));
            } else if (m.group(3) != null) {
                b.append(linkText(m.group(3)));
            } else {
                b.append(m.group(4));
            }
            at = m.end();
            from = at;
        }
        return b.append(outsideLiterals(t.substring(at))).toString();
    }

    /**
     * Text that holds no code without autolinks' brackets, HTML tags, comments and entities, footnote
     * references, emphasis markers, reST name references and Markdown's escapes ({@code x86\\_64}).
     */
    private static String outsideLiterals(String t) {
        if (t.indexOf('<') >= 0 || t.indexOf('&') >= 0 || t.indexOf('\u27E8') >= 0) {
            t = AUTOLINK.matcher(t).replaceAll("$1");
            t = HTML_COMMENT.matcher(t).replaceAll(" ");
            t = INLINE_TAG.matcher(t).replaceAll("");
            t = BLOCK_TAG.matcher(t).replaceAll(" ");
            t = ENTITY.matcher(t).replaceAll(InlineMarkup::entity);
        }
        if (t.indexOf('[') >= 0) {
            t = FOOTNOTE_REFERENCE.matcher(t).replaceAll("");
        }
        if (t.indexOf('\\') >= 0) {
            t = ESCAPE.matcher(t).replaceAll("$1");
        }
        if (t.indexOf('_') >= 0) {
            t = REST_NAME_REFERENCE.matcher(t).replaceAll("$1");
        }
        if (t.indexOf('*') >= 0 || t.indexOf('_') >= 0 || t.indexOf('~') >= 0) {
            t = STRONG.matcher(t).replaceAll(m -> Matcher.quoteReplacement(m.group(2)));
            t = EMPHASIS.matcher(t).replaceAll(m -> Matcher.quoteReplacement(m.group(1) != null ? m.group(1) : m.group(2)));
        }
        return t;
    }

    /** Whether {@code line} is a Markdown link reference definition, furniture of the document. */
    static boolean isReferenceDefinition(String line) {
        return line.indexOf("]:") > 0 && REFERENCE_DEFINITION.matcher(line).matches();
    }

    /** Whether {@code text} is nothing but one link: an entry of a table of contents, never a sentence. */
    static boolean isLinkOnly(String text) {
        String t = text.strip();
        return !t.isEmpty() && "[`:<\u27E8".indexOf(t.charAt(0)) >= 0 && LINK_ONLY.matcher(t).matches();
    }

    /** Whether {@code sentence} still holds link, code or emphasis syntax after {@link #plain}. */
    static boolean hasLeftover(String sentence) {
        boolean suspect = sentence.indexOf(']') >= 0 || sentence.indexOf('`') >= 0 || sentence.indexOf("--") >= 0
                || sentence.indexOf("**") >= 0;
        return suspect && LEFTOVER.matcher(sentence).find();
    }

    /**
     * The text a reader sees for a role's content: {@code text <target>} shows the text, {@code ~a.b.c}
     * the last name, {@code !name} the name.
     */
    private static String roleText(String content) {
        String t = linkText(content);
        if (t.startsWith("~")) {
            t = t.substring(t.lastIndexOf('.') + 1);
        }
        return t.startsWith("!") ? t.substring(1) : t;
    }

    /** {@code text <target>} reads as {@code text}; a bare {@code <target>} as the target. */
    private static String linkText(String content) {
        int open = content.lastIndexOf('<');
        if (open > 0 && content.endsWith(">")) {
            return content.substring(0, open).strip();
        }
        return open == 0 && content.endsWith(">") ? content.substring(1, content.length() - 1) : content;
    }

    private static String entity(MatchResult m) {
        return switch (m.group(1)) {
            case "amp" -> "&";
            case "lt" -> "<";
            case "gt" -> ">";
            case "quot" -> "\"";
            case "nbsp" -> " ";
            default -> "'";
        };
    }
}
