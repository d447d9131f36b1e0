package org.ringattention.text;

/**
 * One sentence of a document in text order: its text, the section it belongs to (0 before the first
 * heading, then one more at each heading or separator), whether it is a fragment, and whether it states
 * what the document is about.
 * <p>
 * A fragment is a heading, a definition's term, a line of code or of a table, a bare number or list marker,
 * a lead-in ending in {@code :}, a list item that does not read as a sentence, fewer than
 * {@link TextStructure#MIN_WORDS} words, mostly non-letters, markup the parser could not reduce, or a run of
 * more than {@link TextStructure#MAX_WORDS} words that does not end as a sentence. Fragments are context for
 * attention, never summary sentences.
 * <p>
 * {@code purpose} marks where the document says what it is about, as its title does: a manual page's
 * NAME line ({@code bash - GNU Bourne-Again SHell}) and the first paragraph of its DESCRIPTION, the first
 * paragraph under a document's title, an abstract.
 */
public record Sentence(String text, int section, boolean fragment, boolean purpose) {
}
