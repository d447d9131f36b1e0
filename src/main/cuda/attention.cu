// Exact blockwise attention forward on NVIDIA GPUs (FlashAttention-2, Dao 2023, Algorithm 1):
// one thread block per (query tile, query head), a loop over key/value tiles, the online softmax
// (Milakov & Gimelshein, arXiv 1805.02867) kept in fp32 registers, divided by l once at the end.
//
// Logits are taken in the log2 domain: s2 = (scale * log2 e) q.k, so exp(s - m) = exp2(s2 - m2) and
// one FMUL per logit replaces the scale multiply and the exp's range reduction. The state handed in
// and out (acc, m, l) is in the natural domain of AttentionState: m = m2 ln 2.
//
// Masks come from global token positions and document ids, as TokenIndex decides them on the CPU:
// key j is visible to query i when seg_j == seg_i and, if causal, pos_j <= pos_i. Per tile the host
// first computes (min pos, max pos, min seg, max seg) with ra_tile_bounds; a key tile that no query
// of the tile can see is skipped, one that all see is not masked (classify below).
//
// Kernels (extern "C", one AttnParams argument, see attention_params.h):
//   ra_fwd_f32_d{32,64,128,256,512}  fp32 inputs, fp32 FMA (exact to fp32 rounding), any D <= 512
//   ra_mass_f32_d{32,...,512}    attention mass per key, sum_i exp(s_ij - LSE_i) (sentence centrality)
//   ra_fwd_bf16_d{64,128}        bf16 inputs, mma.sync m16n8k16 with fp32 accumulation
//   ra_fwd_f16_d{64,128}         fp16 inputs, same
//   ra_tile_bounds               per-tile position / segment ranges
//   ra_f32_to_bf16, ra_f32_to_f16  input conversion on the device

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#include <limits.h>

#include "attention_params.h"

#ifndef RA_SPLIT_P
#define RA_SPLIT_P false
#endif

namespace {

constexpr float LOG2E = 1.4426950408889634f;
constexpr float LN2 = 0.6931471805599453f;

enum Visibility : int { SKIP = 0, PARTIAL = 1, FULL = 2 };

// Whether key tile kb can be seen at all by query tile qb, and whether every pair is visible.
// A tile reaching past the last key is PARTIAL so that its zero-filled rows get masked.
__device__ __forceinline__ int classify(int flags, int4 qb, int4 kb, bool complete) {
    const bool causal = flags & RA_CAUSAL;
    const bool segs = flags & RA_SEGMENTS;
    if (causal && kb.x > qb.y) {
        return SKIP;
    }
    if (segs && (kb.w < qb.z || kb.z > qb.w)) {
        return SKIP;
    }
    const bool causal_clear = !causal || kb.y <= qb.x;
    const bool segs_clear = !segs || (qb.z == qb.w && kb.z == kb.w && qb.z == kb.z);
    return causal_clear && segs_clear && complete ? FULL : PARTIAL;
}

__device__ __forceinline__ bool visible(int flags, int key, int k_rows, int kpos, int kseg, int qpos, int qseg) {
    return key < k_rows && (!(flags & RA_CAUSAL) || kpos <= qpos) && (!(flags & RA_SEGMENTS) || kseg == qseg);
}

// The first tile at or after j that query tile qb can see, or ntk when none is left.
__device__ __forceinline__ int next_visible(const AttnParams& p, int4 qb, int j, int ntk) {
    while (j < ntk && classify(p.flags, qb, p.k_tiles[j], true) == SKIP) {
        ++j;
    }
    return j;
}

// The query tile of this thread block. Blocks start roughly in index order, and under a causal mask
// on contiguous positions the last query tiles see the most keys: starting those first keeps the
// heavy blocks out of the tail of the launch (as FlashAttention-2 does).
__device__ __forceinline__ int heaviest_first() {
    return gridDim.x - 1 - blockIdx.x;
}

// Loads the running state of one (row, head) or starts it empty (m = -inf, l = 0, acc = 0).
__device__ __forceinline__ void load_row_state(const AttnParams& p, int row, int h, float& m_in, float& m2, float& l) {
    if (p.flags & RA_LOAD_STATE) {
        m_in = p.m[(size_t)h * p.q_rows + row];
        m2 = m_in * LOG2E;
        l = p.l[(size_t)h * p.q_rows + row];
    } else {
        m_in = -INFINITY;
        m2 = -INFINITY;
        l = 0.f;
    }
}

// Writes m and l back (state mode), or LSE = ln2 (m2 + log2 l) with -inf for a row that saw nothing
// (finish mode). Returns the factor the caller multiplies acc by: 1 for state, 1/l (or 0) for O.
__device__ __forceinline__ float store_row_state(const AttnParams& p, int row, int h, float m_in, float m2, float l) {
    const size_t s = (size_t)h * p.q_rows + row;
    if (p.flags & RA_FINISH) {
        p.m[s] = l > 0.f ? (m2 + log2f(l)) * LN2 : -INFINITY;
        return l > 0.f ? 1.f / l : 0.f;
    }
    // An unchanged maximum is written back as read, so a call that adds nothing leaves m bit-identical.
    p.m[s] = m2 == m_in * LOG2E ? m_in : m2 * LN2;
    p.l[s] = l;
    return 1.f;
}

// ---------------------------------------------------------------------------------------------
// fp32 inputs: plain FMA. 128 threads; thread t owns query rows RPT(t/8) .. RPT(t/8)+RPT-1 of the
// 16 RPT-row tile, logit columns t%8 + 8c of the BN-key tile and output columns t%8 + 8u; the 8 threads
// that share rows are consecutive lanes, so row max and sum are three xor-shuffles.
// Up to D = 256 a tile is 64 rows by 32 keys (RPT 4). Beyond FlashAttention's 256 (the 384-wide sentence
// vectors of centrality, and 385 for its second ring pass) the head dimension is tiled across the 8
// lanes of a row group and the tile shrinks to 16 rows by 16 keys (RPT 1), so that 512-wide Q, K and
// V tiles fit in shared memory (100 KB, within sm_80's 163 KB) and a thread keeps 64 output columns.
// ---------------------------------------------------------------------------------------------

constexpr int F32_THREADS = 128;

template <int DP, int RPT, int BN>
__device__ __forceinline__ void fwd_f32(const AttnParams& p) {
    constexpr int BM = 16 * RPT, LD = DP + 1, LDP = BN + 1, DU = DP / 8, NC = BN / 8;
    extern __shared__ float smem_f[];
    float* Qs = smem_f;
    float* Ks = Qs + BM * LD;
    float* Vs = Ks + BN * LD;
    float* Ps = Vs + BN * LD;
    int* kpos = reinterpret_cast<int*>(Ps + BM * LDP);
    int* kseg = kpos + BN;

    const float* q = static_cast<const float*>(p.q);
    const float* k = static_cast<const float*>(p.k);
    const float* v = static_cast<const float*>(p.v);
    const int tid = threadIdx.x, grp = tid >> 3, col = tid & 7;
    const int h = blockIdx.y, g = h / (p.q_heads / p.kv_heads);
    const int qt = heaviest_first(), i0 = qt * BM, d = p.head_dim;
    const size_t qstride = (size_t)p.q_heads * d, kstride = (size_t)p.kv_heads * d;

    for (int idx = tid; idx < BM * DP; idx += F32_THREADS) {
        const int r = idx / DP, c = idx % DP;
        // Scale folded into Q once per tile (s2 = (scale log2 e) q.k).
        Qs[r * LD + c] = (i0 + r < p.q_rows && c < d) ? q[(i0 + r) * qstride + (size_t)h * d + c] * p.scale_log2 : 0.f;
    }

    float m_in[RPT], m2[RPT], lsum[RPT], o[RPT][DU];
    int qpos[RPT], qseg[RPT];
#pragma unroll
    for (int i = 0; i < RPT; ++i) {
        const int r = i0 + grp * RPT + i;
        const bool ok = r < p.q_rows;
        qpos[i] = ok ? p.q_pos[r] : INT_MIN;
        qseg[i] = ok && (p.flags & RA_SEGMENTS) ? p.q_seg[r] : 0;
        if (ok) {
            load_row_state(p, r, h, m_in[i], m2[i], lsum[i]);
        } else {
            m_in[i] = m2[i] = -INFINITY;
            lsum[i] = 0.f;
        }
#pragma unroll
        for (int u = 0; u < DU; ++u) {
            const int c = col + 8 * u;
            o[i][u] = ok && (p.flags & RA_LOAD_STATE) && c < d ? p.acc[((size_t)r * p.q_heads + h) * d + c] : 0.f;
        }
    }

    const int4 qb = p.q_tiles[qt];
    const int ntk = (p.k_rows + BN - 1) / BN;
    for (int jt = 0; jt < ntk; ++jt) {
        const int j0 = jt * BN;
        const int vis = classify(p.flags, qb, p.k_tiles[jt], j0 + BN <= p.k_rows);
        if (vis == SKIP) {
            continue;
        }
        __syncthreads();
        for (int idx = tid; idx < BN * DP; idx += F32_THREADS) {
            const int r = idx / DP, c = idx % DP;
            const bool ok = j0 + r < p.k_rows && c < d;
            const size_t src = (j0 + r) * kstride + (size_t)g * d + c;
            Ks[r * LD + c] = ok ? k[src] : 0.f;
            Vs[r * LD + c] = ok ? v[src] : 0.f;
        }
        if (tid < BN) {
            const bool ok = j0 + tid < p.k_rows;
            kpos[tid] = ok ? p.k_pos[j0 + tid] : INT_MAX;
            kseg[tid] = ok && (p.flags & RA_SEGMENTS) ? p.k_seg[j0 + tid] : 0;
        }
        __syncthreads();

        float s[RPT][NC];
#pragma unroll
        for (int i = 0; i < RPT; ++i) {
#pragma unroll
            for (int c = 0; c < NC; ++c) {
                s[i][c] = 0.f;
            }
        }
#pragma unroll 8
        for (int e = 0; e < DP; ++e) {
            float qv[RPT], kv[NC];
#pragma unroll
            for (int i = 0; i < RPT; ++i) {
                qv[i] = Qs[(grp * RPT + i) * LD + e];
            }
#pragma unroll
            for (int c = 0; c < NC; ++c) {
                kv[c] = Ks[(col + 8 * c) * LD + e];
            }
#pragma unroll
            for (int i = 0; i < RPT; ++i) {
#pragma unroll
                for (int c = 0; c < NC; ++c) {
                    s[i][c] = fmaf(qv[i], kv[c], s[i][c]);
                }
            }
        }

#pragma unroll
        for (int i = 0; i < RPT; ++i) {
            if (vis == PARTIAL) {
#pragma unroll
                for (int c = 0; c < NC; ++c) {
                    const int jj = col + 8 * c;
                    if (!visible(p.flags, j0 + jj, p.k_rows, kpos[jj], kseg[jj], qpos[i], qseg[i])) {
                        s[i][c] = -INFINITY;
                    }
                }
            }
            float mx = s[i][0];
#pragma unroll
            for (int c = 1; c < NC; ++c) {
                mx = fmaxf(mx, s[i][c]);
            }
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 4));
            const float m_new = fmaxf(m2[i], mx);
            // Nothing visible yet: subtract 0 instead of -inf so exp2(-inf - -inf) never makes NaN.
            const float m_ref = m_new == -INFINITY ? 0.f : m_new;
            const float alpha = exp2f(m2[i] - m_ref);
            float ps = 0.f;
#pragma unroll
            for (int c = 0; c < NC; ++c) {
                const float pv = exp2f(s[i][c] - m_ref);
                Ps[(grp * RPT + i) * LDP + col + 8 * c] = pv;
                ps += pv;
            }
            ps += __shfl_xor_sync(0xffffffffu, ps, 1);
            ps += __shfl_xor_sync(0xffffffffu, ps, 2);
            ps += __shfl_xor_sync(0xffffffffu, ps, 4);
            lsum[i] = lsum[i] * alpha + ps;
            m2[i] = m_new;
#pragma unroll
            for (int u = 0; u < DU; ++u) {
                o[i][u] *= alpha;
            }
        }
        // The 8 lanes that wrote a row of P are the ones that read it, all in this warp.
        __syncwarp();
#pragma unroll 4
        for (int jj = 0; jj < BN; ++jj) {
            float vv[DU];
#pragma unroll
            for (int u = 0; u < DU; ++u) {
                vv[u] = Vs[jj * LD + col + 8 * u];
            }
#pragma unroll
            for (int i = 0; i < RPT; ++i) {
                const float pr = Ps[(grp * RPT + i) * LDP + jj];
#pragma unroll
                for (int u = 0; u < DU; ++u) {
                    o[i][u] = fmaf(pr, vv[u], o[i][u]);
                }
            }
        }
    }

    // The 8 lanes of a row group each read the row's m and l above and write them below. When no key
    // tile was visible nothing in between synchronized them, and a lane could read the LSE another had
    // already written into m (a finishing call over a continued state): all reads first.
    __syncwarp();
#pragma unroll
    for (int i = 0; i < RPT; ++i) {
        const int r = i0 + grp * RPT + i;
        if (r >= p.q_rows) {
            continue;
        }
        const float f = store_row_state(p, r, h, m_in[i], m2[i], lsum[i]);
#pragma unroll
        for (int u = 0; u < DU; ++u) {
            const int c = col + 8 * u;
            if (c < d) {
                p.acc[((size_t)r * p.q_heads + h) * d + c] = o[i][u] * f;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Attention mass (the second pass of sentence centrality): mass[h][j] = sum_i exp(s_ij - LSE_i) over
// visible pairs, with LSE from a finished first pass over all keys, so P is the exact softmax even
// when this call holds only some of the keys. The roles of the forward kernel are swapped: a thread
// block owns a tile of 16 RPT keys of one query head and walks every query tile of BQ rows; thread t
// owns keys RPT(t/8) .. and query columns t%8 + 8c. No running maximum is needed (LSE is known), so
// each key's sum is a plain fp32 accumulation, reduced over the 8 lanes of its row group at the end.
// Arguments (AttnParams): q, k, positions, segments as for the forward; m = LSE in, (q_heads, q_rows),
// natural log; acc = mass out, (q_heads, k_rows). v, the tiles and l are not read.
// ---------------------------------------------------------------------------------------------

template <int DP, int RPT, int BQ>
__device__ __forceinline__ void mass_f32(const AttnParams& p) {
    constexpr int BK = 16 * RPT, LD = DP + 1, NC = BQ / 8;
    extern __shared__ float smem_m[];
    float* Ks = smem_m;
    float* Qs = Ks + BK * LD;
    float* lse2 = Qs + BQ * LD;
    int* qpos = reinterpret_cast<int*>(lse2 + BQ);
    int* qseg = qpos + BQ;

    const float* q = static_cast<const float*>(p.q);
    const float* k = static_cast<const float*>(p.k);
    const int tid = threadIdx.x, grp = tid >> 3, col = tid & 7;
    const int h = blockIdx.y, g = h / (p.q_heads / p.kv_heads);
    const int j0 = blockIdx.x * BK, d = p.head_dim;
    const size_t qstride = (size_t)p.q_heads * d, kstride = (size_t)p.kv_heads * d;

    for (int idx = tid; idx < BK * DP; idx += F32_THREADS) {
        const int r = idx / DP, c = idx % DP;
        Ks[r * LD + c] = (j0 + r < p.k_rows && c < d) ? k[(j0 + r) * kstride + (size_t)g * d + c] : 0.f;
    }
    int kpos[RPT], kseg[RPT];
    float acc[RPT];
#pragma unroll
    for (int r = 0; r < RPT; ++r) {
        const int j = j0 + grp * RPT + r;
        const bool ok = j < p.k_rows;
        kpos[r] = ok ? p.k_pos[j] : INT_MAX;
        kseg[r] = ok && (p.flags & RA_SEGMENTS) ? p.k_seg[j] : 0;
        acc[r] = 0.f;
    }

    for (int i0 = 0; i0 < p.q_rows; i0 += BQ) {
        __syncthreads();
        for (int idx = tid; idx < BQ * DP; idx += F32_THREADS) {
            const int r = idx / DP, c = idx % DP;
            Qs[r * LD + c] = (i0 + r < p.q_rows && c < d) ? q[(i0 + r) * qstride + (size_t)h * d + c] * p.scale_log2 : 0.f;
        }
        if (tid < BQ) {
            const int i = i0 + tid;
            const bool ok = i < p.q_rows;
            lse2[tid] = ok ? p.m[(size_t)h * p.q_rows + i] * LOG2E : INFINITY;
            qpos[tid] = ok ? p.q_pos[i] : INT_MIN;
            qseg[tid] = ok && (p.flags & RA_SEGMENTS) ? p.q_seg[i] : 0;
        }
        __syncthreads();

        float s[RPT][NC];
#pragma unroll
        for (int r = 0; r < RPT; ++r) {
#pragma unroll
            for (int c = 0; c < NC; ++c) {
                s[r][c] = 0.f;
            }
        }
#pragma unroll 8
        for (int e = 0; e < DP; ++e) {
            float kv[RPT], qv[NC];
#pragma unroll
            for (int r = 0; r < RPT; ++r) {
                kv[r] = Ks[(grp * RPT + r) * LD + e];
            }
#pragma unroll
            for (int c = 0; c < NC; ++c) {
                qv[c] = Qs[(col + 8 * c) * LD + e];
            }
#pragma unroll
            for (int r = 0; r < RPT; ++r) {
#pragma unroll
                for (int c = 0; c < NC; ++c) {
                    s[r][c] = fmaf(kv[r], qv[c], s[r][c]);
                }
            }
        }
#pragma unroll
        for (int r = 0; r < RPT; ++r) {
#pragma unroll
            for (int c = 0; c < NC; ++c) {
                const int ii = col + 8 * c;
                // A query past the last row has lse2 = +inf and position INT_MIN: never visible.
                if (visible(p.flags, j0 + grp * RPT + r, p.k_rows, kpos[r], kseg[r], qpos[ii], qseg[ii])
                        && i0 + ii < p.q_rows) {
                    acc[r] += exp2f(s[r][c] - lse2[ii]);
                }
            }
        }
    }

#pragma unroll
    for (int r = 0; r < RPT; ++r) {
        float sum = acc[r];
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        sum += __shfl_xor_sync(0xffffffffu, sum, 2);
        sum += __shfl_xor_sync(0xffffffffu, sum, 4);
        const int j = j0 + grp * RPT + r;
        if (col == 0 && j < p.k_rows) {
            p.acc[(size_t)h * p.k_rows + j] = sum;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// bf16 / fp16 inputs: tensor cores through mma.sync.m16n8k16 (sm_80+), fp32 accumulation, shaped as
// FlashAttention-2 (Dao, arXiv 2307.08691, section 3.3): a thread block of 4 warps owns 128 query rows, 32
// per warp (two m16 tiles), and walks the visible key tiles of 64; S = Q K^T, the online softmax and
// O += P V stay in the warp's registers (no shared-memory round trip for S or P). K and V tiles are double
// buffered with cp.async (PTX ISA "cp.async"): tile j+1 is copied into one stage while tile j is computed
// from the other, so one __syncthreads per key tile both publishes tile j and frees the stage of tile j-1.
// Q stays in shared memory and is read per k-step with ldmatrix (FA2 keeps it out of registers at
// D = 128, where 32 rows of O already take 128 registers per thread). Rows are padded by 16 bytes so the
// 8 row addresses of an ldmatrix fall in 8 different bank groups.
// ---------------------------------------------------------------------------------------------

// Key tile of the tensor-core kernels; query rows per warp and per thread block.
constexpr int MMA_BN = 64;
constexpr int MMA_WARP_ROWS = 32;

// D += A B for one m16n8k16 tile, fp32 accumulators, A and B in T (PTX ISA "mma.sync" fragment layouts).
template <typename T>
__device__ __forceinline__ void mma16816(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1);

#ifdef __CUDACC__
#define RA_DEFINE_MMA16816(T, PTX_TYPE)                                                                    \
    template <>                                                                                            \
    __device__ __forceinline__ void mma16816<T>(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) { \
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." PTX_TYPE "." PTX_TYPE ".f32 "                 \
                     "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"                             \
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])                                       \
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));                       \
    }
#else
// Compiled for the host by the kernel emulation test (src/test/cuda/cuda_emulation.h): the same instruction.
#define RA_DEFINE_MMA16816(T, PTX_TYPE)                                                                    \
    template <>                                                                                            \
    __device__ __forceinline__ void mma16816<T>(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) { \
        ra_emu::mma_m16n8k16<T>(c, a, b0, b1);                                                              \
    }
#endif
RA_DEFINE_MMA16816(__nv_bfloat16, "bf16")
RA_DEFINE_MMA16816(__half, "f16")
#undef RA_DEFINE_MMA16816

// Two fp32 values rounded to T and packed as one 32-bit register, the first in the low half.
__device__ __forceinline__ uint32_t pack2(float lo, float hi, __nv_bfloat16) {
    __nv_bfloat162 x = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&x);
}

__device__ __forceinline__ uint32_t pack2(float lo, float hi, __half) {
    __half2 x = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&x);
}

// The rounding error of pack2: what is left of (lo, hi) after rounding to T, itself rounded to T.
// P = P_hi + P_lo carries 16 bits of mantissa in bf16 (about 2^-17 relative error instead of 2^-9).
__device__ __forceinline__ uint32_t residual2(float lo, float hi, uint32_t rounded, __nv_bfloat16) {
    const float2 r = __bfloat1622float2(*reinterpret_cast<__nv_bfloat162*>(&rounded));
    return pack2(lo - r.x, hi - r.y, __nv_bfloat16());
}

#ifdef __CUDACC__
__device__ __forceinline__ uint32_t smem_addr(const void* ptr) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(ptr));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t r[4], const void* ptr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(ptr)));
}

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t r[4], const void* ptr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(ptr)));
}

// 16 bytes global -> shared; with ok == false nothing is read and the destination is zero-filled.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool ok) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
                 "r"(ok ? 16 : 0));
}

__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
#else
// Compiled for the host: the emulated instructions take the generic pointer, as a host address does not
// fit the 32 bits of a shared-window address.
__device__ __forceinline__ void ldmatrix_x4(uint32_t r[4], const void* ptr) {
    ra_emu::ldmatrix_x4(r, ptr, false);
}

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t r[4], const void* ptr) {
    ra_emu::ldmatrix_x4(r, ptr, true);
}

__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool ok) {
    ra_emu::cp_async_cg16(dst, src, ok ? 16 : 0);
}

__device__ __forceinline__ void cp_async_commit() {
    ra_emu::cp_async_commit_group();
}

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    ra_emu::cp_async_wait_group(N);
}
#endif

// The kernel. SPLIT_P computes P V as P_hi V + P_lo V (one more mma per step), for a measurement of
// whether rounding P to the input type matters (BENCHMARKS.md).
template <typename T, int D, bool SPLIT_P>
__device__ __forceinline__ void fwd_mma(const AttnParams& p) {
    constexpr int NW = RA_MMA_WARPS, BM = MMA_WARP_ROWS * NW, BN = MMA_BN, LD = D + 8, THREADS = 32 * NW;
    constexpr int CH = D / 8, MT = MMA_WARP_ROWS / 16, NT = BN / 8, DT = D / 8;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    T* Qs = reinterpret_cast<T*>(smem_raw);
    T* Ks = Qs + BM * LD;          // [2][BN][LD]
    T* Vs = Ks + 2 * BN * LD;      // [2][BN][LD]
    int* kpos = reinterpret_cast<int*>(Vs + 2 * BN * LD);  // [2][BN]
    int* kseg = kpos + 2 * BN;                              // [2][BN]

    const T* q = static_cast<const T*>(p.q);
    const T* k = static_cast<const T*>(p.k);
    const T* v = static_cast<const T*>(p.v);
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g4 = lane >> 2, t4 = lane & 3;
    const int h = blockIdx.y, g = h / (p.q_heads / p.kv_heads);
    const int qt = heaviest_first(), i0 = qt * BM, w0 = warp * MMA_WARP_ROWS;
    const size_t qstride = (size_t)p.q_heads * D, kstride = (size_t)p.kv_heads * D;

    auto load_rows = [&](T* dst, const T* base, size_t stride, int head, int r0, int rows, int limit) {
        for (int idx = tid; idx < rows * CH; idx += THREADS) {
            const int r = idx / CH, c = idx % CH;
            const bool ok = r0 + r < limit;
            cp_async16(dst + r * LD + c * 8, base + (size_t)(ok ? r0 + r : 0) * stride + (size_t)head * D + c * 8, ok);
        }
    };
    // Key tile j0's K, V (cp.async) and positions, segments (plain stores) into stage st.
    auto load_kv = [&](int st, int j0) {
        load_rows(Ks + st * BN * LD, k, kstride, g, j0, BN, p.k_rows);
        load_rows(Vs + st * BN * LD, v, kstride, g, j0, BN, p.k_rows);
        if (tid < BN) {
            const bool ok = j0 + tid < p.k_rows;
            kpos[st * BN + tid] = ok ? p.k_pos[j0 + tid] : INT_MAX;
            kseg[st * BN + tid] = ok && (p.flags & RA_SEGMENTS) ? p.k_seg[j0 + tid] : 0;
        }
    };

    const int4 qb = p.q_tiles[qt];
    const int ntk = (p.k_rows + BN - 1) / BN;
    int jt = next_visible(p, qb, 0, ntk);
    load_rows(Qs, q, qstride, h, i0, BM, p.q_rows);
    if (jt < ntk) {
        load_kv(0, jt * BN);
    }
    cp_async_commit();

    // This thread's four rows: g4 and g4 + 8 of each of the warp's two m16 tiles (the C-fragment rows of
    // m16n8k16); index mt * 2 + rr, rr the C fragment's half (elements 2 rr, 2 rr + 1).
    int row[2 * MT], qpos[2 * MT], qseg[2 * MT];
    float m_in[2 * MT], m2[2 * MT], lsum[2 * MT], o[MT][DT][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
        for (int rr = 0; rr < 2; ++rr) {
            const int x = 2 * mt + rr;
            row[x] = i0 + w0 + 16 * mt + g4 + 8 * rr;
            const bool ok = row[x] < p.q_rows;
            qpos[x] = ok ? p.q_pos[row[x]] : INT_MIN;
            qseg[x] = ok && (p.flags & RA_SEGMENTS) ? p.q_seg[row[x]] : 0;
            if (ok) {
                load_row_state(p, row[x], h, m_in[x], m2[x], lsum[x]);
            } else {
                m_in[x] = m2[x] = -INFINITY;
                lsum[x] = 0.f;
            }
#pragma unroll
            for (int n = 0; n < DT; ++n) {
#pragma unroll
                for (int e = 0; e < 2; ++e) {
                    const int c = n * 8 + 2 * t4 + e;
                    o[mt][n][2 * rr + e] =
                        ok && (p.flags & RA_LOAD_STATE) ? p.acc[((size_t)row[x] * p.q_heads + h) * D + c] : 0.f;
                }
            }
        }
    }

    for (int st = 0; jt < ntk; st ^= 1) {
        const int j0 = jt * BN;
        // Tile jt has landed for this thread; the barrier makes it everyone's, and tells everyone that the
        // other stage (tile jt's predecessor) is no longer read, so the next tile may be copied into it.
        cp_async_wait<0>();
        __syncthreads();
        const int jn = next_visible(p, qb, jt + 1, ntk);
        if (jn < ntk) {
            load_kv(st ^ 1, jn * BN);
        }
        cp_async_commit();
        const int vis = classify(p.flags, qb, p.k_tiles[jt], j0 + BN <= p.k_rows);
        const T* K = Ks + st * BN * LD;
        const T* V = Vs + st * BN * LD;
        const int* kp = kpos + st * BN;
        const int* ks = kseg + st * BN;

        float s[MT][NT][4];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
            for (int n = 0; n < NT; ++n) {
                s[mt][n][0] = s[mt][n][1] = s[mt][n][2] = s[mt][n][3] = 0.f;
            }
        }
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk) {
            uint32_t qf[MT][4];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                ldmatrix_x4(qf[mt], Qs + (w0 + 16 * mt + (lane & 15)) * LD + kk * 16 + (lane >> 4) * 8);
            }
#pragma unroll
            for (int np = 0; np < NT / 2; ++np) {
                uint32_t b[4];
                ldmatrix_x4(b, K + (np * 16 + (lane >> 4) * 8 + (lane & 7)) * LD + kk * 16 + ((lane >> 3) & 1) * 8);
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    mma16816<T>(s[mt][2 * np], qf[mt], b[0], b[1]);
                    mma16816<T>(s[mt][2 * np + 1], qf[mt], b[2], b[3]);
                }
            }
        }

#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
            for (int n = 0; n < NT; ++n) {
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    s[mt][n][e] *= p.scale_log2;
                    if (vis == PARTIAL) {
                        const int jj = n * 8 + 2 * t4 + (e & 1), x = 2 * mt + (e >> 1);
                        if (!visible(p.flags, j0 + jj, p.k_rows, kp[jj], ks[jj], qpos[x], qseg[x])) {
                            s[mt][n][e] = -INFINITY;
                        }
                    }
                }
            }
#pragma unroll
            for (int rr = 0; rr < 2; ++rr) {
                const int x = 2 * mt + rr;
                float mx = -INFINITY;
#pragma unroll
                for (int n = 0; n < NT; ++n) {
                    mx = fmaxf(mx, fmaxf(s[mt][n][2 * rr], s[mt][n][2 * rr + 1]));
                }
                // The four lanes of a quad hold the row's 64 logits between them.
                mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
                mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
                const float m_new = fmaxf(m2[x], mx);
                // Nothing visible yet: subtract 0 instead of -inf so exp2(-inf - -inf) never makes NaN.
                const float m_ref = m_new == -INFINITY ? 0.f : m_new;
                const float alpha = exp2f(m2[x] - m_ref);
                float ps = 0.f;
#pragma unroll
                for (int n = 0; n < NT; ++n) {
#pragma unroll
                    for (int e = 2 * rr; e < 2 * rr + 2; ++e) {
                        s[mt][n][e] = exp2f(s[mt][n][e] - m_ref);
                        ps += s[mt][n][e];
                    }
                }
                ps += __shfl_xor_sync(0xffffffffu, ps, 1);
                ps += __shfl_xor_sync(0xffffffffu, ps, 2);
                lsum[x] = lsum[x] * alpha + ps;
                m2[x] = m_new;
#pragma unroll
                for (int n = 0; n < DT; ++n) {
                    o[mt][n][2 * rr] *= alpha;
                    o[mt][n][2 * rr + 1] *= alpha;
                }
            }
        }

#pragma unroll
        for (int kc = 0; kc < BN / 16; ++kc) {
            // The C fragments of two adjacent n8 logit tiles are exactly the A fragment of a k16 step
            // (FA2 section 3.3: P never leaves registers).
            uint32_t a[MT][4], a_lo[MT][4];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
                for (int r = 0; r < 4; ++r) {
                    // a[0]: tile 2kc row g; a[1]: tile 2kc row g+8; a[2], a[3]: the same of tile 2kc+1.
                    const float* pr = &s[mt][2 * kc + (r >> 1)][2 * (r & 1)];
                    a[mt][r] = pack2(pr[0], pr[1], T());
                    if constexpr (SPLIT_P) {
                        a_lo[mt][r] = residual2(pr[0], pr[1], a[mt][r], T());
                    }
                }
            }
#pragma unroll
            for (int dp = 0; dp < D / 16; ++dp) {
                uint32_t b[4];
                ldmatrix_x4_trans(b, V + (kc * 16 + (lane & 15)) * LD + dp * 16 + (lane >> 4) * 8);
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    mma16816<T>(o[mt][2 * dp], a[mt], b[0], b[1]);
                    mma16816<T>(o[mt][2 * dp + 1], a[mt], b[2], b[3]);
                    if constexpr (SPLIT_P) {
                        mma16816<T>(o[mt][2 * dp], a_lo[mt], b[0], b[1]);
                        mma16816<T>(o[mt][2 * dp + 1], a_lo[mt], b[2], b[3]);
                    }
                }
            }
        }
        jt = jn;
    }
    cp_async_wait<0>();
    // The 4 lanes of a row quad read the row's state before the loop and write it below; with no visible
    // key tile nothing synchronized them in between (see fwd_f32).
    __syncwarp();

#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
        for (int rr = 0; rr < 2; ++rr) {
            const int x = 2 * mt + rr;
            if (row[x] >= p.q_rows) {
                continue;
            }
            const float f = store_row_state(p, row[x], h, m_in[x], m2[x], lsum[x]);
            float* out = p.acc + ((size_t)row[x] * p.q_heads + h) * D;
#pragma unroll
            for (int n = 0; n < DT; ++n) {
                *reinterpret_cast<float2*>(out + n * 8 + 2 * t4) = make_float2(o[mt][n][2 * rr] * f, o[mt][n][2 * rr + 1] * f);
            }
        }
    }
}

}  // namespace

extern "C" {

__global__ void ra_tile_bounds(const int* pos, const int* seg, int n, int tile, int4* out) {
    const int from = blockIdx.x * tile, to = min(from + tile, n);
    int lo_p = INT_MAX, hi_p = INT_MIN, lo_s = INT_MAX, hi_s = INT_MIN;
    for (int i = from + (int)threadIdx.x; i < to; i += 32) {
        lo_p = min(lo_p, pos[i]);
        hi_p = max(hi_p, pos[i]);
        const int s = seg ? seg[i] : 0;
        lo_s = min(lo_s, s);
        hi_s = max(hi_s, s);
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        lo_p = min(lo_p, __shfl_xor_sync(0xffffffffu, lo_p, o));
        hi_p = max(hi_p, __shfl_xor_sync(0xffffffffu, hi_p, o));
        lo_s = min(lo_s, __shfl_xor_sync(0xffffffffu, lo_s, o));
        hi_s = max(hi_s, __shfl_xor_sync(0xffffffffu, hi_s, o));
    }
    if (threadIdx.x == 0) {
        out[blockIdx.x] = make_int4(lo_p, hi_p, lo_s, hi_s);
    }
}

__global__ void ra_f32_to_bf16(const float* x, __nv_bfloat16* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        y[i] = __float2bfloat16_rn(x[i]);
    }
}

__global__ void ra_f32_to_f16(const float* x, __half* y, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        y[i] = __float2half_rn(x[i]);
    }
}

__global__ void __launch_bounds__(F32_THREADS) ra_fwd_f32_d32(const AttnParams p) { fwd_f32<32, 4, 32>(p); }
__global__ void __launch_bounds__(F32_THREADS) ra_fwd_f32_d64(const AttnParams p) { fwd_f32<64, 4, 32>(p); }
__global__ void __launch_bounds__(F32_THREADS) ra_fwd_f32_d128(const AttnParams p) { fwd_f32<128, 4, 32>(p); }
__global__ void __launch_bounds__(F32_THREADS) ra_fwd_f32_d256(const AttnParams p) { fwd_f32<256, 4, 32>(p); }
__global__ void __launch_bounds__(F32_THREADS) ra_fwd_f32_d512(const AttnParams p) { fwd_f32<512, 1, 16>(p); }

__global__ void __launch_bounds__(F32_THREADS) ra_mass_f32_d32(const AttnParams p) { mass_f32<32, 4, 32>(p); }
__global__ void __launch_bounds__(F32_THREADS) ra_mass_f32_d64(const AttnParams p) { mass_f32<64, 4, 32>(p); }
__global__ void __launch_bounds__(F32_THREADS) ra_mass_f32_d128(const AttnParams p) { mass_f32<128, 4, 32>(p); }
__global__ void __launch_bounds__(F32_THREADS) ra_mass_f32_d256(const AttnParams p) { mass_f32<256, 1, 16>(p); }
__global__ void __launch_bounds__(F32_THREADS) ra_mass_f32_d512(const AttnParams p) { mass_f32<512, 1, 16>(p); }

__global__ void __launch_bounds__(RA_MMA_WARPS * 32) ra_fwd_bf16_d64(const AttnParams p) { fwd_mma<__nv_bfloat16, 64, RA_SPLIT_P>(p); }
__global__ void __launch_bounds__(RA_MMA_WARPS * 32) ra_fwd_bf16_d128(const AttnParams p) { fwd_mma<__nv_bfloat16, 128, RA_SPLIT_P>(p); }
__global__ void __launch_bounds__(RA_MMA_WARPS * 32) ra_fwd_f16_d64(const AttnParams p) { fwd_mma<__half, 64, false>(p); }
__global__ void __launch_bounds__(RA_MMA_WARPS * 32) ra_fwd_f16_d128(const AttnParams p) { fwd_mma<__half, 128, false>(p); }

}  // extern "C"
