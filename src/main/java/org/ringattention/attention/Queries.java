package org.ringattention.attention;

/** Query rows Q {@code (rows, Hq, D)} and who they are. */
public record Queries(float[] q, TokenIndex index) {

    public int rows() {
        return index.rows();
    }

    void check(AttentionSpec spec) {
        if (q.length != (long) rows() * spec.queryRowWidth()) {
            throw new IllegalArgumentException("Q has " + q.length + " values; " + rows() + " tokens of "
                    + spec.queryHeads() + " heads x " + spec.headDim() + " need " + (long) rows() * spec.queryRowWidth());
        }
    }
}
