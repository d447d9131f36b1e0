package org.ringattention.attention;

/** Key and value rows K, V {@code (rows, Hkv, D)} and who they are. */
public record KeysValues(float[] k, float[] v, TokenIndex index) {

    public int rows() {
        return index.rows();
    }

    void check(AttentionSpec spec, TokenIndex queries) {
        check(spec, queries.segments() != null);
    }

    /**
     * Fails, naming the sizes, when K and V do not hold whole rows of {@code spec}, or when segment ids are
     * given for keys and not for the queries ({@code querySegments}) or the other way round.
     */
    public void check(AttentionSpec spec, boolean querySegments) {
        long need = (long) rows() * spec.kvRowWidth();
        if (k.length != need || v.length != need) {
            throw new IllegalArgumentException("K has " + k.length + " and V " + v.length + " values; " + rows()
                    + " tokens of " + spec.kvHeads() + " heads x " + spec.headDim() + " need " + need);
        }
        if (querySegments != (index.segments() != null)) {
            throw new IllegalArgumentException("segment ids are given for "
                    + (querySegments ? "queries" : "keys") + " only; give them for both or neither");
        }
    }
}
