package org.ringattention.encoder;

import org.ringattention.attention.TokenIndex;

/**
 * The input of one encoder pass: token ids, token type ids and, per token, its position (which position
 * embedding it gets) and its segment (which tokens it attends to). Several sentences can be packed into
 * one sequence, each its own segment with positions starting at 0: attention never crosses a segment, so
 * the result per sentence equals encoding it alone, with no padding computed.
 */
public record TokenSequence(int[] tokenIds, int[] typeIds, TokenIndex index) {

    public TokenSequence {
        if (tokenIds.length != index.rows() || typeIds.length != index.rows()) {
            throw new IllegalArgumentException(tokenIds.length + " token ids and " + typeIds.length + " type ids for "
                    + index.rows() + " positions; give one of each per token");
        }
    }

    public int rows() {
        return tokenIds.length;
    }
}
