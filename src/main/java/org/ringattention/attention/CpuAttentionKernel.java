package org.ringattention.attention;

/**
 * Blockwise attention on the CPU (BPT Algorithm 1; FlashAttention's tiling): for each query head and
 * query tile, loop over key tiles, fold each into the running state with the online softmax. Logits
 * exist one tile at a time, never {@code S x S}. A key tile that the causal or segment mask hides
 * from the whole query tile is skipped; a partly hidden tile gets its hidden logits set to
 * {@code -inf}; a fully visible tile is not masked at all.
 *
 * <p>Work items are (head, query tile) pairs pulled from a shared counter by {@code threads}
 * threads, heaviest (latest, under a causal mask) first. Each item is computed start to end by one
 * thread in key order, so results are bit-identical for any thread count.
 *
 * <p>The arithmetic comes from a {@link TileMath}: the Vector API version when the
 * {@code jdk.incubator.vector} module is present, the scalar one otherwise or when the system property
 * {@value #MATH_PROPERTY} is {@code scalar}.
 */
public final class CpuAttentionKernel implements AttentionKernel, AutoCloseable {

    /** System property that forces the tile arithmetic: {@code auto} (default), {@code vector} or {@code scalar}. */
    public static final String MATH_PROPERTY = "ringattention.cpu.math";

    /** Default tile edge for queries and keys: logits 64 x 64 plus the Q and V tiles fit in L2 with room. */
    public static final int DEFAULT_BLOCK_SIZE = 64;

    private static final byte SKIP = 0;
    private static final byte PARTIAL = 1;
    private static final byte FULL = 2;

    private final TileMath math;
    private final int blockSize;
    private final WorkerPool workers;

    private CpuAttentionKernel(TileMath math, int blockSize, int threads) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("block size must be at least 1, got " + blockSize);
        }
        this.math = math;
        this.blockSize = blockSize;
        this.workers = new WorkerPool(threads);
    }

    /** A kernel with the tile arithmetic chosen as described above. */
    public static CpuAttentionKernel create(int blockSize, int threads) {
        return withMath(System.getProperty(MATH_PROPERTY, "auto"), blockSize, threads);
    }

    /** A kernel with the tile arithmetic named as in {@value #MATH_PROPERTY}, whatever the property says. */
    static CpuAttentionKernel withMath(String math, int blockSize, int threads) {
        return new CpuAttentionKernel(tileMath(math), blockSize, threads);
    }

    static TileMath tileMath(String choice) {
        return VectorApi.choose(choice, MATH_PROPERTY, TileMath.class, "org.ringattention.attention.VectorTileMath",
                ScalarTileMath::new);
    }

    @Override
    public String name() {
        return math instanceof ScalarTileMath ? "cpu-scalar" : "cpu-vector";
    }

    public int blockSize() {
        return blockSize;
    }

    public int threads() {
        return workers.threads();
    }

    @Override
    public void accumulate(AttentionSpec spec, Queries queries, KeysValues keysValues, AttentionState state) {
        if (!AttentionKernel.checkArguments(spec, queries, keysValues, state)) {
            return;
        }
        Plan plan = new Plan(spec, queries, keysValues);
        int tiles = plan.queryTiles.count;
        // Heaviest first: under a causal mask the last query tiles see the most keys.
        workers.run(spec.queryHeads() * tiles, () -> new Scratch(spec.headDim()), (t, scratch) ->
                plan.attend(t % spec.queryHeads(), tiles - 1 - t / spec.queryHeads(), state, scratch));
    }

    /**
     * The total attention each key receives from all queries: {@code mass[h][j] = sum_i P_ij} with
     * {@code P_ij = exp(s_ij - LSE_i)} over visible pairs. {@code lse} {@code (Hq, rows)} must come from a
     * finished pass of these queries over all keys, so that {@code P} is the exact softmax even when
     * {@code keysValues} holds only some of the keys (a ring shard). Returns {@code (Hq, keys)}.
     * Only K is read; V may be empty.
     */
    public float[] attentionMass(AttentionSpec spec, Queries queries, float[] lse, KeysValues keysValues) {
        queries.check(spec);
        if (lse.length != spec.queryHeads() * queries.rows()) {
            throw new IllegalArgumentException("LSE has " + lse.length + " values; " + queries.rows() + " rows of "
                    + spec.queryHeads() + " heads need " + spec.queryHeads() * queries.rows());
        }
        if (keysValues.k().length != (long) keysValues.rows() * spec.kvRowWidth()) {
            throw new IllegalArgumentException("K has " + keysValues.k().length + " values; " + keysValues.rows()
                    + " tokens of " + spec.kvHeads() + " heads x " + spec.headDim() + " need "
                    + (long) keysValues.rows() * spec.kvRowWidth());
        }
        float[] mass = new float[spec.queryHeads() * keysValues.rows()];
        if (queries.rows() == 0 || keysValues.rows() == 0) {
            return mass;
        }
        Plan plan = new Plan(spec, queries, keysValues);
        int tiles = plan.keyTiles.count;
        workers.run(spec.queryHeads() * tiles, () -> new Scratch(spec.headDim()), (t, scratch) ->
                plan.mass(t % spec.queryHeads(), t / spec.queryHeads(), lse, mass, scratch));
        return mass;
    }

    @Override
    public void close() {
        workers.close();
    }

    /** Per-thread buffers for one tile pair. */
    private final class Scratch {
        final float[] qt;
        final float[] acc;
        final float[] s;
        final double[] columnSums;
        final int ldS;

        Scratch(int d) {
            ldS = blockSize + math.columnPadding();
            qt = new float[blockSize * d];
            acc = new float[blockSize * d];
            s = new float[blockSize * ldS];
            columnSums = new double[blockSize];
        }
    }

    /** Position and segment ranges of each tile, for deciding skip / partial / full. */
    private static final class Tiles {
        final int count;
        final int[] minPos;
        final int[] maxPos;
        final int[] minSeg;
        final int[] maxSeg;

        Tiles(TokenIndex index, int size) {
            count = (index.rows() + size - 1) / size;
            minPos = new int[count];
            maxPos = new int[count];
            minSeg = new int[count];
            maxSeg = new int[count];
            for (int t = 0; t < count; t++) {
                int from = t * size;
                int to = Math.min(from + size, index.rows());
                minPos[t] = Integer.MAX_VALUE;
                maxPos[t] = Integer.MIN_VALUE;
                minSeg[t] = Integer.MAX_VALUE;
                maxSeg[t] = Integer.MIN_VALUE;
                for (int i = from; i < to; i++) {
                    minPos[t] = Math.min(minPos[t], index.positions()[i]);
                    maxPos[t] = Math.max(maxPos[t], index.positions()[i]);
                    if (index.segments() != null) {
                        minSeg[t] = Math.min(minSeg[t], index.segments()[i]);
                        maxSeg[t] = Math.max(maxSeg[t], index.segments()[i]);
                    }
                }
            }
        }
    }

    /** Everything shared by the work items of one call: packed keys and values, tile visibility. */
    private final class Plan {
        final AttentionSpec spec;
        final Queries queries;
        final KeysValues kv;
        final Tiles queryTiles;
        final Tiles keyTiles;
        /** Keys transposed per KV head, {@code [Hkv][D][ldK]}, so logits are broadcast-FMAs over keys. */
        final float[] kT;
        final int ldK;
        /** Values contiguous per KV head, {@code [Hkv][Sk][D]}. */
        final float[] v;
        /** SKIP, PARTIAL or FULL per (query tile, key tile). */
        final byte[] visibility;

        Plan(AttentionSpec spec, Queries queries, KeysValues kv) {
            this.spec = spec;
            this.queries = queries;
            this.kv = kv;
            queryTiles = new Tiles(queries.index(), blockSize);
            keyTiles = new Tiles(kv.index(), blockSize);
            int d = spec.headDim();
            int hkv = spec.kvHeads();
            int sk = kv.rows();
            ldK = sk + math.columnPadding();
            kT = new float[hkv * d * ldK];
            boolean withValues = kv.v().length > 0;
            v = new float[withValues ? hkv * sk * d : 0];
            for (int j = 0; j < sk; j++) {
                for (int g = 0; g < hkv; g++) {
                    int src = (j * hkv + g) * d;
                    if (withValues) {
                        System.arraycopy(kv.v(), src, v, (g * sk + j) * d, d);
                    }
                    for (int c = 0; c < d; c++) {
                        kT[(g * d + c) * ldK + j] = kv.k()[src + c];
                    }
                }
            }
            visibility = new byte[queryTiles.count * keyTiles.count];
            boolean segmented = queries.index().segments() != null;
            for (int a = 0; a < queryTiles.count; a++) {
                for (int b = 0; b < keyTiles.count; b++) {
                    visibility[a * keyTiles.count + b] = classify(a, b, segmented);
                }
            }
        }

        private byte classify(int a, int b, boolean segmented) {
            Tiles q = queryTiles;
            Tiles k = keyTiles;
            if (spec.causal() && k.minPos[b] > q.maxPos[a]) {
                return SKIP;
            }
            if (segmented && (k.maxSeg[b] < q.minSeg[a] || k.minSeg[b] > q.maxSeg[a])) {
                return SKIP;
            }
            boolean causalClear = !spec.causal() || k.maxPos[b] <= q.minPos[a];
            boolean segmentsClear = !segmented
                    || (q.minSeg[a] == q.maxSeg[a] && k.minSeg[b] == k.maxSeg[b] && q.minSeg[a] == k.minSeg[b]);
            return causalClear && segmentsClear ? FULL : PARTIAL;
        }

        /** Copies query tile {@code tile} of head {@code h} into {@code x.qt}, scaled; returns its row count. */
        int packQueries(int h, int tile, Scratch x) {
            int d = spec.headDim();
            int hq = spec.queryHeads();
            int i0 = tile * blockSize;
            int rows = Math.min(blockSize, queries.rows() - i0);
            float scale = spec.scale();
            for (int r = 0; r < rows; r++) {
                int src = ((i0 + r) * hq + h) * d;
                for (int c = 0; c < d; c++) {
                    // Scale folded into Q once per tile rather than into every logit.
                    x.qt[r * d + c] = queries.q()[src + c] * scale;
                }
            }
            return rows;
        }

        /** Query tile {@code tile} of head {@code h} against every key tile, in key order, into {@code state}. */
        void attend(int h, int tile, AttentionState state, Scratch x) {
            int d = spec.headDim();
            int hq = spec.queryHeads();
            int sq = queries.rows();
            int sk = kv.rows();
            int g = h / spec.groupSize();
            int i0 = tile * blockSize;
            int rows = packQueries(h, tile, x);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(state.acc, ((i0 + r) * hq + h) * d, x.acc, r * d, d);
            }
            float[] m = state.m;
            float[] l = state.l;
            int so = h * sq + i0;
            int kOffset = g * d * ldK;
            int vRow = g * sk;
            for (int b = 0; b < keyTiles.count; b++) {
                byte vis = visibility[tile * keyTiles.count + b];
                if (vis == SKIP) {
                    continue;
                }
                int j0 = b * blockSize;
                int cols = Math.min(blockSize, sk - j0);
                math.logits(x.qt, rows, d, kT, ldK, kOffset + j0, cols, x.s, x.ldS);
                if (vis == PARTIAL) {
                    mask(i0, rows, j0, cols, x);
                }
                for (int r = 0; r < rows; r++) {
                    int ro = r * x.ldS;
                    float mOld = m[so + r];
                    float mNew = Math.max(mOld, math.max(x.s, ro, cols));
                    if (mNew == Float.NEGATIVE_INFINITY) {
                        // Nothing visible yet: exp(-inf - -inf) would be NaN; contribute zeros instead.
                        java.util.Arrays.fill(x.s, ro, ro + cols, 0f);
                        continue;
                    }
                    float alpha = (float) Math.exp(mOld - mNew);
                    float sum = math.expAndSum(x.s, ro, cols, mNew);
                    l[so + r] = l[so + r] * alpha + sum;
                    if (alpha != 1f) {
                        math.scale(x.acc, r * d, d, alpha);
                    }
                    m[so + r] = mNew;
                }
                math.accumulate(x.s, x.ldS, rows, cols, v, vRow + j0, d, x.acc);
            }
            for (int r = 0; r < rows; r++) {
                System.arraycopy(x.acc, r * d, state.acc, ((i0 + r) * hq + h) * d, d);
            }
        }

        /** Key tile {@code tile} of head {@code h}: its attention mass summed over every query tile, in query order. */
        void mass(int h, int tile, float[] lse, float[] mass, Scratch x) {
            int d = spec.headDim();
            int sq = queries.rows();
            int sk = kv.rows();
            int j0 = tile * blockSize;
            int cols = Math.min(blockSize, sk - j0);
            int kOffset = h / spec.groupSize() * d * ldK;
            java.util.Arrays.fill(x.columnSums, 0);
            for (int a = 0; a < queryTiles.count; a++) {
                byte vis = visibility[a * keyTiles.count + tile];
                if (vis == SKIP) {
                    continue;
                }
                int i0 = a * blockSize;
                int rows = packQueries(h, a, x);
                math.logits(x.qt, rows, d, kT, ldK, kOffset + j0, cols, x.s, x.ldS);
                if (vis == PARTIAL) {
                    mask(i0, rows, j0, cols, x);
                }
                for (int r = 0; r < rows; r++) {
                    float rowLse = lse[h * sq + i0 + r];
                    if (rowLse == Float.NEGATIVE_INFINITY) {
                        continue;
                    }
                    int ro = r * x.ldS;
                    math.expAndSum(x.s, ro, cols, rowLse);
                    for (int c = 0; c < cols; c++) {
                        x.columnSums[c] += x.s[ro + c];
                    }
                }
            }
            for (int c = 0; c < cols; c++) {
                mass[h * sk + j0 + c] = (float) x.columnSums[c];
            }
        }

        private void mask(int i0, int rows, int j0, int cols, Scratch x) {
            TokenIndex qi = queries.index();
            TokenIndex ki = kv.index();
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    if (!qi.sees(i0 + r, ki, j0 + c, spec.causal())) {
                        x.s[r * x.ldS + c] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
        }
    }
}
