package org.ringattention.ring;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Finished attention of some tokens of one document: their positions in the document, O
 * {@code (rows, Hq, D)} and LSE {@code (Hq, rows)} in the order of {@code positions} (ascending).
 */
public record OutputBlock(String document, int[] positions, float[] out, float[] lse) implements Serializable {

    /** Rows {@code [from, to)} of this block ({@code hq} query heads, {@code qw} floats per O row). */
    OutputBlock rows(int from, int to, int hq, int qw) {
        int n = positions.length;
        int m = to - from;
        float[] l = new float[hq * m];
        for (int h = 0; h < hq; h++) {
            System.arraycopy(lse, h * n + from, l, h * m, m);
        }
        return new OutputBlock(document, Arrays.copyOfRange(positions, from, to),
                Arrays.copyOfRange(out, from * qw, to * qw), l);
    }
}
