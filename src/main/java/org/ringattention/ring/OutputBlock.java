package org.ringattention.ring;

import java.io.Serializable;

/**
 * Finished attention of some tokens of one document: their positions in the document, O
 * {@code (rows, Hq, D)} and LSE {@code (Hq, rows)} in the order of {@code positions} (ascending).
 */
public record OutputBlock(String document, int[] positions, float[] out, float[] lse) implements Serializable {
}
