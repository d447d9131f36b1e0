package org.ringattention.ring;

import java.io.Serializable;
import java.util.List;

/**
 * The keys and values of one ring position's shards of the documents on the ring, as the Arrow
 * blocks the scatter encoded (one per input block that reached the position, in document then
 * position order). They travel round the ring as these bytes and are decoded where they are folded,
 * so every block is encoded once.
 */
record KvShard(List<ArrowBlock> pieces) implements Serializable {

    /** Arrow bytes: what moving this shard one position costs. */
    long size() {
        return pieces.stream().mapToLong(ArrowBlock::size).sum();
    }

    /** The rows of all pieces, in order, with columns {@code k} and {@code v} of {@code width} floats. */
    TokenRows decode(int width) {
        return TokenRows.concat(pieces.stream().map(ArrowBlock::decode).toList(), COLUMNS, new int[] {width, width});
    }

    static final String K = "k";
    static final String V = "v";
    private static final List<String> COLUMNS = List.of(K, V);
}
