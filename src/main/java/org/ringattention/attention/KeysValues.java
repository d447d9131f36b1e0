package org.ringattention.attention;

/** Key and value rows K, V {@code (rows, Hkv, D)} and who they are. */
public record KeysValues(float[] k, float[] v, TokenIndex index) {

    public int rows() {
        return index.rows();
    }

    void check(AttentionSpec spec, TokenIndex queries) {
        long need = (long) rows() * spec.kvRowWidth();
        if (k.length != need || v.length != need) {
            throw new IllegalArgumentException("K has " + k.length + " and V " + v.length + " values; " + rows()
                    + " tokens of " + spec.kvHeads() + " heads x " + spec.headDim() + " need " + need);
        }
        if ((queries.segments() == null) != (index.segments() == null)) {
            throw new IllegalArgumentException("segment ids are given for "
                    + (queries.segments() == null ? "keys" : "queries") + " only; give them for both or neither");
        }
    }
}
