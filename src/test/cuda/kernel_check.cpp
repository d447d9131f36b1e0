// Runs every kernel of src/main/cuda on the CPU (through cuda_emulation.h) and compares it with float64
// references written from the math, not from the kernels' tilings. Launches mirror the Java host:
// GpuAttentionKernel (device-side conversion, tile bounds per key chunk, the state carried in fp32
// across chunks), GpuAttentionKernel.attentionMass and GpuSentenceEncoder, with the launch shapes that
// LaunchShape computes (read from --shapes, one "function blockM blockN threads sharedBytes" per line).
// Prints one line per case and closes with "N passed, M failed"; exit status 1 when any case failed.
//
//     kernel_check --shapes FILE [--jobs N] [--timeout SECONDS] [--filter TEXT]
//
// Tolerances follow from the arithmetic, with u = 2^-24 (fp32's unit roundoff) and a factor C = 4 over
// the usual random-walk estimate of rounding error (sqrt n u for a sum of n terms, Higham 2002 §3.1):
// a logit q.k of magnitude A = scale sum_e |q_e k_e| is off by C u (sqrt D + 2) A, a sum over S keys or
// queries by C u (sqrt S + tiles + calls); O, a convex combination of V rows, moves by at most twice the
// relative error of its weights times max|v|. bf16 and fp16 inputs are compared against float64 on the
// inputs as rounded, so only the kernel's own error counts, plus P's rounding to the input type before
// P V: its unit roundoff, 2^-8 for bf16 (8 significand bits), 2^-11 for fp16.

#include "cuda_emulation.h"
#include "kernels.cu"
#include "check_harness.h"

#include <algorithm>
#include <cfloat>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace {

// The kernels' `extern __shared__` arrays (attention.cu) and the one of this file's emulator checks.
RA_EMU_DYNAMIC_SHARED(float, smem_f);
RA_EMU_DYNAMIC_SHARED(float, smem_m);
RA_EMU_DYNAMIC_SHARED(unsigned char, smem_raw);
RA_EMU_DYNAMIC_SHARED(float, probe_smem);

}  // namespace

// encoder.cu's kernels are extern "C": their shared arena is a global of C linkage.
extern "C" {
RA_EMU_DYNAMIC_SHARED(unsigned char, gemm_smem);
}

namespace check {
namespace {

constexpr double U = 0x1p-24;
constexpr double C = 4;
constexpr double LOG2E_D = 1.4426950408889634;

// ---------------------------------------------------------------------------------------------
// Rounding and decoding, from the IEEE 754 definitions (independent of cuda_emulation.h's bit tricks)
// ---------------------------------------------------------------------------------------------

// x rounded to a binary format of p significand bits, smallest normal exponent emin and largest finite
// value max, to nearest with ties to even: the quantum at x's exponent (emin at least) times the nearest
// integer (nearbyint in the default rounding mode breaks ties to even); beyond max, infinity.
double round_to_format(double x, int p, int emin, double max) {
    if (!std::isfinite(x) || x == 0) {
        return x;
    }
    const double quantum = std::ldexp(1.0, std::max(std::ilogb(x), emin) - p + 1);
    const double r = std::nearbyint(x / quantum) * quantum;
    return std::fabs(r) > max ? std::copysign(INFINITY, x) : r;
}

double round_bf16(double x) { return round_to_format(x, 8, -126, 0x1.FEp127); }
double round_f16(double x) { return round_to_format(x, 11, -14, 65504); }

double decode_bf16(unsigned short b) {
    float f;
    const uint32_t u = static_cast<uint32_t>(b) << 16;
    std::memcpy(&f, &u, 4);
    return f;
}

double decode_f16(unsigned short b) {
    const int e = (b >> 10) & 31, m = b & 1023;
    const double sign = (b & 0x8000) ? -1 : 1;
    if (e == 31) {
        return m ? NAN : sign * INFINITY;
    }
    return sign * (e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25));
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
    char buf[512];
    va_list a;
    va_start(a, f);
    std::vsnprintf(buf, sizeof buf, f, a);
    va_end(a);
    return buf;
}

// Largest error relative to its tolerance, with the error itself for the report.
struct Worst {
    double err = 0;
    double ratio = 0;

    void add(double got, double want, double tol) {
        const double e = std::isnan(got) ? INFINITY : std::fabs(got - want);
        const double r = e / tol;
        if (!(r <= ratio)) {
            err = e;
            ratio = r;
        }
    }
    bool ok() const { return ratio <= 1; }
    std::string str(const char* what) const { return fmt("%s %.1e (%.2f of tol)", what, err, ratio); }
};

// ---------------------------------------------------------------------------------------------
// Launch shapes from LaunchShape (Java), by kernel function
// ---------------------------------------------------------------------------------------------

using AttnKernel = void (*)(AttnParams);

struct Shape {
    std::string name;
    AttnKernel kernel;
    int bm, bn, threads;
    size_t shared;
};

const std::map<std::string, AttnKernel>& attention_kernels() {
    static const std::map<std::string, AttnKernel> k = {
        {"ra_fwd_f32_d32", ra_fwd_f32_d32},   {"ra_fwd_f32_d64", ra_fwd_f32_d64},   {"ra_fwd_f32_d128", ra_fwd_f32_d128},
        {"ra_fwd_f32_d256", ra_fwd_f32_d256}, {"ra_fwd_f32_d512", ra_fwd_f32_d512}, {"ra_mass_f32_d32", ra_mass_f32_d32},
        {"ra_mass_f32_d64", ra_mass_f32_d64}, {"ra_mass_f32_d128", ra_mass_f32_d128}, {"ra_mass_f32_d256", ra_mass_f32_d256},
        {"ra_mass_f32_d512", ra_mass_f32_d512}, {"ra_fwd_bf16_d64", ra_fwd_bf16_d64}, {"ra_fwd_bf16_d128", ra_fwd_bf16_d128},
        {"ra_fwd_f16_d64", ra_fwd_f16_d64},   {"ra_fwd_f16_d128", ra_fwd_f16_d128},
    };
    return k;
}

std::map<std::string, Shape>& shapes() {
    static std::map<std::string, Shape> s;
    return s;
}

void read_shapes(const char* path) {
    std::ifstream in(path);
    if (!in) {
        ra_emu::fail("cannot read launch shapes from %s", path);
    }
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        Shape s{};
        if (!(f >> s.name >> s.bm >> s.bn >> s.threads >> s.shared)) {
            ra_emu::fail("%s: \"%s\" is not \"function blockM blockN threads sharedBytes\"", path, line.c_str());
        }
        const auto k = attention_kernels().find(s.name);
        if (k == attention_kernels().end()) {
            ra_emu::fail("%s: no kernel %s in attention.cu", path, s.name.c_str());
        }
        s.kernel = k->second;
        shapes()[s.name] = s;
    }
}

// The kernel LaunchShape picks: the narrowest compiled width >= d for prefix "ra_fwd_f32_d" and
// "ra_mass_f32_d", exactly d for the tensor-core kernels.
const Shape& shape_for(const std::string& prefix, int d, bool exact) {
    const Shape* best = nullptr;
    int best_width = INT_MAX;
    for (const auto& [name, s] : shapes()) {
        if (name.rfind(prefix, 0) != 0) {
            continue;
        }
        const int w = std::stoi(name.substr(prefix.size()));
        if ((exact ? w == d : w >= d) && w < best_width) {
            best = &s;
            best_width = w;
        }
    }
    if (!best) {
        ra_emu::fail("no launch shape for %s%d in --shapes (LaunchShape's kernels)", prefix.c_str(), d);
    }
    return *best;
}

// ---------------------------------------------------------------------------------------------
// Attention problems: inputs, float64 reference, tolerances
// ---------------------------------------------------------------------------------------------

enum class Dtype { F32, BF16, F16 };

const char* dtype_name(Dtype t) { return t == Dtype::F32 ? "fp32" : t == Dtype::BF16 ? "bf16" : "fp16"; }

double round_to(Dtype t, double x) { return t == Dtype::BF16 ? round_bf16(x) : t == Dtype::F16 ? round_f16(x) : x; }

// Relative rounding of P before P V (see the header).
double p_rounding(Dtype t) { return t == Dtype::BF16 ? (RA_SPLIT_P ? 0x1p-16 : 0x1p-8) : t == Dtype::F16 ? 0x1p-11 : 0; }

enum class Mode {
    CHUNKS,        // GpuAttentionKernel: empty state in, keys in chunks, state out; finished here
    FINISH,        // GpuSentenceEncoder: one call writes O and LSE, no state read, l untouched
    TWO_CALLS,     // state from a first call over half the keys, handed to a finishing second call
    UNSEEN_KEYS,   // a second call whose keys no query sees must leave the state bit-identical
};

const char* mode_name(Mode m) {
    switch (m) {
        case Mode::CHUNKS:
            return "chunks";
        case Mode::FINISH:
            return "finish";
        case Mode::TWO_CALLS:
            return "two calls";
        case Mode::UNSEEN_KEYS:
            return "unseen keys";
    }
    return "";
}

struct Problem {
    Dtype dtype;
    int sq, sk, hq, hkv, d;
    bool causal;
    int segments;    // document boundaries drawn at random positions; 0 for no segment ids
    int key_offset;  // keys at positions key_offset + j: the first queries see nothing under causal
    bool striped;    // queries at 4i + 1, keys at 4j + 3 (one shard of the ring's striped layout)
    Mode mode;
    int chunk;       // keys per chunk in CHUNKS mode

    std::string describe() const {
        std::string s = fmt("Sq=%d Sk=%d Hq=%d Hkv=%d D=%d", sq, sk, hq, hkv, d);
        if (causal) {
            s += " causal";
        }
        if (segments) {
            s += fmt(" %d cuts", segments);
        }
        if (key_offset) {
            s += fmt(" keys from %d", key_offset);
        }
        if (striped) {
            s += " striped";
        }
        s += std::string(" ") + mode_name(mode);
        if (mode == Mode::CHUNKS) {
            s += fmt(" of %d", chunk);
        }
        return s;
    }
};

struct Inputs {
    std::vector<float> q, k, v;  // (rows, heads, d), fp32 as the host hands them over
    std::vector<int> qpos, kpos, qseg, kseg;
    bool segmented = false;
};

std::vector<float> normals(Rng& rng, size_t n) {
    std::vector<float> x(n);
    for (float& f : x) {
        f = rng.normal();
    }
    return x;
}

Inputs make_inputs(Rng& rng, const Problem& p) {
    Inputs in;
    in.q = normals(rng, static_cast<size_t>(p.sq) * p.hq * p.d);
    in.k = normals(rng, static_cast<size_t>(p.sk) * p.hkv * p.d);
    in.v = normals(rng, static_cast<size_t>(p.sk) * p.hkv * p.d);
    for (int i = 0; i < p.sq; ++i) {
        in.qpos.push_back(p.striped ? 4 * i + 1 : i);
    }
    for (int j = 0; j < p.sk; ++j) {
        int pos = p.striped ? 4 * j + 3 : j + p.key_offset;
        if (p.mode == Mode::UNSEEN_KEYS && j >= p.sk / 2) {
            pos = in.qpos.back() + 1 + j;  // after every query: invisible under the causal mask
        }
        in.kpos.push_back(pos);
    }
    if (p.segments) {
        // Documents of uneven length, by position, so that queries and keys agree on who belongs where.
        const int top = std::max(*std::max_element(in.qpos.begin(), in.qpos.end()), *std::max_element(in.kpos.begin(), in.kpos.end()));
        std::vector<int> cuts;
        while (static_cast<int>(cuts.size()) < p.segments) {
            const int c = 1 + rng.below(top);
            if (std::find(cuts.begin(), cuts.end(), c) == cuts.end()) {
                cuts.push_back(c);
            }
        }
        auto seg = [&](int pos) { return static_cast<int>(std::count_if(cuts.begin(), cuts.end(), [&](int c) { return c <= pos; })); };
        for (int pos : in.qpos) {
            in.qseg.push_back(seg(pos));
        }
        for (int pos : in.kpos) {
            in.kseg.push_back(seg(pos));
        }
        in.segmented = true;
    }
    return in;
}

// TokenIndex's rule: key j is visible to query i in the same document and, if causal, not after it.
bool visible(const Inputs& in, bool causal, int i, int j) {
    return (!causal || in.kpos[j] <= in.qpos[i]) && (!in.segmented || in.kseg[j] == in.qseg[i]);
}

struct Reference {
    std::vector<double> o;    // (sq, hq, d)
    std::vector<double> lse;  // (hq, sq), -inf for a row that sees no key
    std::vector<double> tol_o, tol_lse;  // (hq, sq)
    std::vector<double> logit_mag;       // (hq, sq): max over visible keys of scale sum_e |q_e k_e|
};

// Softmax attention in float64 over the inputs as the kernel sees them (rounded to the input type).
// tiles_and_calls: key tiles the kernel walks plus calls that carry the state in fp32.
Reference reference(const Problem& p, const Inputs& in, double scale, int tiles_and_calls) {
    Reference r;
    r.o.assign(static_cast<size_t>(p.sq) * p.hq * p.d, 0);
    r.lse.assign(static_cast<size_t>(p.hq) * p.sq, -INFINITY);
    r.tol_o.assign(r.lse.size(), 0);
    r.tol_lse.assign(r.lse.size(), 0);
    r.logit_mag.assign(r.lse.size(), 0);
    auto q = [&](int i, int h, int e) { return round_to(p.dtype, in.q[(static_cast<size_t>(i) * p.hq + h) * p.d + e]); };
    auto kv = [&](const std::vector<float>& x, int j, int g, int e) { return round_to(p.dtype, x[(static_cast<size_t>(j) * p.hkv + g) * p.d + e]); };
    std::vector<double> s(p.sk);
    for (int h = 0; h < p.hq; ++h) {
        const int g = h / (p.hq / p.hkv);
        for (int i = 0; i < p.sq; ++i) {
            double mx = -INFINITY, mag = 0, vmax = 0, smax = 0;
            for (int j = 0; j < p.sk; ++j) {
                if (!visible(in, p.causal, i, j)) {
                    continue;
                }
                double dot = 0, abs = 0;
                for (int e = 0; e < p.d; ++e) {
                    dot += q(i, h, e) * kv(in.k, j, g, e);
                    abs += std::fabs(q(i, h, e) * kv(in.k, j, g, e));
                }
                s[j] = scale * dot;
                mx = std::max(mx, s[j]);
                mag = std::max(mag, scale * abs);
                smax = std::max(smax, std::fabs(s[j]));
                for (int e = 0; e < p.d; ++e) {
                    vmax = std::max(vmax, std::fabs(kv(in.v, j, g, e)));
                }
            }
            const size_t row = static_cast<size_t>(h) * p.sq + i;
            if (mx == -INFINITY) {
                continue;
            }
            double l = 0;
            double* o = &r.o[(static_cast<size_t>(i) * p.hq + h) * p.d];
            for (int j = 0; j < p.sk; ++j) {
                if (visible(in, p.causal, i, j)) {
                    const double w = std::exp(s[j] - mx);
                    l += w;
                    for (int e = 0; e < p.d; ++e) {
                        o[e] += w * kv(in.v, j, g, e);
                    }
                }
            }
            for (int e = 0; e < p.d; ++e) {
                o[e] /= l;
            }
            r.lse[row] = mx + std::log(l);
            const double eps_s = C * U * (std::sqrt(p.d) + 2) * mag;
            const double eps_sum = C * U * (std::sqrt(p.sk) + tiles_and_calls);
            r.tol_o[row] = 2 * vmax * (eps_s + eps_sum + p_rounding(p.dtype)) + C * U * vmax;
            r.tol_lse[row] = eps_s + eps_sum + C * U * tiles_and_calls * (std::fabs(r.lse[row]) + smax);
            r.logit_mag[row] = mag;
        }
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// Device-side steps as the Java host launches them
// ---------------------------------------------------------------------------------------------

// GpuAttentionKernel.tileBounds: one warp per tile.
void tile_bounds(const Buffer<int>& pos, const int* seg, int n, int tile, const Buffer<int4>& out) {
    RA_LAUNCH(ra_tile_bounds, dim3((n + tile - 1) / tile), dim3(32), 0, pos.get(), seg, n, tile, out.get());
}

// GpuAttentionKernel.convert: fp32 to bf16 or fp16 on the device, up to 4096 blocks of 256.
void convert(Dtype t, const Buffer<float>& x, const Buffer<unsigned short>& y) {
    const long long n = static_cast<long long>(x.size());
    const dim3 grid(static_cast<unsigned>(std::max(1LL, std::min(4096LL, (n + 255) / 256))));
    if (t == Dtype::BF16) {
        RA_LAUNCH(ra_f32_to_bf16, grid, dim3(256), 0, x.get(), reinterpret_cast<__nv_bfloat16*>(y.get()), n);
    } else {
        RA_LAUNCH(ra_f32_to_f16, grid, dim3(256), 0, x.get(), reinterpret_cast<__half*>(y.get()), n);
    }
}

template <typename T>
std::vector<T> slice(const std::vector<T>& x, size_t from, size_t to) {
    return std::vector<T>(x.begin() + static_cast<std::ptrdiff_t>(from), x.begin() + static_cast<std::ptrdiff_t>(to));
}

// The query side and state of one problem on the device, and the per-call key side.
struct Device {
    const Problem& p;
    const Inputs& in;
    const Shape& shape;
    float scale_log2;
    Buffer<float> q;
    std::optional<Buffer<unsigned short>> q16;
    Buffer<int> qpos;
    std::optional<Buffer<int>> qseg;
    Buffer<int4> qtiles;
    Buffer<float> acc, m, l;

    Device(const Problem& p, const Inputs& in, const Shape& shape, float scale)
        : p(p), in(in), shape(shape), scale_log2(static_cast<float>(scale * LOG2E_D)), q("q", in.q), qpos("q_pos", in.qpos),
          qtiles("q_tiles", static_cast<size_t>((p.sq + shape.bm - 1) / shape.bm)),
          acc("acc", static_cast<size_t>(p.sq) * p.hq * p.d), m("m", static_cast<size_t>(p.hq) * p.sq),
          l("l", static_cast<size_t>(p.hq) * p.sq) {
        if (p.dtype != Dtype::F32) {
            q16.emplace("q16", in.q.size());
            convert(p.dtype, q, *q16);
        }
        if (in.segmented) {
            qseg.emplace("q_seg", in.qseg);
        }
        tile_bounds(qpos, qseg ? qseg->get() : nullptr, p.sq, shape.bm, qtiles);
    }

    void empty_state() const {
        for (size_t i = 0; i < acc.size(); ++i) {
            acc[i] = 0;
        }
        for (size_t i = 0; i < m.size(); ++i) {
            m[i] = -INFINITY;
            l[i] = 0;
        }
    }

    // One launch over keys [from, to), their K, V, positions and tiles in buffers of their own (as a
    // key chunk's slot is).
    void call(int from, int to, int flags) const {
        const size_t w = static_cast<size_t>(p.hkv) * p.d;
        Buffer<float> k("k", slice(in.k, from * w, to * w)), v("v", slice(in.v, from * w, to * w));
        Buffer<int> kpos("k_pos", slice(in.kpos, from, to));
        std::optional<Buffer<int>> kseg;
        if (in.segmented) {
            kseg.emplace("k_seg", slice(in.kseg, from, to));
        }
        std::optional<Buffer<unsigned short>> k16, v16;
        if (p.dtype != Dtype::F32) {
            k16.emplace("k16", k.size());
            v16.emplace("v16", v.size());
            convert(p.dtype, k, *k16);
            convert(p.dtype, v, *v16);
        }
        const int rows = to - from;
        Buffer<int4> ktiles("k_tiles", static_cast<size_t>((rows + shape.bn - 1) / shape.bn));
        tile_bounds(kpos, kseg ? kseg->get() : nullptr, rows, shape.bn, ktiles);
        AttnParams a{};
        a.q = q16 ? static_cast<const void*>(q16->get()) : q.get();
        a.k = k16 ? static_cast<const void*>(k16->get()) : k.get();
        a.v = v16 ? static_cast<const void*>(v16->get()) : v.get();
        a.q_pos = qpos.get();
        a.k_pos = kpos.get();
        a.q_seg = qseg ? qseg->get() : nullptr;
        a.k_seg = kseg ? kseg->get() : nullptr;
        a.q_tiles = qtiles.get();
        a.k_tiles = ktiles.get();
        a.acc = acc.get();
        a.m = m.get();
        a.l = l.get();
        a.q_rows = p.sq;
        a.k_rows = rows;
        a.q_heads = p.hq;
        a.kv_heads = p.hkv;
        a.head_dim = p.d;
        a.scale_log2 = scale_log2;
        a.flags = flags | (p.causal ? RA_CAUSAL : 0) | (in.segmented ? RA_SEGMENTS : 0);
        ra_emu::launch(shape.name.c_str(), shape.kernel, dim3((p.sq + shape.bm - 1) / shape.bm, p.hq), dim3(shape.threads),
                       shape.shared, a);
    }
};

bool same_bits(const Buffer<float>& b, const std::vector<float>& v) {
    return std::memcmp(b.get(), v.data(), v.size() * sizeof(float)) == 0;
}

Outcome run_attention(const Problem& p) {
    Rng rng(seed_of(p.describe() + dtype_name(p.dtype)));
    const Inputs in = make_inputs(rng, p);
    const float scale = static_cast<float>(1 / std::sqrt(static_cast<double>(p.d)));
    const Shape& shape = p.dtype == Dtype::F32 ? shape_for("ra_fwd_f32_d", p.d, false)
                                               : shape_for(std::string("ra_fwd_") + (p.dtype == Dtype::BF16 ? "bf16" : "f16") + "_d", p.d, true);
    Device dev(p, in, shape, scale);
    std::vector<std::string> problems;
    int calls = 1;
    switch (p.mode) {
        case Mode::CHUNKS:
            dev.empty_state();
            calls = 0;
            for (int from = 0; from < p.sk; from += p.chunk) {
                dev.call(from, std::min(p.sk, from + p.chunk), RA_LOAD_STATE);
                ++calls;
            }
            break;
        case Mode::FINISH:
            dev.acc.fill_bytes(ra_emu::POISON);
            dev.m.fill_bytes(ra_emu::POISON);
            dev.l.fill_bytes(ra_emu::POISON);
            dev.call(0, p.sk, RA_FINISH);
            for (size_t i = 0; i < dev.l.size(); ++i) {
                if (std::bit_cast<uint32_t>(dev.l[i]) != 0xFFFFFFFFu) {
                    problems.push_back("finishing wrote l");
                    break;
                }
            }
            break;
        case Mode::TWO_CALLS: {
            dev.empty_state();
            dev.call(0, p.sk / 2, RA_LOAD_STATE);
            const std::vector<float> l1 = dev.l.values();
            dev.call(p.sk / 2, p.sk, RA_LOAD_STATE | RA_FINISH);
            calls = 2;
            if (!same_bits(dev.l, l1)) {
                problems.push_back("finishing changed l");
            }
            break;
        }
        case Mode::UNSEEN_KEYS: {
            dev.empty_state();
            dev.call(0, p.sk / 2, RA_LOAD_STATE);
            const std::vector<float> acc1 = dev.acc.values(), m1 = dev.m.values(), l1 = dev.l.values();
            dev.call(p.sk / 2, p.sk, RA_LOAD_STATE);
            calls = 2;
            if (!same_bits(dev.acc, acc1) || !same_bits(dev.m, m1) || !same_bits(dev.l, l1)) {
                problems.push_back("a call with no visible key changed the state");
            }
            break;
        }
    }
    const int tiles = (p.sk + shape.bn - 1) / shape.bn;
    const Reference ref = reference(p, in, scale, tiles + calls);
    const bool state_out = p.mode == Mode::CHUNKS || p.mode == Mode::UNSEEN_KEYS;
    Worst wo, wl;
    int empty = 0;
    bool empty_ok = true;
    for (int h = 0; h < p.hq; ++h) {
        for (int i = 0; i < p.sq; ++i) {
            const size_t row = static_cast<size_t>(h) * p.sq + i;
            const float* acc = &dev.acc[(static_cast<size_t>(i) * p.hq + h) * p.d];
            const double* want = &ref.o[(static_cast<size_t>(i) * p.hq + h) * p.d];
            const double m = dev.m[row], l = state_out ? dev.l[row] : 1;
            if (ref.lse[row] == -INFINITY) {
                // A row that sees nothing: O = 0 and LSE = -inf (finished), or the empty state (m = -inf, l = 0, acc = 0).
                ++empty;
                bool ok = m == -INFINITY && (!state_out || l == 0);
                for (int e = 0; e < p.d; ++e) {
                    ok = ok && acc[e] == 0;
                }
                empty_ok = empty_ok && ok;
                continue;
            }
            for (int e = 0; e < p.d; ++e) {
                wo.add(acc[e] / l, want[e], ref.tol_o[row]);
            }
            wl.add(state_out ? m + std::log(l) : m, ref.lse[row], ref.tol_lse[row]);
        }
    }
    if (!empty_ok) {
        problems.push_back("a row without visible keys is not O = 0, LSE = -inf");
    }
    std::string detail = fmt("%s %s, %s, %s, %d of %d rows see no key", shape.name.c_str(), p.describe().c_str(),
                             wo.str("dO").c_str(), wl.str("dLSE").c_str(), empty, p.sq * p.hq);
    for (const std::string& s : problems) {
        detail += "; " + s;
    }
    return {problems.empty() && wo.ok() && wl.ok(), detail};
}

// ---------------------------------------------------------------------------------------------
// The error a user sees after a ring (--measure-ring): one document of S tokens sharded contiguously over
// P ring positions; each position's state stays on the device in fp32 while the P key shards are folded
// in ring order (one call each, as RingStep does), then O and LSE are finished on the host in fp32 as
// AttentionState.finish does. Errors against float64 on the fp32 inputs (what the user gave), and on the
// inputs rounded to the kernel's type (the kernel's own error).
// ---------------------------------------------------------------------------------------------

struct RingError {
    double o_max, o_rms, lse_max, kernel_o_max;
};

RingError measure_ring(Dtype dtype, int s, int ring, int d, bool causal) {
    Rng rng(seed_of(fmt("ring %s %d %d %d %d", dtype_name(dtype), s, ring, d, causal)));
    const std::vector<float> q = normals(rng, static_cast<size_t>(s) * d), k = normals(rng, static_cast<size_t>(s) * d),
                             v = normals(rng, static_cast<size_t>(s) * d);
    const float scale = static_cast<float>(1 / std::sqrt(static_cast<double>(d)));
    const Shape& shape = dtype == Dtype::F32 ? shape_for("ra_fwd_f32_d", d, false)
                                             : shape_for(std::string("ra_fwd_") + (dtype == Dtype::BF16 ? "bf16" : "f16") + "_d", d, true);
    RingError e{0, 0, 0, 0};
    double sq_sum = 0;
    long count = 0;
    for (int r = 0; r < ring; ++r) {
        const int from = r * s / ring, to = (r + 1) * s / ring, n = to - from;
        Inputs in;
        in.q.assign(q.begin() + static_cast<std::ptrdiff_t>(from) * d, q.begin() + static_cast<std::ptrdiff_t>(to) * d);
        for (int i = from; i < to; ++i) {
            in.qpos.push_back(i);
        }
        // Keys in the order the ring brings them: the position's own shard, then r - 1, r - 2, ...
        std::vector<int> cuts{0};
        for (int t = 0; t < ring; ++t) {
            const int src = (r - t + ring) % ring, a = src * s / ring, b = (src + 1) * s / ring;
            for (int j = a; j < b; ++j) {
                in.kpos.push_back(j);
                in.k.insert(in.k.end(), k.begin() + static_cast<std::ptrdiff_t>(j) * d, k.begin() + static_cast<std::ptrdiff_t>(j + 1) * d);
                in.v.insert(in.v.end(), v.begin() + static_cast<std::ptrdiff_t>(j) * d, v.begin() + static_cast<std::ptrdiff_t>(j + 1) * d);
            }
            cuts.push_back(static_cast<int>(in.kpos.size()));
        }
        const Problem p{dtype, n, s, 1, 1, d, causal, 0, 0, false, Mode::CHUNKS, 0};
        Device dev(p, in, shape, scale);
        dev.empty_state();
        for (int t = 0; t < ring; ++t) {
            dev.call(cuts[t], cuts[t + 1], RA_LOAD_STATE);
        }
        Problem exact = p;
        exact.dtype = Dtype::F32;
        const Reference user = reference(exact, in, scale, 0), kernel = reference(p, in, scale, 0);
        for (int i = 0; i < n; ++i) {
            const float l = dev.l[i], inv = 1.f / l;
            const float lse = static_cast<float>(dev.m[i] + std::log(static_cast<double>(l)));
            e.lse_max = std::max(e.lse_max, std::fabs(lse - user.lse[i]));
            for (int c = 0; c < d; ++c) {
                const double got = dev.acc[static_cast<size_t>(i) * d + c] * inv;
                const double err = std::fabs(got - user.o[static_cast<size_t>(i) * d + c]);
                e.o_max = std::max(e.o_max, err);
                e.kernel_o_max = std::max(e.kernel_o_max, std::fabs(got - kernel.o[static_cast<size_t>(i) * d + c]));
                sq_sum += err * err;
                ++count;
            }
        }
    }
    e.o_rms = std::sqrt(sq_sum / count);
    return e;
}

// ---------------------------------------------------------------------------------------------
// Attention mass (ra_mass_f32_*), as GpuAttentionKernel.attentionMass launches it
// ---------------------------------------------------------------------------------------------

Outcome run_mass(const Problem& p) {
    Rng rng(seed_of("mass " + p.describe()));
    const Inputs in = make_inputs(rng, p);
    const float scale = static_cast<float>(1 / std::sqrt(static_cast<double>(p.d)));
    const Shape& shape = shape_for("ra_mass_f32_d", p.d, false);
    const Reference ref = reference(p, in, scale, 0);
    std::vector<float> lse32(ref.lse.begin(), ref.lse.end());
    Buffer<float> q("q", in.q), k("k", in.k), lse("lse", lse32), out("mass", static_cast<size_t>(p.hq) * p.sk);
    Buffer<int> qpos("q_pos", in.qpos), kpos("k_pos", in.kpos);
    std::optional<Buffer<int>> qseg, kseg;
    if (in.segmented) {
        qseg.emplace("q_seg", in.qseg);
        kseg.emplace("k_seg", in.kseg);
    }
    out.fill_bytes(ra_emu::POISON);
    AttnParams a{};
    a.q = q.get();
    a.k = k.get();
    a.q_pos = qpos.get();
    a.k_pos = kpos.get();
    a.q_seg = qseg ? qseg->get() : nullptr;
    a.k_seg = kseg ? kseg->get() : nullptr;
    a.acc = out.get();
    a.m = lse.get();
    a.q_rows = p.sq;
    a.k_rows = p.sk;
    a.q_heads = p.hq;
    a.kv_heads = p.hkv;
    a.head_dim = p.d;
    a.scale_log2 = static_cast<float>(scale * LOG2E_D);
    a.flags = (p.causal ? RA_CAUSAL : 0) | (in.segmented ? RA_SEGMENTS : 0);
    ra_emu::launch(shape.name.c_str(), shape.kernel, dim3((p.sk + shape.bm - 1) / shape.bm, p.hq), dim3(shape.threads),
                   shape.shared, a);

    // mass[h][j] = sum_i exp(s_ij - LSE_i); each term is off by its logit's error, LSE's rounding to fp32
    // (and its product with log2 e), exp2's; the sum by sqrt(Sq) u.
    Worst w;
    bool zeros_ok = true;
    for (int h = 0; h < p.hq; ++h) {
        const int g = h / (p.hq / p.hkv);
        double mag = 0, lse_max = 0;
        for (int i = 0; i < p.sq; ++i) {
            const size_t row = static_cast<size_t>(h) * p.sq + i;
            mag = std::max(mag, ref.logit_mag[row]);
            if (ref.lse[row] != -INFINITY) {
                lse_max = std::max(lse_max, std::fabs(ref.lse[row]));
            }
        }
        const double rel = C * U * ((std::sqrt(p.d) + 2) * mag + 2 * lse_max + std::sqrt(p.sq) + 2);
        for (int j = 0; j < p.sk; ++j) {
            double want = 0;
            for (int i = 0; i < p.sq; ++i) {
                if (!visible(in, p.causal, i, j)) {
                    continue;
                }
                double dot = 0;
                for (int e = 0; e < p.d; ++e) {
                    dot += static_cast<double>(in.q[(static_cast<size_t>(i) * p.hq + h) * p.d + e]) * in.k[(static_cast<size_t>(j) * p.hkv + g) * p.d + e];
                }
                want += std::exp(scale * dot - ref.lse[static_cast<size_t>(h) * p.sq + i]);
            }
            const double got = out[static_cast<size_t>(h) * p.sk + j];
            if (want == 0) {
                zeros_ok = zeros_ok && got == 0;
            } else {
                w.add(got, want, rel * want);
            }
        }
    }
    std::string detail = fmt("%s %s, %s", shape.name.c_str(), p.describe().c_str(), w.str("dmass").c_str());
    if (!zeros_ok) {
        detail += "; a key no query sees has mass != 0";
    }
    return {w.ok() && zeros_ok, detail};
}

// ---------------------------------------------------------------------------------------------
// Tile bounds and conversions
// ---------------------------------------------------------------------------------------------

Outcome run_tile_bounds(bool segmented) {
    Rng rng(seed_of(segmented ? "tile bounds seg" : "tile bounds"));
    const int n = 300;
    std::vector<int> pos(n), seg(n);
    for (int i = 0; i < n; ++i) {
        pos[i] = rng.below(2000) - 1000;
        seg[i] = rng.below(7);
    }
    Buffer<int> dpos("pos", pos), dseg("seg", seg);
    int wrong = 0, checked = 0;
    for (int tile : {16, 32, 64, 512}) {
        const int tiles = (n + tile - 1) / tile;
        Buffer<int4> out("tiles", static_cast<size_t>(tiles));
        tile_bounds(dpos, segmented ? dseg.get() : nullptr, n, tile, out);
        for (int t = 0; t < tiles; ++t) {
            int4 want{INT_MAX, INT_MIN, INT_MAX, INT_MIN};
            for (int i = t * tile; i < std::min(n, (t + 1) * tile); ++i) {
                const int s = segmented ? seg[i] : 0;
                want = {std::min(want.x, pos[i]), std::max(want.y, pos[i]), std::min(want.z, s), std::max(want.w, s)};
            }
            const int4 got = out[t];
            wrong += got.x != want.x || got.y != want.y || got.z != want.z || got.w != want.w;
            ++checked;
        }
    }
    return {wrong == 0, fmt("ra_tile_bounds n=%d tiles of 16, 32, 64, 512%s: %d of %d tiles wrong", n,
                            segmented ? " with segments" : " without segments (null)", wrong, checked)};
}

Outcome run_conversion(Dtype t) {
    Rng rng(seed_of(std::string("conversion ") + dtype_name(t)));
    std::vector<float> x = {0.f, -0.f, 1.f, -1.f, FLT_MIN, -FLT_MIN, std::nextafter(0.f, 1.f), FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN,
                            65504.f, 65519.f, 65520.f, -65520.f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-14f, 0x1.ffcp-15f,
                            1 + 0x1p-8f, 1 + 0x3p-8f, 1 + 0x1p-11f, 1 + 0x3p-11f, 0x1.FEp127f, 0x1.FFp127f, 0x1.FEFFFEp127f};
    for (int i = 0; i < 40000; ++i) {
        x.push_back(std::bit_cast<float>(static_cast<uint32_t>(rng.next())));
        x.push_back(std::ldexp(rng.normal(), rng.below(60) - 40));
    }
    Buffer<float> in("x", x);
    Buffer<unsigned short> out("y", x.size());
    // Fewer threads than values, so each thread strides through the grid several times.
    if (t == Dtype::BF16) {
        RA_LAUNCH(ra_f32_to_bf16, dim3(7), dim3(256), 0, in.get(), reinterpret_cast<__nv_bfloat16*>(out.get()), static_cast<long long>(x.size()));
    } else {
        RA_LAUNCH(ra_f32_to_f16, dim3(7), dim3(256), 0, in.get(), reinterpret_cast<__half*>(out.get()), static_cast<long long>(x.size()));
    }
    int wrong = 0;
    std::string first;
    for (size_t i = 0; i < x.size(); ++i) {
        const unsigned short bits = out[i];
        const double got = t == Dtype::BF16 ? decode_bf16(bits) : decode_f16(bits);
        const double want = round_to(t, x[i]);
        const bool ok = std::isnan(x[i]) ? bits == ra_emu::CANONICAL_NAN16 : got == want && std::signbit(got) == std::signbit(want);
        if (!ok && wrong++ == 0) {
            first = fmt(" (first: %a -> 0x%04x, want %a)", x[i], bits, want);
        }
    }
    return {wrong == 0, fmt("%s %zu values (specials, ties, random bit patterns): %d wrong%s", t == Dtype::BF16 ? "ra_f32_to_bf16" : "ra_f32_to_f16",
                            x.size(), wrong, first.c_str())};
}

// ---------------------------------------------------------------------------------------------
// Encoder kernels (encoder.cu), as GpuSentenceEncoder launches them
// ---------------------------------------------------------------------------------------------

// GpuSentenceEncoder's GEMMs: Y = epilogue(X W^T + b) in fp32 and/or bf16 (flags RE_GELU, RE_RESIDUAL).
// Against float64 on the inputs as the kernel sees them; the bf16 copy of an output written in both types
// must be exactly the fp32 value rounded to bf16.
Outcome run_gemm(bool bf16, int M, int N, int K, int flags, bool out32, bool out16) {
    Rng rng(seed_of(fmt("gemm %d %d %d %d %d %d %d", bf16, M, N, K, flags, out32, out16)));
    std::vector<float> x = normals(rng, static_cast<size_t>(M) * K), w = normals(rng, static_cast<size_t>(N) * K), b = normals(rng, N),
                       y0 = normals(rng, static_cast<size_t>(M) * N);
    for (float& v : w) {
        v /= std::sqrt(static_cast<float>(K));  // activations of order one, so GELU is not just max(0, x)
    }
    const bool residual = flags & RE_RESIDUAL;
    Buffer<float> dx("X", x), dw("W", w), db("bias", b), dy("Y", y0);
    Buffer<unsigned short> dy16("Y16", static_cast<size_t>(M) * N);
    if (!residual) {
        dy.fill_bytes(ra_emu::POISON);
    }
    dy16.fill_bytes(ra_emu::POISON);
    float* y32 = out32 ? dy.get() : nullptr;
    __nv_bfloat16* y16 = out16 ? reinterpret_cast<__nv_bfloat16*>(dy16.get()) : nullptr;
    const char* name = bf16 ? "re_gemm_bf16" : "re_gemm_f32";
    if (bf16) {
        Buffer<unsigned short> hx("X16", x.size()), hw("W16", w.size());
        convert(Dtype::BF16, dx, hx);
        convert(Dtype::BF16, dw, hw);
        const size_t shared = 3 * (128 + 128) * (32 + 8) * 2;
        RA_LAUNCH(re_gemm_bf16, dim3((N + 127) / 128, (M + 127) / 128), dim3(256), shared,
                  reinterpret_cast<const __nv_bfloat16*>(hx.get()), reinterpret_cast<const __nv_bfloat16*>(hw.get()),
                  db.get(), y32, y16, M, N, K, flags);
    } else {
        RA_LAUNCH(re_gemm_f32, dim3((N + 63) / 64, (M + 63) / 64), dim3(256), 0, dx.get(), dw.get(), db.get(), dy.get(), M, N,
                  K, flags);
    }
    Worst worst;
    int mismatched16 = 0;
    for (int i = 0; i < M; ++i) {
        for (int j = 0; j < N; ++j) {
            double sum = 0, abs = 0;
            for (int k = 0; k < K; ++k) {
                const double a = round_to(bf16 ? Dtype::BF16 : Dtype::F32, x[static_cast<size_t>(i) * K + k]);
                const double c = round_to(bf16 ? Dtype::BF16 : Dtype::F32, w[static_cast<size_t>(j) * K + k]);
                sum += a * c;
                abs += std::fabs(a * c);
            }
            const size_t at = static_cast<size_t>(i) * N + j;
            double want = sum + b[j];
            if (flags & RE_GELU) {
                want = 0.5 * want * (1 + std::erf(want / std::sqrt(2.0)));  // GELU's slope is below 1.13
            }
            const double prev = residual ? y0[at] : 0;
            want += prev;
            const double tol = C * U * (1.13 * (std::sqrt(K) * abs + std::fabs(b[j])) + std::fabs(prev) + 2 * std::fabs(want));
            if (out32) {
                worst.add(dy[at], want, tol);
            }
            if (out16) {
                const double got16 = decode_bf16(dy16[at]);
                if (out32) {
                    mismatched16 += got16 != round_bf16(dy[at]);
                } else {
                    worst.add(got16, want, tol + 0x1p-8 * (std::fabs(want) + tol));  // bf16's unit roundoff
                }
            }
        }
    }
    return {worst.ok() && mismatched16 == 0,
            fmt("%s M=%d N=%d K=%d%s%s -> %s%s: %s, %d bf16 copies not the rounded fp32", name, M, N, K,
                flags & RE_GELU ? " GELU" : "", residual ? " residual" : "", out32 ? "fp32" : "",
                out16 ? (out32 ? "+bf16" : "bf16") : "", worst.str("dY").c_str(), mismatched16)};
}

// LayerNorm of one row in float64 (population variance, as PyTorch) and the tolerance of each output: the
// fp32 mean and variance over h values are off by C u sqrt(h) max|x|, which moves z = (x - mean) / sigma
// by that over sigma, times (1 + |z|); input_err is the error already in x.
void layernorm_reference(const float* x, int h, const std::vector<float>& gamma, const std::vector<float>& beta, float eps,
                         double input_err, std::vector<double>& y, std::vector<double>& tol) {
    double mean = 0, var = 0, xmax = 0;
    for (int c = 0; c < h; ++c) {
        mean += x[c];
        xmax = std::max(xmax, std::fabs(static_cast<double>(x[c])));
    }
    mean /= h;
    for (int c = 0; c < h; ++c) {
        var += (x[c] - mean) * (x[c] - mean);
    }
    const double sigma = std::sqrt(var / h + eps);
    y.resize(h);
    tol.resize(h);
    for (int c = 0; c < h; ++c) {
        const double z = (x[c] - mean) / sigma;
        y[c] = z * gamma[c] + beta[c];
        const double dz = (C * U * (std::sqrt(h) * xmax + 4 * std::fabs(x[c] - mean)) + 2 * input_err) / sigma * (1 + std::fabs(z));
        tol[c] = std::fabs(gamma[c]) * dz + C * U * (std::fabs(beta[c]) + std::fabs(y[c]));
    }
}

Outcome run_layernorm(int rows, int h, bool copy16) {
    Rng rng(seed_of(fmt("layernorm %d %d", rows, h)));
    std::vector<float> x(static_cast<size_t>(rows) * h), gamma(h), beta(h);
    for (float& v : x) {
        v = 3 + 2 * rng.normal();  // off-centre, so a one-pass variance would lose digits
    }
    for (int c = 0; c < h; ++c) {
        gamma[c] = 1 + 0.1f * rng.normal();
        beta[c] = 0.1f * rng.normal();
    }
    const float eps = 1e-12f;
    Buffer<float> dx("x", x), dg("gamma", gamma), dbeta("beta", beta);
    Buffer<unsigned short> dx16("x16", x.size());
    dx16.fill_bytes(ra_emu::POISON);
    RA_LAUNCH(re_layernorm, dim3((rows * 32 + 255) / 256), dim3(256), 0, dx.get(), dg.get(), dbeta.get(), eps, rows, h,
              copy16 ? reinterpret_cast<__nv_bfloat16*>(dx16.get()) : nullptr);
    Worst worst;
    int wrong16 = 0;
    std::vector<double> y, tol;
    for (int r = 0; r < rows; ++r) {
        layernorm_reference(&x[static_cast<size_t>(r) * h], h, gamma, beta, eps, 0, y, tol);
        for (int c = 0; c < h; ++c) {
            const size_t at = static_cast<size_t>(r) * h + c;
            worst.add(dx[at], y[c], tol[c]);
            wrong16 += copy16 ? decode_bf16(dx16[at]) != round_bf16(dx[at]) : dx16[at] != 0xFFFF;
        }
    }
    return {worst.ok() && wrong16 == 0, fmt("re_layernorm rows=%d h=%d%s: %s, %d bf16 values wrong", rows, h,
                                            copy16 ? " with its bf16 copy" : "", worst.str("dy").c_str(), wrong16)};
}

Outcome run_embed(int rows, int h) {
    Rng rng(seed_of(fmt("embed %d %d", rows, h)));
    const int vocab = 50, positions = 40, types = 2;
    std::vector<float> word = normals(rng, static_cast<size_t>(vocab) * h), position = normals(rng, static_cast<size_t>(positions) * h),
                       type = normals(rng, static_cast<size_t>(types) * h), gamma(h), beta(h);
    for (int c = 0; c < h; ++c) {
        gamma[c] = 1 + 0.1f * rng.normal();
        beta[c] = 0.1f * rng.normal();
    }
    std::vector<int> ids(rows), pos(rows), tys(rows);
    for (int r = 0; r < rows; ++r) {
        ids[r] = rng.below(vocab);
        pos[r] = rng.below(positions);
        tys[r] = rng.below(types);
    }
    const float eps = 1e-12f;
    Buffer<int> dids("ids", ids), dpos("pos", pos), dtys("types", tys);
    Buffer<float> dword("word", word), dposition("position", position), dtype("type", type), dg("gamma", gamma), db("beta", beta),
        out("x", static_cast<size_t>(rows) * h);
    Buffer<unsigned short> out16("x16", static_cast<size_t>(rows) * h);
    RA_LAUNCH(re_embed, dim3((rows * 32 + 255) / 256), dim3(256), 0, dids.get(), dpos.get(), dtys.get(), dword.get(), dposition.get(),
              dtype.get(), dg.get(), db.get(), eps, rows, h, out.get(), reinterpret_cast<__nv_bfloat16*>(out16.get()));
    Worst worst;
    int wrong16 = 0;
    std::vector<float> sum(h);
    std::vector<double> y, tol;
    for (int r = 0; r < rows; ++r) {
        double err = 0;
        for (int c = 0; c < h; ++c) {
            const double a = word[static_cast<size_t>(ids[r]) * h + c], b = position[static_cast<size_t>(pos[r]) * h + c],
                         t = type[static_cast<size_t>(tys[r]) * h + c];
            sum[c] = static_cast<float>(a + b + t);
            err = std::max(err, 2 * U * (std::fabs(a) + std::fabs(b) + std::fabs(t)));
        }
        layernorm_reference(sum.data(), h, gamma, beta, eps, err, y, tol);
        for (int c = 0; c < h; ++c) {
            const size_t at = static_cast<size_t>(r) * h + c;
            worst.add(out[at], y[c], tol[c]);
            wrong16 += decode_bf16(out16[at]) != round_bf16(out[at]);
        }
    }
    return {worst.ok() && wrong16 == 0, fmt("re_embed rows=%d h=%d with its bf16 copy: %s, %d bf16 values wrong", rows, h,
                                            worst.str("dx").c_str(), wrong16)};
}

Outcome run_pool(const std::vector<int>& starts, int h) {
    Rng rng(seed_of(fmt("pool %d", h)));
    const int rows = starts.back(), sentences = static_cast<int>(starts.size()) - 1;
    std::vector<float> hidden = normals(rng, static_cast<size_t>(rows) * h);
    Buffer<float> dh("hidden", hidden), out("out", static_cast<size_t>(sentences) * h);
    Buffer<int> ds("starts", starts);
    RA_LAUNCH(re_pool, dim3(sentences), dim3(128), 0, dh.get(), ds.get(), h, out.get());
    Worst worst;
    for (int s = 0; s < sentences; ++s) {
        const int n = starts[s + 1] - starts[s];
        std::vector<double> mean(h, 0), mean_abs(h, 0);
        double norm = 0;
        for (int c = 0; c < h; ++c) {
            for (int r = starts[s]; r < starts[s + 1]; ++r) {
                mean[c] += hidden[static_cast<size_t>(r) * h + c];
                mean_abs[c] += std::fabs(hidden[static_cast<size_t>(r) * h + c]);
            }
            mean[c] /= n;
            mean_abs[c] /= n;
            norm += mean[c] * mean[c];
        }
        norm = std::sqrt(norm);
        for (int c = 0; c < h; ++c) {
            const double want = mean[c] / std::max(norm, 1e-12);
            worst.add(out[static_cast<size_t>(s) * h + c], want, C * U * (std::sqrt(n) * mean_abs[c] / norm + (std::sqrt(h) + 2) * std::fabs(want)));
        }
    }
    return {worst.ok(), fmt("re_pool %d sentences of 1 to %d rows, h=%d: %s", sentences, rows, h, worst.str("dout").c_str())};
}

}  // namespace
}  // namespace check

// ---------------------------------------------------------------------------------------------
// Checks of the emulator itself: warp intrinsics against the CUDA Programming Guide's definitions,
// cp.async's timing, and faults it must catch
// ---------------------------------------------------------------------------------------------

namespace {

constexpr int PROBE_OUT = 12;

__global__ void probe_warp_ops(int* out, float* fout) {
    __shared__ int ring[64];
    const int tid = threadIdx.x, lane = tid & 31, v = 7 * tid + 3;
    int* o = out + (blockIdx.x * blockDim.x + tid) * PROBE_OUT;
    o[0] = __shfl_sync(0xffffffffu, v, (lane * 5 + 1) & 31);
    o[1] = __shfl_sync(0xffffffffu, v, 11, 8);
    o[2] = __shfl_up_sync(0xffffffffu, v, 2, 16);
    o[3] = __shfl_down_sync(0xffffffffu, v, 5, 16);
    o[4] = __shfl_xor_sync(0xffffffffu, v, 6);
    o[5] = static_cast<int>(__ballot_sync(0xffffffffu, lane % 3 == 0));
    o[6] = __all_sync(0xffffffffu, lane < 32);
    o[7] = __all_sync(0xffffffffu, lane != 7);
    o[8] = __any_sync(0xffffffffu, lane == 31 && blockIdx.x == 1);
    ring[tid] = v;
    __syncthreads();
    o[9] = ring[(tid + 1) % blockDim.x];
    __syncthreads();
    ring[tid] = -v;
    __syncwarp();
    o[10] = ring[(tid & ~31) | ((lane + 3) & 31)];
    o[11] = __shfl_down_sync(0xffffffffu, static_cast<long long>(v) << 33, 1) >> 33;
    const float x = 0.25f + tid;
    fout[(blockIdx.x * blockDim.x + tid) * 3 + 0] = rsqrtf(x);
    fout[(blockIdx.x * blockDim.x + tid) * 3 + 1] = __expf(-x / 16);
    fout[(blockIdx.x * blockDim.x + tid) * 3 + 2] = __fdividef(1.f, x);
}

// cp.async: the destination reads as 0xFF before the wait, the source after it; src_size 0 gives zeros.
__global__ void probe_cp_async(const int* src, unsigned* out) {
    __shared__ __align__(16) int dst[32][4];
    const int t = threadIdx.x;
    cp_async16(dst[t], src + 4 * t, t % 2 == 0);
    cp_async_commit();
    out[3 * t] = static_cast<unsigned>(dst[t][1]);
    cp_async_wait<0>();
    out[3 * t + 1] = static_cast<unsigned>(dst[t][1]);
    out[3 * t + 2] = static_cast<unsigned>(dst[t][3]);
}

__global__ void probe_divergent_barrier(int* out) {
    if (threadIdx.x < 32) {
        __syncthreads();
    } else {
        __syncthreads();
    }
    out[threadIdx.x] = 1;
}

__global__ void probe_read_past_end(const float* x, float* out, int n) {
    out[threadIdx.x] = x[n + threadIdx.x];
}

__global__ void probe_shared_past_end(int n) {
    extern __shared__ float probe_smem[];
    probe_smem[n + threadIdx.x] = 1.f;
}

check::Outcome run_probe_warp_ops() {
    using check::Buffer;
    const int blocks = 2, threads = 64;
    Buffer<int> out("out", blocks * threads * PROBE_OUT);
    Buffer<float> fout("fout", blocks * threads * 3);
    RA_LAUNCH(probe_warp_ops, dim3(blocks), dim3(threads), 0, out.get(), fout.get());
    int wrong = 0;
    for (int b = 0; b < blocks; ++b) {
        for (int tid = 0; tid < threads; ++tid) {
            const int lane = tid & 31, base = tid & ~31;
            auto v = [&](int l) { return 7 * (base + l) + 3; };
            // The guide's definitions: a source lane inside the lane's width-segment, else the lane's own value.
            int ballot = 0;
            for (int l = 0; l < 32; ++l) {
                ballot |= (l % 3 == 0) << l;
            }
            const int want[PROBE_OUT] = {
                v((lane * 5 + 1) & 31),
                v(lane / 8 * 8 + 11 % 8),
                lane % 16 >= 2 ? v(lane - 2) : v(lane),
                lane % 16 + 5 < 16 ? v(lane + 5) : v(lane),
                v(lane ^ 6),
                ballot,
                1,
                0,
                b == 1,
                7 * ((tid + 1) % threads) + 3,
                -v((lane + 3) & 31),
                lane < 31 ? v(lane + 1) : v(lane),
            };
            const int* got = &out[(b * threads + tid) * PROBE_OUT];
            for (int i = 0; i < PROBE_OUT; ++i) {
                wrong += got[i] != want[i];
            }
            const double x = 0.25 + tid;
            const float* f = &fout[(b * threads + tid) * 3];
            const double fwant[3] = {1 / std::sqrt(x), std::exp(-x / 16), 1 / x};
            for (int i = 0; i < 3; ++i) {
                wrong += !(std::fabs(f[i] - fwant[i]) <= 2 * check::U * std::fabs(fwant[i]));  // CUDA's bound: 2 ulp
            }
        }
    }
    return {wrong == 0, check::fmt("emulator: shuffles (idx, up, down, xor, widths 8/16/32, 64-bit), votes, __syncwarp, "
                                   "__syncthreads, rsqrtf/__expf/__fdividef: %d wrong", wrong)};
}

check::Outcome run_probe_cp_async() {
    using check::Buffer;
    std::vector<int> src(128);
    for (int i = 0; i < 128; ++i) {
        src[i] = 1000 + i;
    }
    Buffer<int> dsrc("src", src);
    Buffer<unsigned> out("out", 96);
    RA_LAUNCH(probe_cp_async, dim3(1), dim3(32), 0, dsrc.get(), out.get());
    int wrong = 0;
    for (int t = 0; t < 32; ++t) {
        const bool ok = t % 2 == 0;
        wrong += out[3 * t] != 0xFFFFFFFFu;
        wrong += out[3 * t + 1] != (ok ? 1000u + 4 * t + 1 : 0u);
        wrong += out[3 * t + 2] != (ok ? 1000u + 4 * t + 3 : 0u);
    }
    return {wrong == 0, check::fmt("emulator: cp.async lands at wait_group, zero-fills, reads 0xFF before: %d wrong", wrong)};
}

check::Outcome run_probe_divergent_barrier() {
    check::Buffer<int> out("out", 64);
    RA_LAUNCH(probe_divergent_barrier, dim3(1), dim3(64), 0, out.get());
    return {true, "no error raised"};
}

check::Outcome run_probe_read_past_end() {
    check::Buffer<float> x("x", 64), out("out", 32);
    RA_LAUNCH(probe_read_past_end, dim3(1), dim3(32), 0, x.get(), out.get(), 64);
    return {true, "no error raised"};
}

check::Outcome run_probe_shared_past_end() {
    RA_LAUNCH(probe_shared_past_end, dim3(1), dim3(32), 1024, 256);
    return {true, "no error raised"};
}

std::vector<check::Case> all_cases() {
    using check::Dtype;
    using check::Mode;
    using check::Problem;
    std::vector<check::Case> cases;
    auto attention = [&](const Problem& p) {
        cases.push_back({std::string("attention ") + check::dtype_name(p.dtype) + " " + p.describe(), [p] { return check::run_attention(p); }, ""});
    };
    const Dtype F32 = Dtype::F32, BF16 = Dtype::BF16, F16 = Dtype::F16;
    // dtype, Sq, Sk, Hq, Hkv, D, causal, cuts, key offset, striped, mode, chunk
    attention({F32, 1, 1, 1, 1, 1, false, 0, 0, false, Mode::FINISH, 0});
    // Keys from position 63: the first 63 rows see nothing, and key tile 0 begins on the last position of
    // query tile 0 (64 rows), a tile that the causal mask must not skip.
    attention({F32, 200, 150, 4, 2, 32, true, 0, 63, false, Mode::CHUNKS, 64});
    attention({F32, 300, 300, 2, 2, 64, true, 3, 0, false, Mode::CHUNKS, 128});
    attention({F32, 128, 128, 2, 2, 64, false, 0, 0, false, Mode::CHUNKS, 64});      // whole tiles only: all FULL
    attention({F32, 257, 190, 3, 1, 128, false, 5, 0, false, Mode::CHUNKS, 64});     // MQA
    attention({F32, 130, 130, 2, 2, 256, true, 0, 0, false, Mode::FINISH, 0});
    attention({F32, 120, 100, 1, 1, 384, false, 0, 0, false, Mode::FINISH, 0});      // sentence vectors: 16 x 16 tiles
    attention({F32, 90, 77, 1, 1, 385, true, 2, 0, false, Mode::TWO_CALLS, 0});      // centrality's second ring pass
    attention({F32, 77, 77, 2, 1, 300, true, 0, 0, true, Mode::FINISH, 0});
    attention({F32, 150, 150, 12, 12, 32, false, 6, 0, false, Mode::FINISH, 0});     // MiniLM's heads, packed sentences
    attention({F32, 299, 250, 4, 2, 97, true, 0, 0, true, Mode::CHUNKS, 64});        // odd D, striped positions
    attention({F32, 200, 200, 4, 2, 48, true, 2, 0, false, Mode::TWO_CALLS, 0});
    attention({F32, 100, 160, 2, 1, 64, true, 0, 0, false, Mode::UNSEEN_KEYS, 0});
    attention({BF16, 300, 300, 4, 1, 64, true, 4, 0, false, Mode::CHUNKS, 64});
    attention({BF16, 257, 131, 2, 2, 128, false, 0, 0, false, Mode::FINISH, 0});
    attention({BF16, 200, 300, 2, 1, 128, true, 0, 63, false, Mode::TWO_CALLS, 0});  // as the fp32 case above
    attention({BF16, 299, 250, 4, 2, 64, true, 0, 0, true, Mode::CHUNKS, 128});
    attention({BF16, 280, 280, 2, 1, 128, true, 25, 0, false, Mode::FINISH, 0});     // many documents: most tiles skipped
    attention({BF16, 128, 128, 2, 2, 64, false, 0, 0, false, Mode::CHUNKS, 64});     // whole tiles only: all FULL
    attention({BF16, 100, 160, 2, 1, 128, true, 0, 0, false, Mode::UNSEEN_KEYS, 0});
    // FlashAttention-2's shape: a second query tile of one row (three warps without rows), K/V stages
    // alternating across skipped tiles, whole query tiles that see nothing, one partial tile of each.
    attention({BF16, 129, 200, 2, 1, 64, true, 0, 0, false, Mode::CHUNKS, 64});
    attention({BF16, 100, 450, 2, 2, 128, false, 6, 0, false, Mode::FINISH, 0});
    attention({BF16, 256, 256, 4, 1, 64, true, 0, 200, false, Mode::CHUNKS, 128});
    attention({BF16, 40, 40, 1, 1, 64, true, 0, 0, false, Mode::FINISH, 0});
    attention({F16, 300, 310, 2, 1, 128, true, 0, 0, true, Mode::TWO_CALLS, 0});
    attention({F16, 200, 200, 4, 4, 64, true, 0, 0, false, Mode::FINISH, 0});
    attention({F16, 129, 65, 2, 1, 128, false, 2, 0, false, Mode::TWO_CALLS, 0});
    attention({F16, 150, 190, 2, 1, 64, true, 0, 30, false, Mode::CHUNKS, 64});      // first 30 rows see nothing

    auto mass = [&](const Problem& p) {
        cases.push_back({"attention mass " + p.describe(), [p] { return check::run_mass(p); }, ""});
    };
    // Sq, Sk, Hq, Hkv, D, causal, cuts, key offset, striped
    mass({F32, 1, 1, 1, 1, 1, false, 0, 0, false, Mode::FINISH, 0});
    mass({F32, 120, 120, 1, 1, 384, false, 0, 0, false, Mode::FINISH, 0});
    mass({F32, 200, 150, 2, 1, 32, true, 3, 20, false, Mode::FINISH, 0});
    mass({F32, 129, 300, 4, 2, 128, true, 0, 0, false, Mode::FINISH, 0});
    mass({F32, 100, 70, 1, 1, 385, false, 2, 0, false, Mode::FINISH, 0});
    mass({F32, 90, 110, 2, 2, 256, true, 0, 0, false, Mode::FINISH, 0});
    mass({F32, 70, 90, 2, 1, 64, true, 0, 0, true, Mode::FINISH, 0});

    cases.push_back({"tile bounds with segments", [] { return check::run_tile_bounds(true); }, ""});
    cases.push_back({"tile bounds without segments", [] { return check::run_tile_bounds(false); }, ""});
    cases.push_back({"fp32 -> bf16", [] { return check::run_conversion(Dtype::BF16); }, ""});
    cases.push_back({"fp32 -> fp16", [] { return check::run_conversion(Dtype::F16); }, ""});
    // bf16, flags, fp32 out, bf16 out: the encoder's projections (plain), output dense (residual),
    // intermediate (GELU, bf16 only); tails in M, N and K; K over the pipeline's three stages.
    cases.push_back({"GEMM fp32", [] { return check::run_gemm(false, 70, 100, 50, 0, true, false); }, ""});
    cases.push_back({"GEMM fp32 residual", [] { return check::run_gemm(false, 70, 100, 50, RE_RESIDUAL, true, false); }, ""});
    cases.push_back({"GEMM fp32 GELU", [] { return check::run_gemm(false, 70, 100, 50, RE_GELU, true, false); }, ""});
    cases.push_back({"GEMM bf16, tails in M, N, K", [] { return check::run_gemm(true, 130, 136, 40, 0, true, false); }, ""});
    cases.push_back({"GEMM bf16 residual, K under one step", [] { return check::run_gemm(true, 65, 70, 24, RE_RESIDUAL, true, false); }, ""});
    cases.push_back({"GEMM bf16 GELU to bf16 only, 13 k steps", [] { return check::run_gemm(true, 200, 260, 416, RE_GELU, false, true); }, ""});
    cases.push_back({"GEMM bf16 residual to fp32 and bf16", [] { return check::run_gemm(true, 129, 384, 96, RE_RESIDUAL, true, true); }, ""});
    cases.push_back({"LayerNorm h=384 with a bf16 copy", [] { return check::run_layernorm(19, 384, true); }, ""});
    cases.push_back({"LayerNorm h=100", [] { return check::run_layernorm(5, 100, false); }, ""});
    cases.push_back({"embeddings", [] { return check::run_embed(37, 96); }, ""});
    cases.push_back({"pooling", [] { return check::run_pool({0, 5, 6, 30, 41}, 384); }, ""});

    cases.push_back({"emulator: warp intrinsics", run_probe_warp_ops, ""});
    cases.push_back({"emulator: cp.async", run_probe_cp_async, ""});
    cases.push_back({"emulator rejects a barrier in divergent code", run_probe_divergent_barrier, "divergent code"});
    cases.push_back({"emulator stops a read past a buffer", run_probe_read_past_end, "guard page"});
    cases.push_back({"emulator rejects a write past the dynamic shared memory", run_probe_shared_past_end, "of dynamic shared memory; the launch gave"});
    return cases;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned jobs = std::max(1u, static_cast<unsigned>(sysconf(_SC_NPROCESSORS_ONLN)));
    unsigned timeout_s = 300;
    const char* shapes = nullptr;
    std::string filter;
    std::vector<std::string> rings;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 < argc && a == "--jobs") {
            jobs = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
        } else if (i + 1 < argc && a == "--timeout") {
            timeout_s = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
        } else if (i + 1 < argc && a == "--shapes") {
            shapes = argv[++i];
        } else if (i + 1 < argc && a == "--filter") {
            filter = argv[++i];
        } else if (i + 1 < argc && a == "--measure-ring") {
            rings.push_back(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: %s --shapes FILE [--jobs N] [--timeout SECONDS] [--filter TEXT]"
                         " [--measure-ring DTYPE,S,P,D,CAUSAL ...]\n", argv[0]);
            return 2;
        }
    }
    if (!shapes) {
        std::fprintf(stderr, "--shapes FILE is required: one \"function blockM blockN threads sharedBytes\" per line, from LaunchShape\n");
        return 2;
    }
    check::read_shapes(shapes);
    if (!rings.empty()) {
        // One line per ring: the error after the ring against float64 (see measure_ring).
        std::printf("dtype S P D causal | max |dO| | rms dO | max |dLSE| | max |dO| kernel alone\n");
        for (const std::string& spec : rings) {
            char dtype[8];
            int s = 0, p = 0, d = 0, causal = 0;
            if (std::sscanf(spec.c_str(), "%7[^,],%d,%d,%d,%d", dtype, &s, &p, &d, &causal) != 5) {
                std::fprintf(stderr, "--measure-ring %s: give DTYPE,S,P,D,CAUSAL, e.g. bf16,4096,8,128,1\n", spec.c_str());
                return 2;
            }
            const std::string t = dtype;
            const check::Dtype dt = t == "bf16" ? check::Dtype::BF16 : t == "fp16" ? check::Dtype::F16 : check::Dtype::F32;
            const check::RingError e = check::measure_ring(dt, s, p, d, causal != 0);
            std::printf("%s %d %d %d %s | %.2e | %.2e | %.2e | %.2e\n", t.c_str(), s, p, d, causal ? "yes" : "no", e.o_max,
                        e.o_rms, e.lse_max, e.kernel_o_max);
            std::fflush(stdout);
        }
        return 0;
    }
    std::vector<check::Case> cases;
    for (check::Case& c : all_cases()) {
        if (c.name.find(filter) != std::string::npos) {
            cases.push_back(std::move(c));
        }
    }
    return check::run_all(cases, jobs, timeout_s) == 0 ? 0 : 1;
}
