package org.ringattention.ring;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.TokenIndex;
import org.ringattention.encoder.BertEncoder;
import org.ringattention.encoder.EncoderCache;
import org.ringattention.encoder.TokenSequence;
import scala.Tuple2;

/**
 * A BERT-family encoder over a sequence split across Spark partitions (BPT with Ring Attention): each
 * partition keeps a contiguous chunk of the hidden states; per layer it projects Q, K, V of its own
 * rows, every layer's attention runs as {@link RingAttention}, and the output projection, LayerNorms
 * and feed-forward network run blockwise on the partition that holds the rows. No task holds the
 * whole sequence's activations. Executors load the model through {@link EncoderCache}.
 */
public final class RingEncoder {

    /** Rows {@code [offset, offset + rows)} of the sequence and their hidden states {@code (rows, hidden)}. */
    private record Chunk(int index, int offset, int[] tokenIds, int[] typeIds, int[] positions, int[] segments,
                         float[] x) implements Serializable {
        TokenSequence sequence() {
            return new TokenSequence(tokenIds, typeIds, new TokenIndex(positions, segments));
        }

        int rows() {
            return tokenIds.length;
        }
    }

    private static final String DOCUMENT = "sequence";

    private final JavaSparkContext context;
    private final String model;
    private final RingConfig config;

    /** {@code model}: empty for the bundled all-MiniLM-L6-v2, else as {@link EncoderCache#get} takes it. */
    public RingEncoder(JavaSparkContext context, String model, RingConfig config) {
        this.context = context;
        this.model = model;
        this.config = config;
    }

    /** Last hidden states {@code (rows, hidden)} of {@code seq}, gathered on the driver in token order. */
    public float[] forward(TokenSequence seq) {
        BertEncoder local = EncoderCache.get(model);
        int hidden = local.config().hiddenSize();
        AttentionSpec spec = local.attentionSpec();
        int layers = local.config().layers();
        int partitions = config.partitions();
        int block = config.blockSize();
        int s = seq.rows();
        int chunk = (s + partitions - 1) / partitions;
        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0, from = 0; from < s; i++, from += chunk) {
            int to = Math.min(s, from + chunk);
            int[] segments = seq.index().segments();
            chunks.add(new Chunk(i, from, Arrays.copyOfRange(seq.tokenIds(), from, to),
                    Arrays.copyOfRange(seq.typeIds(), from, to),
                    Arrays.copyOfRange(seq.index().positions(), from, to),
                    segments == null ? null : Arrays.copyOfRange(segments, from, to), null));
        }
        String name = model;
        context.setJobDescription("ring encoder: embeddings of " + s + " tokens in " + chunks.size() + " chunks");
        JavaRDD<Chunk> states = context.parallelize(chunks, chunks.size()).map(c -> {
            float[] x = new float[c.rows() * hidden];
            blockwise(c.rows(), block, (from, to) -> EncoderCache.get(name).embed(c.sequence(), from, to, x));
            return new Chunk(c.index(), c.offset(), c.tokenIds(), c.typeIds(), c.positions(), c.segments(), x);
        }).persist(StorageLevel.MEMORY_AND_DISK());

        for (int l = 0; l < layers; l++) {
            int layer = l;
            JavaRDD<DocumentBlock> qkv = states.map(c -> {
                int n = c.rows() * hidden;
                float[] q = new float[n];
                float[] k = new float[n];
                float[] v = new float[n];
                blockwise(c.rows(), block, (from, to) -> EncoderCache.get(name).projectQkv(layer, c.x(), from, to, q, k, v));
                return new DocumentBlock(DOCUMENT, c.offset(), q, k, v, c.segments());
            });
            try (RingResult attended = new RingAttention(context, spec, config.withLocalLimit(0)).run(qkv)) {
                int rowsPerChunk = chunk;
                JavaPairRDD<Integer, float[]> outputs = attended.inTokenOrder(rowsPerChunk)
                        .mapToPair(b -> new Tuple2<>(b.positions()[0] / rowsPerChunk, b.out()));
                JavaRDD<Chunk> next = states.mapToPair(c -> new Tuple2<>(c.index(), c)).join(outputs).values().map(p -> {
                    Chunk c = p._1();
                    float[] o = p._2();
                    float[] x = c.x().clone();
                    blockwise(c.rows(), block, (from, to) -> EncoderCache.get(name).finishLayer(layer, x, o, from, to));
                    return new Chunk(c.index(), c.offset(), c.tokenIds(), c.typeIds(), c.positions(), c.segments(), x);
                }).persist(StorageLevel.MEMORY_AND_DISK());
                context.setJobDescription("ring encoder: layer " + (layer + 1) + "/" + layers + " feed-forward");
                next.count();
                states.unpersist(false);
                states = next;
            }
        }
        float[] out = new float[s * hidden];
        for (Chunk c : states.collect()) {
            System.arraycopy(c.x(), 0, out, c.offset() * hidden, c.x().length);
        }
        states.unpersist(false);
        context.setJobDescription(null);
        return out;
    }

    private interface RowRange {
        void run(int from, int to);
    }

    /** BPT's per-block feed-forward: rows in blocks of {@code block}, so scratch stays block-sized. */
    private static void blockwise(int rows, int block, RowRange step) {
        for (int from = 0; from < rows; from += block) {
            step.run(from, Math.min(rows, from + block));
        }
    }
}
