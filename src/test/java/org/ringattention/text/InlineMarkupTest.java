package org.ringattention.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InlineMarkupTest {

    @Test
    void markdownLinksAndImagesKeepTheirText() {
        assertEquals("search for it in the Node.js issue tracker or file a new issue",
                InlineMarkup.plain("search for it in the [Node.js issue tracker](https://github.com/nodejs/node/issues) or file a new issue"));
        assertEquals("see the Node.js website and the OpenJS Foundation",
                InlineMarkup.plain("see the [Node.js website][] and the [OpenJS Foundation][openjs]"));
        assertEquals("Build status", InlineMarkup.plain("[![Build status](https://ci.example.org/badge.svg)](https://ci.example.org)"));
        assertEquals("with kernel 4.18, see the ABI registry https://github.com/nodejs/node/abi.json.",
                InlineMarkup.plain("with kernel 4.18[^1], see the ABI registry <https://github.com/nodejs/node/abi.json>."));
        assertEquals("the Intl (ECMA-402) support", InlineMarkup.plain("the [`Intl` (ECMA-402) support](#intl-ecma-402-support)"));
    }

    @Test
    void emphasisAndCodeMarkersGoTheirTextStays() {
        assertEquals("For production applications, run Node.js on supported platforms only.",
                InlineMarkup.plain("**For production applications, run Node.js on supported platforms only.**"));
        assertEquals("the -c core.symlinks=true flag is needed on Windows only",
                InlineMarkup.plain("the `-c core.symlinks=true` flag is needed on _Windows_ only"));
        assertEquals("compiled for x86_64 with __init__ kept", InlineMarkup.plain("compiled for x86\\_64 with ``__init__`` kept"));
        assertEquals("age is public and _age is private", InlineMarkup.plain("*age* is public and *_age* is private"));
        // Globs, identifiers and GNU-style quotes are the text's own characters, not markup.
        assertEquals("The pattern *.txt matches _POSIX_C_SOURCE files", InlineMarkup.plain("The pattern *.txt matches _POSIX_C_SOURCE files"));
        assertEquals("there is no `declare -' equivalent of `local -'", InlineMarkup.plain("there is no `declare -' equivalent of `local -'"));
        assertEquals("a mark `{A-Z0-9} command, or when 'bufhidden' is set and :next is used",
                InlineMarkup.plain("a mark `{A-Z0-9} command, or when 'bufhidden' is set and `:next` is used"));
    }

    @Test
    void restructuredTextRolesAndReferencesKeepTheirText() {
        assertEquals("made available through the re module", InlineMarkup.plain("made available through the :mod:`re` module"));
        assertEquals("see the Python tutorial and match", InlineMarkup.plain("see the `Python tutorial <https://docs.python.org/3/tutorial/>`_ and :meth:`~re.Pattern.match`"));
        assertEquals("as described in PEP 258 and the reST primer", InlineMarkup.plain("as described in `PEP 258`_ and the reST_ primer"));
        assertEquals("the class [^0-9] matches", InlineMarkup.plain("the class ``[^0-9]`` matches"));
    }

    @Test
    void htmlTagsAndCommentsGoPlaceholdersStay() {
        assertEquals("Node.js is an open-source runtime.",
                InlineMarkup.plain("<!-- lint disable --><p align=\"center\">Node.js is an <b>open-source</b> runtime.</p>").strip()
                        .replaceAll("\\s+", " "));
        assertEquals("curl --abstract-unix-socket <path> sends <CR> & stops",
                InlineMarkup.plain("curl --abstract-unix-socket <path> sends <CR> &amp; stops"));
    }

    @Test
    void referenceDefinitionsAndLinkListsAreFurniture() {
        assertTrue(InlineMarkup.isReferenceDefinition("[Python versions]: https://devguide.python.org/versions/"));
        assertTrue(InlineMarkup.isReferenceDefinition("[openjs]: https://openjsf.org/ \"OpenJS Foundation\""));
        assertFalse(InlineMarkup.isReferenceDefinition("[^1]: Older kernel versions may work."));
        assertTrue(InlineMarkup.isLinkOnly("[Building Node.js on supported platforms](#building-nodejs-on-supported-platforms)"));
        assertTrue(InlineMarkup.isLinkOnly("`Regular Expression HOWTO <https://docs.python.org/3/howto/regex.html>`_"));
        assertFalse(InlineMarkup.isLinkOnly("[Node.js website][] has the downloads and the documentation."));
    }

    @Test
    void leftoverSyntaxIsFound() {
        assertTrue(InlineMarkup.hasLeftover("see [the guide](#guide"));
        assertTrue(InlineMarkup.hasLeftover("use the :func:`open` call"));
        assertFalse(InlineMarkup.hasLeftover("Use the -- option to end the options; a glob like **/ matches directories."));
    }
}
