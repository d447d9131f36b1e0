// The one argument of every ra_fwd_* kernel, passed by value. Its byte layout is also written by
// org.ringattention.gpu.KernelParams (Java) and bench/gpu_check.py (NumPy): the static_asserts below
// and KernelParamsTest pin the same offsets, so a field moved here fails the build or the test.
#pragma once

#include <stddef.h>

// Bits of AttnParams::flags.
#define RA_CAUSAL 1       // key visible only when its position <= the query's
#define RA_SEGMENTS 2     // key visible only with the query's segment id (q_seg, k_seg non-null)
#define RA_LOAD_STATE 4   // start from the running state in acc, m, l instead of an empty one
#define RA_FINISH 8       // write O = acc / l into acc and LSE into m (l untouched); else write acc, m, l back

// Warps per thread block of the tensor-core kernels: 32 query rows per warp (attention.cu, MMA_WARP_ROWS).
#define RA_MMA_WARPS 4

struct AttnParams {
    const void* q;        // (q_rows, q_heads, head_dim), fp32 / bf16 / fp16 by kernel
    const void* k;        // (k_rows, kv_heads, head_dim)
    const void* v;        // (k_rows, kv_heads, head_dim)
    const int* q_pos;     // (q_rows) global token positions
    const int* k_pos;     // (k_rows)
    const int* q_seg;     // (q_rows) document ids, or null
    const int* k_seg;     // (k_rows) document ids, or null
    const int4* q_tiles;  // per query tile of the kernel's BM: min pos, max pos, min seg, max seg
    const int4* k_tiles;  // per key tile of the kernel's BN
    float* acc;           // (q_rows, q_heads, head_dim) fp32: state in/out, or O out
    float* m;             // (q_heads, q_rows) fp32: running max in/out, or LSE out
    float* l;             // (q_heads, q_rows) fp32: running sum in/out; unused when finishing an empty state
    int q_rows;
    int k_rows;
    int q_heads;
    int kv_heads;
    int head_dim;
    float scale_log2;     // logit scale times log2(e)
    int flags;
    int reserved;
};

static_assert(sizeof(AttnParams) == 128, "AttnParams layout is shared with Java and Python");
static_assert(offsetof(AttnParams, k_tiles) == 64, "AttnParams layout is shared with Java and Python");
static_assert(offsetof(AttnParams, l) == 88, "AttnParams layout is shared with Java and Python");
static_assert(offsetof(AttnParams, q_rows) == 96, "AttnParams layout is shared with Java and Python");
static_assert(offsetof(AttnParams, scale_log2) == 116, "AttnParams layout is shared with Java and Python");
static_assert(offsetof(AttnParams, flags) == 120, "AttnParams layout is shared with Java and Python");
