package org.ringattention.ring;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ringattention.attention.AttentionSpec;

/**
 * Rows {@code [offset, offset + rows)} of one document: Q {@code (rows, Hq, D)}, K and V
 * {@code (rows, Hkv, D)}, and optional segment ids (packed sub-documents that must not see each
 * other; any ints, equal ids attend). A document is given as one or more blocks that together cover
 * {@code [0, length)} without gaps or overlaps; its id names it in outputs and in error messages.
 */
public record DocumentBlock(String document, int offset, float[] q, float[] k, float[] v, int[] segments)
        implements Serializable {

    /** A whole document held in memory, cut into blocks of {@code rows} tokens (the last one shorter). */
    public static List<DocumentBlock> split(String document, AttentionSpec spec, float[] q, float[] k, float[] v,
                                            int[] segments, int rows) {
        int qw = spec.queryRowWidth();
        int kw = spec.kvRowWidth();
        int length = q.length / qw;
        List<DocumentBlock> blocks = new ArrayList<>();
        for (int from = 0; from < length; from += rows) {
            int to = Math.min(length, from + rows);
            blocks.add(new DocumentBlock(document, from, Arrays.copyOfRange(q, from * qw, to * qw),
                    Arrays.copyOfRange(k, from * kw, to * kw), Arrays.copyOfRange(v, from * kw, to * kw),
                    segments == null ? null : Arrays.copyOfRange(segments, from, to)));
        }
        return blocks;
    }
}
