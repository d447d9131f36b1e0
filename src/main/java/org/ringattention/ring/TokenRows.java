package org.ringattention.ring;

import java.util.ArrayList;
import java.util.List;

/**
 * Rows of tokens as they travel between ring positions: for each row its document (index in the
 * {@link RingPlan}), its position in that document, its segment id for the mask, and float columns
 * of fixed width (Q, K, V, O, LSE rows).
 */
public record TokenRows(int[] documents, int[] positions, int[] segments, List<FloatColumn> columns) {

    /** {@code width} floats per row, row-major. */
    public record FloatColumn(String name, int width, float[] values) {
    }

    public TokenRows {
        int rows = positions.length;
        if (documents.length != rows || segments.length != rows) {
            throw new IllegalArgumentException("token rows disagree: " + documents.length + " documents, "
                    + rows + " positions, " + segments.length + " segments");
        }
        for (FloatColumn c : columns) {
            if (c.values().length != (long) rows * c.width()) {
                throw new IllegalArgumentException("column " + c.name() + " has " + c.values().length
                        + " values; " + rows + " rows of width " + c.width() + " need " + (long) rows * c.width());
            }
        }
    }

    /**
     * The rows of {@code pieces} one after another, with the columns {@code names} of widths
     * {@code widths} (given, so that no pieces still make a well-formed empty block).
     */
    public static TokenRows concat(List<TokenRows> pieces, List<String> names, int[] widths) {
        int n = pieces.stream().mapToInt(TokenRows::rows).sum();
        int[] documents = new int[n];
        int[] positions = new int[n];
        int[] segments = new int[n];
        int at = 0;
        for (TokenRows p : pieces) {
            System.arraycopy(p.documents(), 0, documents, at, p.rows());
            System.arraycopy(p.positions(), 0, positions, at, p.rows());
            System.arraycopy(p.segments(), 0, segments, at, p.rows());
            at += p.rows();
        }
        List<FloatColumn> columns = new ArrayList<>();
        for (int c = 0; c < names.size(); c++) {
            float[] values = new float[n * widths[c]];
            at = 0;
            for (TokenRows p : pieces) {
                float[] src = p.column(names.get(c)).values();
                System.arraycopy(src, 0, values, at, src.length);
                at += src.length;
            }
            columns.add(new FloatColumn(names.get(c), widths[c], values));
        }
        return new TokenRows(documents, positions, segments, columns);
    }

    public int rows() {
        return positions.length;
    }

    /** The column called {@code name}. */
    public FloatColumn column(String name) {
        for (FloatColumn c : columns) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no column " + name + " among " + columns.stream().map(FloatColumn::name).toList());
    }
}
