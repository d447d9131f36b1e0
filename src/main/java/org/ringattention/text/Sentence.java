package org.ringattention.text;

/**
 * One sentence of a document in text order: its text, the section it belongs to (0 before the first
 * heading, then one more at each heading or separator), and whether it is a fragment: a heading, a
 * line of code or of a table, page furniture, a bare number or list marker, fewer than
 * {@link TextStructure#MIN_WORDS} words, or mostly non-letters. Fragments are context for attention,
 * never summary sentences.
 */
public record Sentence(String text, int section, boolean fragment) {
}
