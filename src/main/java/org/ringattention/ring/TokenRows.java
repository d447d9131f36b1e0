package org.ringattention.ring;

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
