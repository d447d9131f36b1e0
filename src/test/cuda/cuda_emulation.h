// CUDA on the CPU: enough of it to compile the real kernels of src/main/cuda with g++ and run them in a
// unit test (kernel_check.cpp, run by KernelEmulationTest). Include it once, in the one translation unit
// that includes the .cu sources; their #include <cuda_bf16.h> and <cuda_fp16.h> land on the two shims
// beside this file. x86-64 Linux, g++ -std=c++20 -fno-strict-aliasing -fno-extern-tls-init.
//
// Emulated
// - Launches (RA_LAUNCH): the blocks of the grid one after another; the threads of a block as fibers on
//   one OS thread (own stacks, switched by ra_emu_switch below: 30 ns for a fiber's round trip to the
//   scheduler, measured against 2.8 us with ucontext's swapcontext, a system call each way, and far more
//   for 128 OS threads meeting at barriers on 2 cores). One warp runs until all its lanes wait at
//   __syncthreads, then the next, in alternating directions, so that a missing barrier shows up as a read
//   of data not yet written (or already overwritten) whichever side of it the other warp is. Lanes, too,
//   run one at a time until they block: code that counts on the lanes of a warp running in step between
//   two collectives (not promised since sm_70's independent thread scheduling) fails here.
// - Global memory is the host's; kernel_check.cpp fences each buffer with inaccessible pages.
// - __syncthreads: every thread of the block meets. Threads meeting from different source lines (a
//   barrier in divergent code), a barrier after threads exited, and deadlock are reported as errors.
// - Warp collectives (__shfl_sync, __shfl_up/down/xor_sync, __ballot_sync, __all_sync, __any_sync,
//   __syncwarp, ldmatrix, mma): the 32 lanes meet at a per-warp exchange, as the PTX ISA's .sync/.aligned
//   semantics require; lanes that meet from different source lines are an error. Full-warp masks only.
// - __shared__: thread_local (the one storage class valid both for a block-scope array and for `extern
//   __shared__`), so the executable's TLS block is the shared memory of the block being run. It is
//   filled with 0xFF (NaN as fp32, bf16 and fp16) before every block; dynamic shared memory is one
//   arena that the kernels' `extern __shared__` arrays alias (RA_EMU_DYNAMIC_SHARED), and bytes past the
//   launch's size must still hold 0xFF when the block ends.
// - mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}.{bf16,f16}.f32, ldmatrix.sync.aligned.m8n8.x4
//   (.trans).shared.b16, cp.async.cg.shared.global (16 bytes, zero fill) with commit_group/wait_group:
//   fragment layouts of the PTX ISA (sections "Matrix Fragments for mma.m16n8k16 with floating point
//   type", "ldmatrix", "cp.async"). Shared addresses must lie in the launch's shared memory, 16-byte aligned.
//   cp.async writes its destination when a wait_group covers it; until then the 16 bytes hold 0xFF, so a
//   read before the wait is a read of NaN.
// - bf16 and fp16 conversions rounded to nearest even, NaN to the canonical 0x7FFF (cuda_bf16.h and
//   cuda_fp16.h's own host code does the same); math functions from libm.
//
// Not emulated (and why)
// - Tensor-core rounding: the PTX ISA leaves the order and precision of the additions inside an mma
//   unspecified; here the 16 products (exact in double) and C are summed in double and rounded once to
//   fp32, so results may differ from hardware in the last bits of fp32. Tests state tolerances that
//   cover either.
// - Concurrency between blocks and the memory model beyond barriers (no atomics, fences, clusters): the
//   kernels here have no inter-block communication.
// - Partial warp masks and warps shorter than 32 lanes: the kernels use neither.
// - Device-side math precision: libm's exp2f, erff etc. are at least as accurate as CUDA's (<= 2 ulp).
// - Launch limits other than threads per block, whole warps and the 227 KB of dynamic shared memory of
//   sm_90 (registers, occupancy, the 48 KB opt-in) and timing: those need the GPU (bench/gpu-check.sh).
#pragma once

#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bit>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <source_location>
#include <tuple>
#include <type_traits>
#include <vector>

#if !defined(__x86_64__) || !defined(__linux__)
#error "cuda_emulation.h switches fibers with x86-64 assembly and finds shared memory through Linux's TLS layout"
#endif

// ---------------------------------------------------------------------------------------------
// Qualifiers and built-in types
// ---------------------------------------------------------------------------------------------

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ thread_local

struct uint3 {
    unsigned x, y, z;
};

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1) : x(x), y(y), z(z) {}
};

struct __align__(8) float2 {
    float x, y;
};
struct __align__(16) float4 {
    float x, y, z, w;
};
struct __align__(16) int4 {
    int x, y, z, w;
};

inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }

constexpr int warpSize = 32;

// The running thread's coordinates, set by the scheduler before it resumes a fiber.
inline uint3 threadIdx;
inline uint3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;

// CUDA's integer min/max overloads (device code calls them unqualified).
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }

// The intrinsics' host meaning: libm is at least as accurate as the device's approximations.
inline float rsqrtf(float x) { return 1.f / sqrtf(x); }
inline float __expf(float x) { return expf(x); }
inline float __fdividef(float x, float y) { return x / y; }

// ---------------------------------------------------------------------------------------------
// bf16 and fp16: 16-bit patterns, converted with round to nearest even as cvt.rn does
// ---------------------------------------------------------------------------------------------

struct __nv_bfloat16 {
    unsigned short __x;
};
struct __align__(4) __nv_bfloat162 {
    __nv_bfloat16 x, y;
};
struct __half {
    unsigned short __x;
};
struct __align__(4) __half2 {
    __half x, y;
};

namespace ra_emu {

constexpr unsigned short CANONICAL_NAN16 = 0x7FFF;

// Keep the top 16 bits, adding half an ulp of bf16 (less one when the kept part is even: ties to even).
// A carry out of the mantissa bumps the exponent, up to infinity, as rounding must.
inline unsigned short float_to_bf16_bits(float f) {
    const uint32_t u = std::bit_cast<uint32_t>(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) {
        return CANONICAL_NAN16;
    }
    return static_cast<unsigned short>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

inline float bf16_bits_to_float(unsigned short h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

// Rounds the integer m (the significand bits being dropped are its low `shift` bits) to nearest even.
inline uint32_t round_shift_even(uint32_t m, int shift) {
    const uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    return q + (rem > half || (rem == half && (q & 1u)));
}

// IEEE binary16: 5 exponent bits (bias 15), 10 mantissa bits; below 2^-14 subnormal in steps of 2^-24.
inline unsigned short float_to_half_bits(float f) {
    const uint32_t u = std::bit_cast<uint32_t>(f), a = u & 0x7FFFFFFFu;
    const unsigned short sign = static_cast<unsigned short>((u >> 16) & 0x8000u);
    if (a > 0x7F800000u) {
        return CANONICAL_NAN16;
    }
    if (a >= 0x477FF000u) {  // 65520 and up round to infinity (65520 is the tie between 65504 and 2^16)
        return sign | 0x7C00u;
    }
    const int e = static_cast<int>(a >> 23);
    if (e >= 113) {  // normal in fp16: rebias the exponent (127 - 15 = 112) and round away 13 bits
        return sign | static_cast<unsigned short>(round_shift_even(a - (112u << 23), 13));
    }
    // Subnormal in fp16: the value is m 2^(e - 150), counted in units of 2^-24; below 2^-25 it is 0.
    const int shift = 126 - e;
    if (e == 0 || shift > 24) {
        return sign;
    }
    return sign | static_cast<unsigned short>(round_shift_even((a & 0x7FFFFFu) | 0x800000u, shift));
}

// Exact: a normal value moves its exponent (bias 15 -> 127) and mantissa into fp32's fields; a
// subnormal one is m 2^-24, a product exact in fp32.
inline float half_bits_to_float(unsigned short h) {
    const uint32_t sign = (h & 0x8000u) << 16, e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
    if (e == 0) {
        const float v = static_cast<float>(m) * 0x1p-24f;
        return sign ? -v : v;
    }
    if (e == 31) {
        return std::bit_cast<float>(sign | 0x7F800000u | (m << 13));
    }
    return std::bit_cast<float>(sign | ((e + 112) << 23) | (m << 13));
}

inline float to_float(__nv_bfloat16 x) { return bf16_bits_to_float(x.__x); }
inline float to_float(__half x) { return half_bits_to_float(x.__x); }

}  // namespace ra_emu

inline __nv_bfloat16 __float2bfloat16_rn(float f) { return {ra_emu::float_to_bf16_bits(f)}; }
inline __nv_bfloat16 __float2bfloat16(float f) { return __float2bfloat16_rn(f); }
inline float __bfloat162float(__nv_bfloat16 x) { return ra_emu::to_float(x); }
inline __nv_bfloat162 __floats2bfloat162_rn(float lo, float hi) { return {__float2bfloat16_rn(lo), __float2bfloat16_rn(hi)}; }
inline float2 __bfloat1622float2(__nv_bfloat162 x) { return {ra_emu::to_float(x.x), ra_emu::to_float(x.y)}; }

inline __half __float2half_rn(float f) { return {ra_emu::float_to_half_bits(f)}; }
inline __half __float2half(float f) { return __float2half_rn(f); }
inline float __half2float(__half x) { return ra_emu::to_float(x); }
inline __half2 __floats2half2_rn(float lo, float hi) { return {__float2half_rn(lo), __float2half_rn(hi)}; }
inline float2 __half22float2(__half2 x) { return {ra_emu::to_float(x.x), ra_emu::to_float(x.y)}; }

// ---------------------------------------------------------------------------------------------
// Fibers: a block's threads
// ---------------------------------------------------------------------------------------------

// Saves the callee-saved registers of the System V ABI and the stack pointer in *from, continues on `to`.
// A new fiber's stack holds six zero registers and the address of fiber_main as the return address.
extern "C" void ra_emu_switch(void** from, void* to);
asm(R"(
    .text
    .p2align 4
    .globl ra_emu_switch
    .type ra_emu_switch, @function
ra_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size ra_emu_switch, .-ra_emu_switch
)");

// Dynamic shared memory: the opt-in maximum per block of sm_90.
constexpr size_t MAX_DYNAMIC_SHARED = 227 * 1024;
extern "C" {
alignas(16) thread_local unsigned char ra_emu_dynamic_shared[MAX_DYNAMIC_SHARED];
}

// Defines a kernel's `extern __shared__ T name[]` as the dynamic shared memory of the launch. Use at
// namespace scope after including the .cu, in the namespace the kernel declares it in.
#define RA_EMU_DYNAMIC_SHARED(T, name) extern thread_local T name[] __attribute__((alias("ra_emu_dynamic_shared")))

namespace ra_emu {

constexpr int WARP = 32;
constexpr unsigned MAX_THREADS = 1024;
constexpr size_t STACK_BYTES = 256 * 1024;
constexpr unsigned char POISON = 0xFF;

// One cp.async in flight: where it lands, what it reads, in which commit group.
struct Copy {
    unsigned char* dst;
    const unsigned char* src;
    int src_size;
    uint64_t group;
};

struct Fiber {
    enum State { RUNNING, WAIT_BLOCK, WAIT_WARP, DONE };
    void* sp = nullptr;
    unsigned char* stack = nullptr;  // STACK_BYTES above a guard page
    State state = RUNNING;
    uint64_t gen = 0;  // generation of the barrier it waits at
    uint3 idx{};
    unsigned linear = 0;
    std::vector<Copy> copies;  // issued, not yet written, in issue order
    uint64_t open_group = 0;   // the group that cp.async.commit_group will close
};

// One slot per lane of what it hands to a warp collective; two rows, used by alternate collectives, so
// that a fast lane's next deposit never overwrites what a slow lane has still to read.
struct alignas(8) Slot {
    unsigned char bytes[48];
};

struct Warp {
    unsigned arrived = 0;
    unsigned live = 0;
    uint64_t gen = 0;
    std::source_location site;
    Slot slots[2][WARP];
};

struct Launch {
    const char* kernel;
    dim3 grid, block;
    size_t shared_bytes;
    void (*body)(void*);
    void* args;
};

// The state of the one block being run (the emulator runs one at a time, on one OS thread).
struct Machine {
    const Launch* launch = nullptr;
    unsigned threads = 0;
    std::vector<Fiber> fibers;
    std::vector<Warp> warps;
    Fiber* current = nullptr;
    void* scheduler_sp = nullptr;
    unsigned arrived = 0;
    unsigned live = 0;
    uint64_t gen = 0;
    std::source_location site;
    unsigned char* tls_begin = nullptr;
    unsigned char* tls_end = nullptr;
};
inline Machine machine;

inline void describe_position(FILE* out) {
    const Launch* l = machine.launch;
    if (l) {
        std::fprintf(out, "%s, block (%u,%u,%u)", l->kernel, blockIdx.x, blockIdx.y, blockIdx.z);
        if (machine.current) {
            std::fprintf(out, ", thread %u", machine.current->linear);
        }
        std::fputs(": ", out);
    }
}

[[noreturn]] __attribute__((format(printf, 1, 2))) inline void fail(const char* fmt, ...) {
    std::fflush(stdout);
    std::fputs("cuda emulation: ", stderr);
    describe_position(stderr);
    va_list args;
    va_start(args, fmt);
    std::vfprintf(stderr, fmt, args);
    va_end(args);
    std::fputc('\n', stderr);
    std::fflush(stderr);
    std::_Exit(3);
}

inline bool same_site(const std::source_location& a, const std::source_location& b) {
    return a.line() == b.line() && a.column() == b.column() && std::strcmp(a.file_name(), b.file_name()) == 0;
}

// An out-of-bounds access hits a guard page (device buffers, fiber stacks): say where it happened.
inline void report_crash(int sig) {
    std::fflush(stdout);
    std::fprintf(stderr, "cuda emulation: %s in ", strsignal(sig));
    describe_position(stderr);
    std::fputs("an access outside the buffers (guard page) or a fiber's stack overflowed\n", stderr);
    std::fflush(stderr);
    std::_Exit(4);
}

inline void install_crash_report() {
    static unsigned char alt[64 * 1024];
    stack_t ss{};
    ss.ss_sp = alt;
    ss.ss_size = sizeof alt;
    sigaltstack(&ss, nullptr);
    struct sigaction sa{};
    sa.sa_handler = report_crash;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
}

// The executable's TLS block on this thread: the __shared__ variables and the dynamic arena, nothing else
// (the emulator and the driver declare no thread_local of their own).
inline void find_shared_memory() {
    void* self = dlopen(nullptr, RTLD_NOW);
    void* block = nullptr;
    if (!self || dlinfo(self, RTLD_DI_TLS_DATA, &block) != 0 || !block) {
        fail("cannot find the executable's TLS block (dlinfo: %s)", dlerror());
    }
    size_t size = 0;
    dl_iterate_phdr([](dl_phdr_info* info, size_t, void* out) {
        for (int i = 0; i < info->dlpi_phnum; ++i) {
            if (info->dlpi_phdr[i].p_type == PT_TLS) {
                *static_cast<size_t*>(out) = info->dlpi_phdr[i].p_memsz;
            }
        }
        return 1;  // the first object is the executable
    }, &size);
    machine.tls_begin = static_cast<unsigned char*>(block);
    machine.tls_end = machine.tls_begin + size;
    if (ra_emu_dynamic_shared < machine.tls_begin || ra_emu_dynamic_shared + MAX_DYNAMIC_SHARED > machine.tls_end) {
        fail("the dynamic shared arena is not inside the executable's TLS block");
    }
}

inline void check_shared(const void* p, size_t bytes, const char* what) {
    const auto* a = static_cast<const unsigned char*>(p);
    const unsigned char* dyn = ra_emu_dynamic_shared;
    const bool in_dynamic = a >= dyn && a + bytes <= dyn + machine.launch->shared_bytes;
    const bool in_static = a >= machine.tls_begin && a + bytes <= machine.tls_end
                           && (a + bytes <= dyn || a >= dyn + MAX_DYNAMIC_SHARED);
    if (!in_dynamic && !in_static) {
        fail("%s: %p is not in the block's shared memory (%zu bytes of dynamic shared memory at %p)", what, p,
             machine.launch->shared_bytes, static_cast<const void*>(dyn));
    }
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) {
        fail("%s: %p is not 16-byte aligned", what, p);
    }
}

inline void yield() {
    ra_emu_switch(&machine.current->sp, machine.scheduler_sp);
}

// Writes the copies of every group before `limit` (cp.async.wait_group's completion).
inline void complete_copies(Fiber& f, uint64_t limit) {
    size_t n = 0;
    for (; n < f.copies.size() && f.copies[n].group < limit; ++n) {
        const Copy& c = f.copies[n];
        std::memcpy(c.dst, c.src, c.src_size);
        std::memset(c.dst + c.src_size, 0, 16 - c.src_size);
    }
    f.copies.erase(f.copies.begin(), f.copies.begin() + n);
}

inline void block_barrier(std::source_location at) {
    Fiber& f = *machine.current;
    if (machine.live != machine.threads) {
        fail("__syncthreads at %s:%u after %u threads of the block exited (undefined in CUDA)", at.file_name(),
             at.line(), machine.threads - machine.live);
    }
    if (machine.arrived == 0) {
        machine.site = at;
    } else if (!same_site(machine.site, at)) {
        fail("__syncthreads at %s:%u while other threads wait at %s:%u (a barrier in divergent code)", at.file_name(),
             at.line(), machine.site.file_name(), machine.site.line());
    }
    f.gen = machine.gen;
    if (++machine.arrived == machine.threads) {
        machine.arrived = 0;
        ++machine.gen;
        return;
    }
    f.state = Fiber::WAIT_BLOCK;
    yield();
    f.state = Fiber::RUNNING;
}

inline Warp& my_warp() { return machine.warps[machine.current->linear / WARP]; }
inline unsigned my_lane() { return machine.current->linear % WARP; }

inline void warp_barrier(std::source_location at) {
    Fiber& f = *machine.current;
    Warp& w = my_warp();
    if (w.live != WARP) {
        fail("warp collective at %s:%u after %u lanes of the warp exited", at.file_name(), at.line(), WARP - w.live);
    }
    if (w.arrived == 0) {
        w.site = at;
    } else if (!same_site(w.site, at)) {
        fail("warp collective at %s:%u while other lanes wait at %s:%u (divergent lanes)", at.file_name(), at.line(),
             w.site.file_name(), w.site.line());
    }
    f.gen = w.gen;
    if (++w.arrived == WARP) {
        w.arrived = 0;
        ++w.gen;
        return;
    }
    f.state = Fiber::WAIT_WARP;
    yield();
    f.state = Fiber::RUNNING;
}

// Deposits this lane's input, waits for the warp, and returns every lane's input of this collective.
template <typename In>
const Slot* exchange(const In& mine, std::source_location at) {
    static_assert(sizeof(In) <= sizeof(Slot) && std::is_trivially_copyable_v<In>);
    Warp& w = my_warp();
    Slot* row = w.slots[w.gen & 1];
    std::memcpy(row[my_lane()].bytes, &mine, sizeof(In));
    warp_barrier(at);
    return row;
}

template <typename In>
In slot_as(const Slot& s) {
    In v;
    std::memcpy(&v, s.bytes, sizeof(In));
    return v;
}

inline void check_full_mask(unsigned mask, std::source_location at) {
    if (mask != 0xFFFFFFFFu) {
        fail("mask 0x%08x at %s:%u: only full-warp masks are emulated", mask, at.file_name(), at.line());
    }
}

[[noreturn]] inline void fiber_main() {
    Fiber& f = *machine.current;
    machine.launch->body(machine.launch->args);
    complete_copies(f, UINT64_MAX);
    --machine.live;
    if (machine.arrived > 0) {
        fail("thread exited while %u threads wait at __syncthreads at %s:%u", machine.arrived, machine.site.file_name(),
             machine.site.line());
    }
    Warp& w = my_warp();
    --w.live;
    if (w.arrived > 0) {
        fail("thread exited while %u lanes of its warp wait at %s:%u", w.arrived, w.site.file_name(), w.site.line());
    }
    f.state = Fiber::DONE;
    yield();
    __builtin_unreachable();
}

inline void start_fiber(Fiber& f) {
    if (!f.stack) {
        const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
        void* m = mmap(nullptr, STACK_BYTES + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || mprotect(m, page, PROT_NONE) != 0) {
            fail("cannot map a fiber stack of %zu bytes", STACK_BYTES);
        }
        f.stack = static_cast<unsigned char*>(m) + page;
    }
    // At a function's entry rsp + 8 is 16-byte aligned: fiber_main is "returned" into with rsp at top - 8.
    auto** sp = reinterpret_cast<void**>(f.stack + STACK_BYTES);
    *--sp = nullptr;
    *--sp = reinterpret_cast<void*>(&fiber_main);
    for (int i = 0; i < 6; ++i) {
        *--sp = nullptr;
    }
    f.sp = sp;
    f.state = Fiber::RUNNING;
    f.copies.clear();
    f.open_group = 0;
}

inline bool runnable(const Fiber& f) {
    switch (f.state) {
        case Fiber::RUNNING:
            return true;
        case Fiber::WAIT_BLOCK:
            return machine.gen != f.gen;
        case Fiber::WAIT_WARP:
            return machine.warps[f.linear / WARP].gen != f.gen;
        case Fiber::DONE:
            break;
    }
    return false;
}

[[noreturn]] inline void report_deadlock() {
    machine.current = nullptr;
    std::fflush(stdout);
    std::fputs("cuda emulation: ", stderr);
    describe_position(stderr);
    std::fputs("deadlock; threads waiting:\n", stderr);
    int shown = 0;
    for (const Fiber& f : machine.fibers) {
        if (f.state == Fiber::WAIT_BLOCK || f.state == Fiber::WAIT_WARP) {
            const std::source_location& s = f.state == Fiber::WAIT_BLOCK ? machine.site : machine.warps[f.linear / WARP].site;
            std::fprintf(stderr, "  thread %u at %s %s:%u\n", f.linear, f.state == Fiber::WAIT_BLOCK ? "__syncthreads" : "a warp collective",
                         s.file_name(), s.line());
            if (++shown == 8) {
                break;
            }
        }
    }
    std::fflush(stderr);
    std::_Exit(3);
}

inline void run_block() {
    const unsigned n = machine.threads, bx = blockDim.x, by = blockDim.y;
    std::memset(machine.tls_begin, POISON, machine.tls_end - machine.tls_begin);
    for (unsigned t = 0; t < n; ++t) {
        Fiber& f = machine.fibers[t];
        start_fiber(f);
        f.linear = t;
        f.idx = {t % bx, t / bx % by, t / (bx * by)};
    }
    for (Warp& w : machine.warps) {
        w.arrived = 0;
        w.live = WARP;
        w.gen = 0;
    }
    machine.arrived = 0;
    machine.live = n;
    machine.gen = 0;
    // One warp at a time: a warp runs (its lanes meeting at their collectives) until every lane waits at
    // __syncthreads or is done, then the next; warps and lanes in alternating directions. Warps thus
    // drift as far apart as the barriers allow, so a missing __syncthreads lets one warp overwrite or read
    // shared memory while another is a whole phase behind, instead of one collective.
    const unsigned warps = n / WARP;
    unsigned done = 0;
    bool lanes_forward = true;
    for (bool forward = true; done < n; forward = !forward) {
        bool ran = false;
        for (unsigned k = 0; k < warps; ++k) {
            const unsigned w = forward ? k : warps - 1 - k;
            for (bool progress = true; progress; lanes_forward = !lanes_forward) {
                progress = false;
                for (unsigned lane = 0; lane < WARP; ++lane) {
                    Fiber& f = machine.fibers[w * WARP + (lanes_forward ? lane : WARP - 1 - lane)];
                    if (!runnable(f)) {
                        continue;
                    }
                    machine.current = &f;
                    threadIdx = f.idx;
                    ra_emu_switch(&machine.scheduler_sp, f.sp);
                    ran = progress = true;
                    done += f.state == Fiber::DONE;
                }
            }
        }
        if (!ran) {
            report_deadlock();
        }
    }
    machine.current = nullptr;
    const unsigned char* dyn = ra_emu_dynamic_shared;
    for (size_t i = machine.launch->shared_bytes; i < MAX_DYNAMIC_SHARED; ++i) {
        if (dyn[i] != POISON) {
            fail("wrote byte %zu of dynamic shared memory; the launch gave %zu", i, machine.launch->shared_bytes);
        }
    }
}

inline void run(const Launch& l) {
    if (!machine.tls_begin) {
        find_shared_memory();
    }
    machine.launch = &l;
    const unsigned n = l.block.x * l.block.y * l.block.z;
    if (n == 0 || n > MAX_THREADS || n % WARP != 0) {
        fail("%u threads per block: the emulator runs 32 to %u threads in whole warps", n, MAX_THREADS);
    }
    if (l.shared_bytes > MAX_DYNAMIC_SHARED) {
        fail("%zu bytes of dynamic shared memory, over the %zu of sm_90", l.shared_bytes, MAX_DYNAMIC_SHARED);
    }
    if (l.grid.x == 0 || l.grid.y == 0 || l.grid.z == 0) {
        fail("empty grid (%u,%u,%u): cuLaunchKernel refuses it", l.grid.x, l.grid.y, l.grid.z);
    }
    machine.threads = n;
    if (machine.fibers.size() < n) {
        machine.fibers.resize(n);
    }
    machine.warps.resize(n / WARP);
    blockDim = l.block;
    gridDim = l.grid;
    for (unsigned z = 0; z < l.grid.z; ++z) {
        for (unsigned y = 0; y < l.grid.y; ++y) {
            for (unsigned x = 0; x < l.grid.x; ++x) {
                blockIdx = {x, y, z};
                run_block();
            }
        }
    }
    machine.launch = nullptr;
}

// Runs kernel<<<grid, block, shared_bytes>>>(args...) and returns when every block is done.
template <typename... P, typename... A>
void launch(const char* name, void (*kernel)(P...), dim3 grid, dim3 block, size_t shared_bytes, A... args) {
    static_assert(sizeof...(P) == sizeof...(A), "argument count differs from the kernel's");
    struct Call {
        void (*kernel)(P...);
        std::tuple<P...> params;
    } call{kernel, std::tuple<P...>(static_cast<P>(args)...)};
    const Launch l{name, grid, block, shared_bytes, [](void* c) {
                       auto* call = static_cast<Call*>(c);
                       std::apply(call->kernel, call->params);
                   }, &call};
    run(l);
}

// ---------------------------------------------------------------------------------------------
// Warp shuffles and votes (PTX ISA "shfl.sync", "vote.sync")
// ---------------------------------------------------------------------------------------------

enum class ShflMode { UP, DOWN, BFLY, IDX };

// shfl.sync's lane selection: CUDA's width w becomes c = ((32 - w) << 8) | clamp, clamp = 0 for up and
// 31 otherwise; segmask = c[12:8], maxLane = (lane & segmask) | (clamp & ~segmask); a source lane
// outside [minLane, maxLane] of the lane's segment gives the lane its own value.
template <typename T>
T shfl(ShflMode mode, unsigned mask, T var, int b, int width, std::source_location at) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>);
    check_full_mask(mask, at);
    if (width < 1 || width > WARP || (width & (width - 1)) != 0) {
        fail("shuffle width %d at %s:%u: a power of two up to 32 is required", width, at.file_name(), at.line());
    }
    const Slot* in = exchange(var, at);
    const int lane = static_cast<int>(my_lane()), segmask = WARP - width, bv = b & 31;
    const int clamp = mode == ShflMode::UP ? 0 : 31, max_lane = (lane & segmask) | (clamp & ~segmask);
    int j = lane;
    bool ok = false;
    switch (mode) {
        case ShflMode::UP:
            j = lane - bv;
            ok = j >= max_lane;
            break;
        case ShflMode::DOWN:
            j = lane + bv;
            ok = j <= max_lane;
            break;
        case ShflMode::BFLY:
            j = lane ^ bv;
            ok = j <= max_lane;
            break;
        case ShflMode::IDX:
            j = (lane & segmask) | (bv & ~segmask);
            ok = j <= max_lane;
            break;
    }
    return slot_as<T>(in[ok ? j : lane]);
}

inline unsigned ballot(unsigned mask, bool pred, std::source_location at) {
    check_full_mask(mask, at);
    const Slot* in = exchange(pred, at);
    unsigned bits = 0;
    for (int l = 0; l < WARP; ++l) {
        bits |= static_cast<unsigned>(slot_as<bool>(in[l])) << l;
    }
    return bits;
}

// ---------------------------------------------------------------------------------------------
// Tensor-core and asynchronous-copy instructions
// ---------------------------------------------------------------------------------------------

// mma.sync.aligned.m16n8k16.row.col.f32.T.T.f32, D = A B + C with C and D in d (PTX ISA, "Matrix
// Fragments for mma.m16n8k16 with floating point type"): groupID g = lane >> 2, threadID_in_group
// t = lane % 4. A (16 x 16, row-major) a0..a7 two per register: row g for a0,a1,a4,a5 and g + 8 for the
// others, column 2t + (i & 1), plus 8 for a4..a7; so register r holds row g + 8 (r & 1), columns
// 8 (r >> 1) + 2t, +1. B (16 x 8, column-major) b0..b3: row (k) 2t + (i & 1), plus 8 for b2, b3, column
// g. C, D (16 x 8) c0..c3: row g, g, g + 8, g + 8, column 2t + (i & 1). Lower half of a register first.
template <typename T>
void mma_m16n8k16(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1,
                  std::source_location at = std::source_location::current()) {
    struct In {
        uint32_t a[4], b[2];
    };
    const Slot* in = exchange(In{{a[0], a[1], a[2], a[3]}, {b0, b1}}, at);
    auto lane_in = [&](int l) -> const In& { return *reinterpret_cast<const In*>(in[l].bytes); };
    auto element = [](uint32_t reg, int k) { return ra_emu::to_float(T{static_cast<unsigned short>(reg >> (16 * (k & 1)))}); };
    const int lane = static_cast<int>(my_lane()), g = lane >> 2, t = lane & 3;
    // This lane's rows g, g + 8 of A and columns 2t, 2t + 1 of B; element k of them sits in lane
    // 4 (row or column % 8) + (k % 8) / 2.
    float arow[2][16], bcol[2][16];
    for (int k = 0; k < 16; ++k) {
        for (int h = 0; h < 2; ++h) {
            arow[h][k] = element(lane_in(g * 4 + (k & 7) / 2).a[h + 2 * (k >> 3)], k);
            bcol[h][k] = element(lane_in((2 * t + h) * 4 + (k & 7) / 2).b[k >> 3], k);
        }
    }
    for (int e = 0; e < 4; ++e) {
        double sum = d[e];
        for (int k = 0; k < 16; ++k) {
            sum += static_cast<double>(arow[e >> 1][k]) * bcol[e & 1][k];
        }
        d[e] = static_cast<float>(sum);
    }
}

// ldmatrix.sync.aligned.m8n8.x4[.trans].shared.b16 (PTX ISA "ldmatrix"): lanes 8i .. 8i+7 give the
// addresses of rows 0..7 of matrix i (8 b16 values, 16 bytes each); lane l receives in register i the
// elements (l / 4, 2 (l % 4)) and (l / 4, 2 (l % 4) + 1) of matrix i, or with .trans the elements
// (2 (l % 4), l / 4) and (2 (l % 4) + 1, l / 4).
inline void ldmatrix_x4(uint32_t r[4], const void* row_address, bool trans,
                        std::source_location at = std::source_location::current()) {
    check_shared(row_address, 16, trans ? "ldmatrix.trans row address" : "ldmatrix row address");
    const Slot* in = exchange(row_address, at);
    const int lane = static_cast<int>(my_lane());
    auto value = [&](int matrix, int row, int col) {
        uint16_t v;
        std::memcpy(&v, static_cast<const unsigned char*>(slot_as<const void*>(in[8 * matrix + row])) + 2 * col, 2);
        return static_cast<uint32_t>(v);
    };
    for (int i = 0; i < 4; ++i) {
        const int p = lane >> 2, q = 2 * (lane & 3);
        r[i] = trans ? value(i, q, p) | value(i, q + 1, p) << 16 : value(i, p, q) | value(i, p, q + 1) << 16;
    }
}

// cp.async.cg.shared.global [dst], [src], 16, src_size (PTX ISA "cp.async"): copies src_size bytes and
// fills the rest of the 16 with zeros, asynchronously: the destination is undefined (here 0xFF) until
// a cp.async.wait_group covers the copy's group.
inline void cp_async_cg16(void* dst, const void* src, int src_size) {
    if (src_size < 0 || src_size > 16) {
        fail("cp.async of %d source bytes into 16", src_size);
    }
    check_shared(dst, 16, "cp.async destination");
    if (src_size > 0 && reinterpret_cast<uintptr_t>(src) % 16 != 0) {
        fail("cp.async source %p is not 16-byte aligned", src);
    }
    Fiber& f = *machine.current;
    std::memset(dst, POISON, 16);
    f.copies.push_back({static_cast<unsigned char*>(dst), static_cast<const unsigned char*>(src), src_size, f.open_group});
}

// cp.async.commit_group: the copies issued since the last commit form one group (possibly empty).
inline void cp_async_commit_group() { ++machine.current->open_group; }

// cp.async.wait_group n: every committed group but the n most recent is complete.
inline void cp_async_wait_group(int n) {
    Fiber& f = *machine.current;
    complete_copies(f, f.open_group >= static_cast<uint64_t>(n) ? f.open_group - n : 0);
}

}  // namespace ra_emu

#define RA_LAUNCH(kernel, grid, block, shared_bytes, ...) \
    ::ra_emu::launch(#kernel, kernel, grid, block, shared_bytes, __VA_ARGS__)

// ---------------------------------------------------------------------------------------------
// CUDA's warp intrinsics
// ---------------------------------------------------------------------------------------------

inline void __syncthreads(std::source_location at = std::source_location::current()) { ra_emu::block_barrier(at); }

inline void __syncwarp(unsigned mask = 0xFFFFFFFFu, std::source_location at = std::source_location::current()) {
    ra_emu::check_full_mask(mask, at);
    ra_emu::warp_barrier(at);
}

template <typename T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize,
              std::source_location at = std::source_location::current()) {
    return ra_emu::shfl(ra_emu::ShflMode::IDX, mask, var, src_lane, width, at);
}

template <typename T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize,
                 std::source_location at = std::source_location::current()) {
    return ra_emu::shfl(ra_emu::ShflMode::UP, mask, var, static_cast<int>(delta), width, at);
}

template <typename T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize,
                   std::source_location at = std::source_location::current()) {
    return ra_emu::shfl(ra_emu::ShflMode::DOWN, mask, var, static_cast<int>(delta), width, at);
}

template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize,
                  std::source_location at = std::source_location::current()) {
    return ra_emu::shfl(ra_emu::ShflMode::BFLY, mask, var, lane_mask, width, at);
}

inline unsigned __ballot_sync(unsigned mask, int pred, std::source_location at = std::source_location::current()) {
    return ra_emu::ballot(mask, pred != 0, at);
}

inline int __all_sync(unsigned mask, int pred, std::source_location at = std::source_location::current()) {
    return ra_emu::ballot(mask, pred != 0, at) == mask;
}

inline int __any_sync(unsigned mask, int pred, std::source_location at = std::source_location::current()) {
    return ra_emu::ballot(mask, pred != 0, at) != 0;
}
