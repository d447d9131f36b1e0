// The dense path of a BERT encoder layer on NVIDIA GPUs (the attention itself is attention.cu's
// ra_fwd_f32_d*): embeddings, projections and feed-forward as GEMMs, LayerNorm, GELU, and the sentence
// pooling of sentence-transformers. Host code: org.ringattention.gpu.GpuSentenceEncoder; the same
// formulas as org.ringattention.encoder.BertEncoder and SentenceEmbedder, which the device check
// (bench/gpu-check.sh) compares it with.
//
// Kernels (extern "C"):
//   re_embed         x = LayerNorm(word[id] + position[pos] + type[type]), one warp per row
//   re_layernorm     x = LayerNorm(x) in place, one warp per row (population variance, as PyTorch)
//   re_gelu          x = x/2 (1 + erf(x / sqrt 2)) in place
//   re_gemm_f32      Y (=|+=) X W^T + b, fp32 FMA; W is PyTorch's (out, in) weight
//   re_gemm_bf16     the same with X, W in bf16 on tensor cores (mma.sync m16n8k16), fp32 accumulation
//   re_pool          per sentence: mean of its rows, L2-normalized (eps 1e-12)

#include <cuda_bf16.h>
#include <stdint.h>

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

}  // namespace

extern "C" {

__global__ void re_embed(const int* ids, const int* pos, const int* types, const float* word, const float* position,
                         const float* type, const float* gamma, const float* beta, float eps, int rows, int h, float* x) {
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
}

__global__ void re_layernorm(float* x, const float* gamma, const float* beta, float eps, int rows, int h) {
    const int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
    if (warp < rows) {
        layernorm_row(x + (size_t)warp * h, h, gamma, beta, eps, lane);
    }
}

__global__ void re_gelu(float* x, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        x[i] = 0.5f * x[i] * (1.f + erff(x[i] * 0.70710678118654752f));
    }
}

// 64 x 64 output tile per block of 256 threads, k in steps of 16 through shared memory; thread (ty, tx)
// owns rows ty + 16 i and columns tx + 16 j (i, j < 4), so a warp's shared reads are broadcasts or
// consecutive words.
__global__ void __launch_bounds__(256) re_gemm_f32(const float* X, const float* W, const float* bias, float* Y,
                                                   int M, int N, int K, int accumulate) {
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
                *y = (accumulate ? *y : 0.f) + acc[i][j] + bias[n];
            }
        }
    }
}

// Tensor cores: 64 x 64 tile per block of 4 warps, each warp 32 x 32 (2 m16 x 4 n8 tiles of
// mma.sync.m16n8k16, bf16 in, fp32 accumulation), k in steps of 32 through shared memory. X is stored
// [m][k] and W [n][k] (PyTorch's layout), so both fragments are pairs of consecutive k: A regs
// (g, 2t) (g+8, 2t) (g, 2t+8) (g+8, 2t+8), B regs (k 2t, n g) (k 2t+8, n g), C (g, 2t..) (g+8, 2t..)
// (PTX ISA fragment layouts; KernelEmulationTest runs this kernel on the CPU). Rows padded by 8 halves
// so the 8 rows g of a fragment load fall in distinct banks.
__global__ void __launch_bounds__(128) re_gemm_bf16(const __nv_bfloat16* X, const __nv_bfloat16* W, const float* bias,
                                                    float* Y, int M, int N, int K, int accumulate) {
    constexpr int BK = 32, LD = BK + 8;
    __shared__ __align__(16) __nv_bfloat16 As[GEMM_BM][LD];
    __shared__ __align__(16) __nv_bfloat16 Bs[GEMM_BN][LD];
    const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    const int m0 = blockIdx.y * GEMM_BM, n0 = blockIdx.x * GEMM_BN;
    const int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
    const __nv_bfloat16 zero = __float2bfloat16(0.f);
    float c[2][4][4] = {};
    for (int k0 = 0; k0 < K; k0 += BK) {
        for (int idx = tid; idx < GEMM_BM * BK; idx += 128) {
            const int row = idx / BK, k = idx % BK;
            As[row][k] = (m0 + row < M && k0 + k < K) ? X[(size_t)(m0 + row) * K + k0 + k] : zero;
            Bs[row][k] = (n0 + row < N && k0 + k < K) ? W[(size_t)(n0 + row) * K + k0 + k] : zero;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            uint32_t a[2][4], b[4][2];
#pragma unroll
            for (int i = 0; i < 2; ++i) {
                const int r = wm + 16 * i + g;
                a[i][0] = *reinterpret_cast<const uint32_t*>(&As[r][kk + 2 * t]);
                a[i][1] = *reinterpret_cast<const uint32_t*>(&As[r + 8][kk + 2 * t]);
                a[i][2] = *reinterpret_cast<const uint32_t*>(&As[r][kk + 2 * t + 8]);
                a[i][3] = *reinterpret_cast<const uint32_t*>(&As[r + 8][kk + 2 * t + 8]);
            }
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                const int n = wn + 8 * j + g;
                b[j][0] = *reinterpret_cast<const uint32_t*>(&Bs[n][kk + 2 * t]);
                b[j][1] = *reinterpret_cast<const uint32_t*>(&Bs[n][kk + 2 * t + 8]);
            }
#pragma unroll
            for (int i = 0; i < 2; ++i) {
#pragma unroll
                for (int j = 0; j < 4; ++j) {
#ifdef __CUDACC__
                    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                                 : "+f"(c[i][j][0]), "+f"(c[i][j][1]), "+f"(c[i][j][2]), "+f"(c[i][j][3])
                                 : "r"(a[i][0]), "r"(a[i][1]), "r"(a[i][2]), "r"(a[i][3]), "r"(b[j][0]), "r"(b[j][1]));
#else
                    // Compiled for the host: the emulated instruction (src/test/cuda/cuda_emulation.h).
                    ra_emu::mma_m16n8k16<__nv_bfloat16>(c[i][j], a[i], b[j][0], b[j][1]);
#endif
                }
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 2; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int m = m0 + wm + 16 * i + g + 8 * (e >> 1), n = n0 + wn + 8 * j + 2 * t + (e & 1);
                if (m < M && n < N) {
                    float* y = Y + (size_t)m * N + n;
                    *y = (accumulate ? *y : 0.f) + c[i][j][e] + bias[n];
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
