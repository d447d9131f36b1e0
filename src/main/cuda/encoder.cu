// The dense path of a BERT encoder layer on NVIDIA GPUs (the attention itself is attention.cu's
// ra_fwd_f32_d*): embeddings, projections and feed-forward as GEMMs, LayerNorm, GELU, and the sentence
// pooling of sentence-transformers. Host code: org.ringattention.gpu.GpuSentenceEncoder; the same
// formulas as org.ringattention.encoder.BertEncoder and SentenceEmbedder, which the device check
// (bench/gpu-check.sh) compares it with.
//
// Kernels (extern "C"):
//   re_embed         x = LayerNorm(word[id] + position[pos] + type[type]), one warp per row; optionally a
//                    bf16 copy of x for the next GEMM
//   re_layernorm     x = LayerNorm(x) in place, one warp per row (population variance, as PyTorch); the same
//                    optional bf16 copy
//   re_gemm_f32      Y = epilogue(X W^T + b), fp32 FMA; W is PyTorch's (out, in) weight
//   re_gemm_bf16     the same with X, W in bf16 on tensor cores (mma.sync m16n8k16, ldmatrix, a three-stage
//                    cp.async pipeline), fp32 accumulation; Y in fp32 and/or bf16
//   re_pool          per sentence: mean of its rows, L2-normalized (eps 1e-12)
// The GEMMs' epilogue (flags, mirrored by GpuSentenceEncoder): RE_GELU applies GELU, RE_RESIDUAL adds the
// value already in Y (BERT's residual connections), so an encoder layer needs no separate GELU or
// residual pass over its activations.

#include <cuda_bf16.h>
#include <stdint.h>

#define RE_GELU 1
#define RE_RESIDUAL 2

namespace {

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;
}

// LayerNorm of one row by one warp: two passes over the row (mean, then variance of the deviations),
// in fp32 as the CPU encoder.
__device__ __forceinline__ void layernorm_row(float* x, int h, const float* gamma, const float* beta, float eps, int lane) {
    float s = 0.f;
    for (int c = lane; c < h; c += 32) {
        s += x[c];
    }
    const float mean = warp_sum(s) / h;
    float v = 0.f;
    for (int c = lane; c < h; c += 32) {
        const float d = x[c] - mean;
        v += d * d;
    }
    const float inv = rsqrtf(warp_sum(v) / h + eps);
    for (int c = lane; c < h; c += 32) {
        x[c] = (x[c] - mean) * inv * gamma[c] + beta[c];
    }
}

constexpr int GEMM_BM = 64, GEMM_BN = 64;

// x/2 (1 + erf(x / sqrt 2)): BERT's exact GELU, as the CPU encoder.
__device__ __forceinline__ float gelu(float x) {
    return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
}

// What a GEMM stores for one output element: acc + bias, through GELU, plus the residual already in y
// (read only with RE_RESIDUAL).
__device__ __forceinline__ float epilogue(float acc, float bias, int flags, const float* y) {
    float v = acc + bias;
    if (flags & RE_GELU) {
        v = gelu(v);
    }
    if (flags & RE_RESIDUAL) {
        v += *y;
    }
    return v;
}

// Writes row's bf16 copy, for the next GEMM's input (nothing when x16 is null).
__device__ __forceinline__ void store_bf16_row(const float* x, __nv_bfloat16* x16, int h, int lane) {
    if (x16) {
        for (int c = lane; c < h; c += 32) {
            x16[c] = __float2bfloat16_rn(x[c]);
        }
    }
}

}  // namespace

extern "C" {

__global__ void re_embed(const int* ids, const int* pos, const int* types, const float* word, const float* position,
                         const float* type, const float* gamma, const float* beta, float eps, int rows, int h, float* x,
                         __nv_bfloat16* x16) {
    const int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
    if (warp >= rows) {
        return;
    }
    float* row = x + (size_t)warp * h;
    const float* w = word + (size_t)ids[warp] * h;
    const float* p = position + (size_t)pos[warp] * h;
    const float* t = type + (size_t)types[warp] * h;
    for (int c = lane; c < h; c += 32) {
        row[c] = w[c] + p[c] + t[c];
    }
    __syncwarp();
    layernorm_row(row, h, gamma, beta, eps, lane);
    __syncwarp();
    store_bf16_row(row, x16 ? x16 + (size_t)warp * h : nullptr, h, lane);
}

__global__ void re_layernorm(float* x, const float* gamma, const float* beta, float eps, int rows, int h,
                             __nv_bfloat16* x16) {
    const int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
    if (warp < rows) {
        layernorm_row(x + (size_t)warp * h, h, gamma, beta, eps, lane);
        __syncwarp();
        store_bf16_row(x + (size_t)warp * h, x16 ? x16 + (size_t)warp * h : nullptr, h, lane);
    }
}

// 64 x 64 output tile per block of 256 threads, k in steps of 16 through shared memory; thread (ty, tx)
// owns rows ty + 16 i and columns tx + 16 j (i, j < 4), so a warp's shared reads are broadcasts or
// consecutive words.
__global__ void __launch_bounds__(256) re_gemm_f32(const float* X, const float* W, const float* bias, float* Y,
                                                   int M, int N, int K, int flags) {
    constexpr int BK = 16;
    __shared__ float Xs[BK][GEMM_BM + 1];
    __shared__ float Ws[BK][GEMM_BN + 1];
    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    const int m0 = blockIdx.y * GEMM_BM, n0 = blockIdx.x * GEMM_BN;
    float acc[4][4] = {};
    for (int k0 = 0; k0 < K; k0 += BK) {
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int idx = tid + 256 * r, row = idx / BK, k = idx % BK;
            Xs[k][row] = (m0 + row < M && k0 + k < K) ? X[(size_t)(m0 + row) * K + k0 + k] : 0.f;
            Ws[k][row] = (n0 + row < N && k0 + k < K) ? W[(size_t)(n0 + row) * K + k0 + k] : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < BK; ++k) {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                a[i] = Xs[k][ty + 16 * i];
                b[i] = Ws[k][tx + 16 * i];
            }
#pragma unroll
            for (int i = 0; i < 4; ++i) {
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
                }
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int m = m0 + ty + 16 * i;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int n = n0 + tx + 16 * j;
            if (m < M && n < N) {
                float* y = Y + (size_t)m * N + n;
                *y = epilogue(acc[i][j], bias[n], flags, y);
            }
        }
    }
}

// Tensor cores, shaped as CUTLASS's multistage sm80 GEMMs: a 128 x 128 output tile per block of 8 warps
// (2 x 4), each warp 64 x 32 (4 m16 x 4 n8 tiles of mma.sync.m16n8k16, bf16 in, fp32 accumulation), k in
// steps of 32 through a three-stage cp.async pipeline, so the copies of steps k+1 and k+2 are in flight
// while step k is computed and one __syncthreads per step both publishes a stage and frees the oldest.
// X is [m][k] and W [n][k] (PyTorch's layout): ldmatrix.x4 gives A's fragment of an m16 x k16 tile and
// B's of two n8 x k16 tiles (PTX ISA "ldmatrix", "Matrix Fragments for mma.m16n8k16"). Rows are padded by
// 8 bf16 (16 bytes) so the 8 row addresses of an ldmatrix fall in different bank groups. K must be a
// multiple of 8 (16-byte copies); rows and columns past M, N and K are zero-filled, not read.
constexpr int BG_BM = 128, BG_BN = 128, BG_BK = 32, BG_STAGES = 3, BG_LD = BG_BK + 8, BG_THREADS = 256;

__global__ void __launch_bounds__(BG_THREADS) re_gemm_bf16(const __nv_bfloat16* X, const __nv_bfloat16* W,
                                                           const float* bias, float* Y, __nv_bfloat16* Y16, int M,
                                                           int N, int K, int flags) {
    extern __shared__ __align__(16) unsigned char gemm_smem[];
    __nv_bfloat16* As = reinterpret_cast<__nv_bfloat16*>(gemm_smem);  // [STAGES][BM][LD]
    __nv_bfloat16* Bs = As + BG_STAGES * BG_BM * BG_LD;                // [STAGES][BN][LD]
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int m0 = blockIdx.y * BG_BM, n0 = blockIdx.x * BG_BN;
    const int wm = (warp >> 2) * 64, wn = (warp & 3) * 32;
    const int ktiles = (K + BG_BK - 1) / BG_BK;

    // Step kt's k columns of X's and W's tile rows into stage st: 16-byte chunks, 8 bf16 each.
    auto load = [&](int st, int kt) {
        const int k0 = kt * BG_BK;
        for (int idx = tid; idx < BG_BM * (BG_BK / 8); idx += BG_THREADS) {
            const int r = idx / (BG_BK / 8), k = k0 + (idx % (BG_BK / 8)) * 8;
            const bool a_ok = m0 + r < M && k < K, b_ok = n0 + r < N && k < K;
            cp_async16(As + (st * BG_BM + r) * BG_LD + k - k0, X + (a_ok ? (size_t)(m0 + r) * K + k : 0), a_ok);
            cp_async16(Bs + (st * BG_BN + r) * BG_LD + k - k0, W + (b_ok ? (size_t)(n0 + r) * K + k : 0), b_ok);
        }
    };

#pragma unroll
    for (int st = 0; st < BG_STAGES - 1; ++st) {
        if (st < ktiles) {
            load(st, st);
        }
        cp_async_commit();
    }
    float acc[4][4][4] = {};
    for (int kt = 0; kt < ktiles; ++kt) {
        // Step kt's group is complete (at most STAGES - 2 newer ones pending); the barrier publishes it
        // and tells every warp that the stage of step kt - 1, the next one to fill, is no longer read.
        cp_async_wait<BG_STAGES - 2>();
        __syncthreads();
        if (kt + BG_STAGES - 1 < ktiles) {
            load((kt + BG_STAGES - 1) % BG_STAGES, kt + BG_STAGES - 1);
        }
        cp_async_commit();
        const __nv_bfloat16* A = As + (kt % BG_STAGES) * BG_BM * BG_LD;
        const __nv_bfloat16* B = Bs + (kt % BG_STAGES) * BG_BN * BG_LD;
#pragma unroll
        for (int kk = 0; kk < BG_BK; kk += 16) {
            uint32_t a[4][4], b[2][4];
#pragma unroll
            for (int mt = 0; mt < 4; ++mt) {
                ldmatrix_x4(a[mt], A + (wm + 16 * mt + (lane & 15)) * BG_LD + kk + (lane >> 4) * 8);
            }
#pragma unroll
            for (int np = 0; np < 2; ++np) {
                ldmatrix_x4(b[np], B + (wn + 16 * np + (lane >> 4) * 8 + (lane & 7)) * BG_LD + kk + ((lane >> 3) & 1) * 8);
            }
#pragma unroll
            for (int mt = 0; mt < 4; ++mt) {
#pragma unroll
                for (int nt = 0; nt < 4; ++nt) {
                    mma16816<__nv_bfloat16>(acc[mt][nt], a[mt], b[nt >> 1][2 * (nt & 1)], b[nt >> 1][2 * (nt & 1) + 1]);
                }
            }
        }
    }
    cp_async_wait<0>();

    // C fragment: element e of tile (mt, nt) is row g + 8 (e >> 1), column 2 t + (e & 1).
#pragma unroll
    for (int mt = 0; mt < 4; ++mt) {
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) {
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int m = m0 + wm + 16 * mt + g + 8 * (e >> 1), n = n0 + wn + 8 * nt + 2 * t + (e & 1);
                if (m < M && n < N) {
                    const size_t at = (size_t)m * N + n;
                    const float v = epilogue(acc[mt][nt][e], bias[n], flags, flags & RE_RESIDUAL ? Y + at : nullptr);
                    if (Y) {
                        Y[at] = v;
                    }
                    if (Y16) {
                        Y16[at] = __float2bfloat16_rn(v);
                    }
                }
            }
        }
    }
}

// One block per sentence: rows [starts[s], starts[s + 1]) of hidden, averaged, then divided by
// max(norm, 1e-12) as sentence-transformers' Normalize.
__global__ void re_pool(const float* hidden, const int* starts, int h, float* out) {
    __shared__ float partial[32];
    const int s = blockIdx.x, from = starts[s], to = starts[s + 1];
    float sq = 0.f;
    for (int c = threadIdx.x; c < h; c += blockDim.x) {
        float sum = 0.f;
        for (int r = from; r < to; ++r) {
            sum += hidden[(size_t)r * h + c];
        }
        const float mean = sum / (to - from);
        out[(size_t)s * h + c] = mean;
        sq += mean * mean;
    }
    sq = warp_sum(sq);
    if ((threadIdx.x & 31) == 0) {
        partial[threadIdx.x >> 5] = sq;
    }
    __syncthreads();
    float total = 0.f;
    for (int w = 0; w < (int)(blockDim.x >> 5); ++w) {
        total += partial[w];
    }
    const float scale = 1.f / fmaxf(sqrtf(total), 1e-12f);
    for (int c = threadIdx.x; c < h; c += blockDim.x) {
        out[(size_t)s * h + c] *= scale;
    }
}

}  // extern "C"
