package org.ringattention.ring;

import java.io.Serializable;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.attention.TokenIndex;

/**
 * What stays on ring position {@code position} for the whole job: its query rows (ring shards and
 * local documents, ordered by document then position), the keys and values of its local documents,
 * and the KV shard of its documents on the ring, which starts the rotation.
 *
 * @param documents       plan index of each query row's document
 * @param receivedBytes   Arrow bytes this position received when documents were scattered
 */
record HomeShard(int position, float[] q, int[] documents, int[] positions, int[] segments,
                 float[] localK, float[] localV, int[] localPositions, int[] localSegments,
                 KvShard ringKv, long receivedBytes) implements Serializable {

    int rows() {
        return positions.length;
    }

    Queries queries() {
        return new Queries(q, new TokenIndex(positions, segments));
    }

    KeysValues localKeysValues() {
        return new KeysValues(localK, localV, new TokenIndex(localPositions, localSegments));
    }
}
