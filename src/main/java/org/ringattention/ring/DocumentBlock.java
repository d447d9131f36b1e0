package org.ringattention.ring;

import java.io.Serializable;

/**
 * Rows {@code [offset, offset + rows)} of one document: Q {@code (rows, Hq, D)}, K and V
 * {@code (rows, Hkv, D)}, and optional segment ids (packed sub-documents that must not see each
 * other; any ints, equal ids attend). A document is given as one or more blocks that together cover
 * {@code [0, length)} without gaps or overlaps; its id names it in outputs and in error messages.
 */
public record DocumentBlock(String document, int offset, float[] q, float[] k, float[] v, int[] segments)
        implements Serializable {

    public int rows(int queryRowWidth) {
        return q.length / queryRowWidth;
    }
}
