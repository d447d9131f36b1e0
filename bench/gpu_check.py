#!/usr/bin/env python3
"""Device check of the CUDA attention kernels (src/main/cuda/attention.cu), run by bench/gpu-check.sh.

1. Correctness: every kernel against a float64 NumPy reference on fresh random inputs: odd sizes,
   causal, GQA, segments, fully masked rows and tiles, striped (non-contiguous) positions, a state
   continued over two calls, and output buffers poisoned with NaN before the launch.
   Tolerances (issue 6): max abs error <= 1e-5 for fp32 inputs, <= 2e-3 for bf16/fp16 inputs (the
   reference is computed on the rounded inputs, so only the kernel's own error is measured), plus for O
   the rounding of P to the input type before P V (its unit roundoff times max|v|).
2. Speed: the production kernels (fp32 at D = 64, 128 and 384, bf16 at 64 and 128) against
   torch.nn.functional.scaled_dot_product_attention in bf16 on the same GPU, S = 16,384 with --quick,
   TFLOP/s with FLOPs = 4 S^2 D H, half when causal (as FlashAttention-2 counts them).

Kernels are launched through the CUDA driver API (ctypes on libcuda.so.1) with the same 128-byte
AttnParams struct that the Java backend packs (KernelParams.java); memory comes from PyTorch.

    gpu_check.py FATBIN [--quick] [--no-bench] [--seed N]

Exit status 0 when every check passes, 1 otherwise. --self-test runs the host-side parts (struct packing,
reference, masks) without a GPU.
"""

import argparse
import ctypes
import math
import struct
import sys
import time

import numpy as np

CAUSAL, SEGMENTS, LOAD_STATE, FINISH = 1, 2, 4, 8
LOG2E = 1.4426950408889634

# Mirrors LaunchShape.java: tile edges, threads and dynamic shared memory per kernel.
def launch_shape(dtype, d):
    if dtype == "fp32":
        for dp in (32, 64, 128, 256, 512):
            if d <= dp:
                ld = dp + 1
                # Beyond 256 the tile shrinks to 16 x 16 so that 512-wide tiles fit in shared memory.
                bm, bn = (16, 16) if dp > 256 else (64, 32)
                return "ra_fwd_f32_d%d" % dp, bm, bn, 128, (bm * ld + 2 * bn * ld + bm * (bn + 1)) * 4 + 2 * bn * 4
        raise ValueError("D %d > 512" % d)
    if d not in (64, 128):
        raise ValueError("%s kernels take D 64 or 128" % dtype)
    tag = {"bf16": "bf16", "fp16": "f16"}[dtype]
    # 128 query rows (32 per warp), key tiles of 64; K and V double-buffered, positions and segments of both stages.
    return "ra_fwd_%s_d%d" % (tag, d), 128, 64, 128, (128 + 4 * 64) * (d + 8) * 2 + 4 * 64 * 4


def mass_shape(d):
    """Mirrors LaunchShape.mass: (name, keys per thread block, queries per step, threads, shared bytes)."""
    for dp in (32, 64, 128, 256, 512):
        if d <= dp:
            bk, bq = (16, 16) if dp > 128 else (64, 32)
            return "ra_mass_f32_d%d" % dp, bk, bq, 128, (bk + bq) * (dp + 1) * 4 + 3 * bq * 4
    raise ValueError("D %d > 512" % d)


def pack_params(addrs, q_rows, k_rows, hq, hkv, d, scale, flags):
    """struct AttnParams (attention_params.h): 12 pointers, 5 ints, float, 2 ints = 128 bytes."""
    assert len(addrs) == 12
    b = struct.pack("<12Q5ifii", *addrs, q_rows, k_rows, hq, hkv, d, float(np.float32(scale * LOG2E)), flags, 0)
    assert len(b) == 128
    return b


def reference(q, k, v, qpos, kpos, qseg, kseg, scale, causal):
    """float64 attention: q (Sq,Hq,D), k/v (Sk,Hkv,D) -> O (Sq,Hq,D), LSE (Hq,Sq); no visible key -> 0, -inf."""
    q = q.astype(np.float64)
    k = k.astype(np.float64)
    v = v.astype(np.float64)
    sq, hq, d = q.shape
    hkv = k.shape[1]
    vis = np.ones((sq, k.shape[0]), dtype=bool)
    if causal:
        vis &= kpos[None, :] <= qpos[:, None]
    if qseg is not None:
        vis &= kseg[None, :] == qseg[:, None]
    out = np.zeros((sq, hq, d))
    lse = np.full((hq, sq), -np.inf)
    any_vis = vis.any(axis=1)
    for h in range(hq):
        g = h // (hq // hkv)
        s = scale * (q[:, h, :] @ k[:, g, :].T)
        s = np.where(vis, s, -np.inf)
        m = np.where(any_vis, s.max(axis=1), 0.0)
        p = np.where(vis, np.exp(s - m[:, None]), 0.0)
        l = p.sum(axis=1)
        ok = l > 0
        out[ok, h, :] = (p[ok] / l[ok, None]) @ v[:, g, :]
        lse[h, ok] = m[ok] + np.log(l[ok])
    return out, lse


def reference_mass(q, k, lse, qpos, kpos, qseg, kseg, scale, causal):
    """float64 attention mass: mass[h, j] = sum_i exp(s_ij - LSE_i) over visible pairs, (Hq, Sk)."""
    q = q.astype(np.float64)
    k = k.astype(np.float64)
    sq, hq, _ = q.shape
    hkv = k.shape[1]
    vis = np.ones((sq, k.shape[0]), dtype=bool)
    if causal:
        vis &= kpos[None, :] <= qpos[:, None]
    if qseg is not None:
        vis &= kseg[None, :] == qseg[:, None]
    mass = np.zeros((hq, k.shape[0]))
    for h in range(hq):
        g = h // (hq // hkv)
        s = scale * (q[:, h, :] @ k[:, g, :].T) - np.where(np.isneginf(lse[h]), 0, lse[h])[:, None]
        mass[h] = np.where(vis, np.exp(np.where(vis, s, 0)), 0).sum(axis=0)
    return mass


def round_to(x, dtype):
    if dtype == "bf16":
        u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
        u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
        return u.astype(np.uint32).view(np.float32)
    if dtype == "fp16":
        return x.astype(np.float16).astype(np.float32)
    return x.astype(np.float32)


def self_test():
    """Host-side checks that need no GPU: struct layout, the reference against a direct softmax."""
    b = pack_params(list(range(1, 13)), 5, 6, 8, 2, 64, 0.125, CAUSAL | FINISH)
    assert struct.unpack_from("<Q", b, 88)[0] == 12
    assert struct.unpack_from("<i", b, 96)[0] == 5
    assert abs(struct.unpack_from("<f", b, 116)[0] - 0.125 * LOG2E) < 1e-7
    assert struct.unpack_from("<i", b, 120)[0] == CAUSAL | FINISH
    rng = np.random.default_rng(1)
    q = rng.standard_normal((7, 4, 8)).astype(np.float32)
    k = rng.standard_normal((9, 2, 8)).astype(np.float32)
    v = rng.standard_normal((9, 2, 8)).astype(np.float32)
    qpos = np.arange(7, dtype=np.int32)
    kpos = np.arange(9, dtype=np.int32) - 2
    o, lse = reference(q, k, v, qpos, kpos, None, None, 0.3, True)
    q, k, v = q.astype(np.float64), k.astype(np.float64), v.astype(np.float64)
    for h in range(4):
        for i in range(7):
            s = np.array([0.3 * float(q[i, h] @ k[j, h // 2]) for j in range(9) if kpos[j] <= qpos[i]])
            w = np.exp(s - s.max())
            vs = np.array([v[j, h // 2] for j in range(9) if kpos[j] <= qpos[i]])
            assert np.allclose(o[i, h], (w / w.sum()) @ vs, atol=1e-12)
            assert abs(lse[h, i] - (s.max() + math.log(w.sum()))) < 1e-12
    o2, lse2 = reference(q, k, v, qpos, kpos + 100, None, None, 0.3, True)
    assert np.all(o2 == 0) and np.all(np.isneginf(lse2))
    assert launch_shape("bf16", 128)[4] == (128 + 256) * 136 * 2 + 1024
    # Mirrors of LaunchShape.java (LaunchShapeTest pins the same numbers).
    assert launch_shape("fp32", 384)[:3] == ("ra_fwd_f32_d512", 16, 16)
    assert launch_shape("fp32", 384)[4] == (16 * 513 + 2 * 16 * 513 + 16 * 17) * 4 + 128
    assert mass_shape(32) == ("ra_mass_f32_d32", 64, 32, 128, (64 + 32) * 33 * 4 + 3 * 32 * 4)
    assert mass_shape(385)[:3] == ("ra_mass_f32_d512", 16, 16)
    lse_m = reference(q, k, v, qpos, kpos, None, None, 0.3, True)[1]
    mass = reference_mass(q, k, lse_m, qpos, kpos, None, None, 0.3, True)
    # Each query's weights sum to 1, so the keys' masses sum to the number of (query, head) rows that see a key.
    assert abs(mass.sum() - np.isfinite(lse_m).sum()) < 1e-9
    assert round_to(np.array([1.00390625], np.float32), "bf16")[0] == 1.0
    print("self-test: 2 passed, 0 failed")
    return 0


class Cuda:
    """The kernels of one fatbin, launched through the driver API in PyTorch's current context."""

    def __init__(self, fatbin_path, torch):
        self.torch = torch
        torch.zeros(1, device="cuda")  # creates and binds the primary context on this thread
        self.lib = ctypes.CDLL("libcuda.so.1")
        ctx = ctypes.c_void_p()
        self._check(self.lib.cuCtxGetCurrent(ctypes.byref(ctx)), "cuCtxGetCurrent")
        if not ctx.value:
            raise RuntimeError("no current CUDA context after torch initialization")
        data = open(fatbin_path, "rb").read()
        self._image = ctypes.create_string_buffer(data, len(data))
        self.module = ctypes.c_void_p()
        self._check(self.lib.cuModuleLoadData(ctypes.byref(self.module), self._image), "cuModuleLoadData")
        self.functions = {}

    def _check(self, rc, what):
        if rc != 0:
            name = ctypes.c_char_p()
            self.lib.cuGetErrorName(rc, ctypes.byref(name))
            raise RuntimeError("%s failed: %s (%d)" % (what, name.value.decode() if name.value else "?", rc))

    def function(self, name, shared):
        f = self.functions.get(name)
        if f is None:
            f = ctypes.c_void_p()
            self._check(self.lib.cuModuleGetFunction(ctypes.byref(f), self.module, name.encode()), "get " + name)
            # CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8: over 48 KB must be opted into.
            self._check(self.lib.cuFuncSetAttribute(f, 8, ctypes.c_int(shared)), "cuFuncSetAttribute " + name)
            self.functions[name] = f
        return f

    def launch(self, name, grid, threads, shared, args):
        """args: list of ctypes values (each passed by address, as cuLaunchKernel expects)."""
        f = self.function(name, shared)
        ptrs = (ctypes.c_void_p * len(args))(*[ctypes.cast(ctypes.byref(a), ctypes.c_void_p) for a in args])
        self._check(self.lib.cuLaunchKernel(f, ctypes.c_uint(grid[0]), ctypes.c_uint(grid[1]), ctypes.c_uint(1),
                                            ctypes.c_uint(threads), ctypes.c_uint(1), ctypes.c_uint(1),
                                            ctypes.c_uint(shared), ctypes.c_void_p(0), ptrs, ctypes.c_void_p(0)),
                    "cuLaunchKernel " + name)

    def sync(self, what):
        self._check(self.lib.cuCtxSynchronize(), what)


class Problem:
    """Device buffers of one attention problem and the launches that run it."""

    def __init__(self, cuda, dtype, q, k, v, qpos, kpos, qseg, kseg, scale, causal):
        t = cuda.torch
        self.cuda, self.dtype, self.scale, self.causal = cuda, dtype, scale, causal
        tdt = {"fp32": t.float32, "bf16": t.bfloat16, "fp16": t.float16}[dtype]
        dev = "cuda"
        self.q = t.as_tensor(q, device=dev).to(tdt).contiguous()
        self.k = t.as_tensor(k, device=dev).to(tdt).contiguous()
        self.v = t.as_tensor(v, device=dev).to(tdt).contiguous()
        self.qpos = t.as_tensor(qpos, device=dev).to(t.int32).contiguous()
        self.kpos = t.as_tensor(kpos, device=dev).to(t.int32).contiguous()
        self.qseg = None if qseg is None else t.as_tensor(qseg, device=dev).to(t.int32).contiguous()
        self.kseg = None if kseg is None else t.as_tensor(kseg, device=dev).to(t.int32).contiguous()
        self.sq, self.hq, self.d = self.q.shape
        self.sk, self.hkv = self.k.shape[0], self.k.shape[1]
        self.name, self.bm, self.bn, self.threads, self.shared = launch_shape(dtype, self.d)
        self.qtiles = t.empty(((self.sq + self.bm - 1) // self.bm, 4), dtype=t.int32, device=dev)
        self.ktiles = t.empty(((self.sk + self.bn - 1) // self.bn, 4), dtype=t.int32, device=dev)
        self.acc = t.empty((self.sq, self.hq, self.d), dtype=t.float32, device=dev)
        self.m = t.empty((self.hq, self.sq), dtype=t.float32, device=dev)
        self.l = t.empty((self.hq, self.sq), dtype=t.float32, device=dev)
        self._bounds(self.qpos, self.qseg, self.sq, self.bm, self.qtiles)
        self._bounds(self.kpos, self.kseg, self.sk, self.bn, self.ktiles)

    def _bounds(self, pos, seg, n, tile, out):
        self.cuda.launch("ra_tile_bounds", ((n + tile - 1) // tile, 1), 32, 0, [
            ctypes.c_void_p(pos.data_ptr()), ctypes.c_void_p(0 if seg is None else seg.data_ptr()),
            ctypes.c_int(n), ctypes.c_int(tile), ctypes.c_void_p(out.data_ptr())])

    def poison(self):
        self.acc.fill_(float("nan"))
        self.m.fill_(float("nan"))
        self.l.fill_(float("nan"))

    def forward(self, flags_extra, k_range=None):
        """One launch over keys k_range (default all); flags_extra: LOAD_STATE / FINISH."""
        k0, k1 = k_range or (0, self.sk)
        flags = (CAUSAL if self.causal else 0) | (SEGMENTS if self.qseg is not None else 0) | flags_extra
        esz = self.k.element_size()
        krow = self.hkv * self.d * esz
        ktiles = self.ktiles
        if (k0, k1) != (0, self.sk):
            ktiles = self.cuda.torch.empty(((k1 - k0 + self.bn - 1) // self.bn, 4), dtype=self.cuda.torch.int32, device="cuda")
            self._bounds(self.kpos[k0:k1], None if self.kseg is None else self.kseg[k0:k1], k1 - k0, self.bn, ktiles)
        addrs = [self.q.data_ptr(), self.k.data_ptr() + k0 * krow, self.v.data_ptr() + k0 * krow,
                 self.qpos.data_ptr(), self.kpos.data_ptr() + 4 * k0,
                 0 if self.qseg is None else self.qseg.data_ptr(),
                 0 if self.kseg is None else self.kseg.data_ptr() + 4 * k0,
                 self.qtiles.data_ptr(), ktiles.data_ptr(), self.acc.data_ptr(), self.m.data_ptr(), self.l.data_ptr()]
        params = pack_params(addrs, self.sq, k1 - k0, self.hq, self.hkv, self.d, self.scale, flags)
        buf = (ctypes.c_char * 128).from_buffer_copy(params)
        self.cuda.launch(self.name, ((self.sq + self.bm - 1) // self.bm, self.hq), self.threads, self.shared, [buf])

    def mass(self, lse):
        """ra_mass_f32 with LSE (Hq, Sq) from a finished pass: the attention each key receives, (Hq, Sk)."""
        t = self.cuda.torch
        name, bk, _, threads, shared = mass_shape(self.d)
        lse_t = t.as_tensor(np.ascontiguousarray(lse, dtype=np.float32), device="cuda")
        out = t.full((self.hq, self.sk), float("nan"), dtype=t.float32, device="cuda")
        flags = (CAUSAL if self.causal else 0) | (SEGMENTS if self.qseg is not None else 0)
        addrs = [self.q.data_ptr(), self.k.data_ptr(), 0, self.qpos.data_ptr(), self.kpos.data_ptr(),
                 0 if self.qseg is None else self.qseg.data_ptr(), 0 if self.kseg is None else self.kseg.data_ptr(),
                 0, 0, out.data_ptr(), lse_t.data_ptr(), 0]
        params = pack_params(addrs, self.sq, self.sk, self.hq, self.hkv, self.d, self.scale, flags)
        buf = (ctypes.c_char * 128).from_buffer_copy(params)
        self.cuda.launch(name, ((self.sk + bk - 1) // bk, self.hq), threads, shared, [buf])
        self.cuda.sync("attention mass kernel " + name)
        return out.double().cpu().numpy()

    def results(self):
        self.cuda.sync("attention kernel " + self.name)
        return self.acc.double().cpu().numpy(), self.m.double().cpu().numpy()


def make_case(rng, sq, sk, hq, hkv, d, segments, key_offset, striped):
    q = rng.standard_normal((sq, hq, d)).astype(np.float32)
    k = rng.standard_normal((sk, hkv, d)).astype(np.float32)
    v = rng.standard_normal((sk, hkv, d)).astype(np.float32)
    if striped:
        # Striped layout (Brandon et al., arXiv 2311.09431): this shard holds tokens r, r+P, ...; keys come from another shard.
        qpos = np.arange(sq) * 4 + 1
        kpos = np.arange(sk) * 4 + 3
    else:
        qpos = np.arange(sq)
        kpos = np.arange(sk) + key_offset
    qseg = kseg = None
    if segments:
        # Documents of uneven length, by position, so queries and keys agree on who belongs where.
        cuts = np.sort(rng.choice(np.arange(1, max(qpos.max(), kpos.max()) + 1), size=segments, replace=False))
        qseg = np.searchsorted(cuts, qpos, side="right").astype(np.int32)
        kseg = np.searchsorted(cuts, kpos, side="right").astype(np.int32)
    return q, k, v, qpos.astype(np.int32), kpos.astype(np.int32), qseg, kseg


MASS_CASES = [
    # Sq, Sk, Hq, Hkv, D, causal, segments, key offset
    (1, 1, 1, 1, 1, False, 0, 0),
    (333, 333, 1, 1, 384, False, 0, 0),  # sentence centrality's second pass
    (200, 150, 2, 1, 32, True, 3, 20),
    (129, 300, 4, 2, 128, True, 0, 0),
    (100, 70, 1, 1, 385, False, 2, 0),
]

CASES = [
    # dtype, Sq, Sk, Hq, Hkv, D, causal, segments (cuts), key offset, striped, mode
    ("fp32", 1, 1, 1, 1, 1, False, 0, 0, False, "finish"),
    ("fp32", 333, 333, 4, 2, 48, True, 0, 0, False, "finish"),
    ("fp32", 1000, 1000, 8, 2, 64, True, 3, 0, False, "finish"),
    ("fp32", 257, 511, 3, 1, 128, False, 5, 0, False, "finish"),
    ("fp32", 130, 130, 2, 2, 256, True, 0, 0, False, "finish"),
    ("fp32", 200, 300, 2, 1, 32, True, 0, 100, False, "finish"),  # early rows see nothing: O = 0, LSE = -inf
    ("fp32", 301, 299, 4, 4, 64, True, 0, 0, True, "finish"),
    ("fp32", 517, 517, 4, 2, 96, True, 2, 0, False, "two-calls"),
    ("fp32", 150, 150, 12, 12, 32, False, 6, 0, False, "two-calls"),  # MiniLM's heads, packed sentences
    ("fp32", 301, 301, 1, 1, 384, False, 0, 0, False, "finish"),  # sentence vectors: beyond 256
    ("fp32", 190, 257, 1, 1, 385, True, 2, 0, False, "two-calls"),  # centrality's second ring pass
    ("fp32", 77, 77, 2, 1, 300, True, 0, 0, True, "finish"),
    ("bf16", 777, 777, 4, 1, 64, True, 4, 0, False, "finish"),
    ("bf16", 1031, 1031, 2, 2, 128, False, 0, 0, False, "finish"),
    ("bf16", 300, 450, 2, 1, 128, True, 0, 150, False, "finish"),
    ("bf16", 4099, 4099, 2, 1, 128, True, 40, 0, False, "finish"),  # many documents: most tiles skipped
    ("bf16", 383, 389, 4, 2, 64, True, 0, 0, True, "finish"),
    ("bf16", 1100, 1100, 4, 2, 128, True, 3, 0, False, "two-calls"),
    ("fp16", 500, 500, 4, 4, 64, True, 0, 0, False, "finish"),
    ("fp16", 129, 65, 2, 1, 128, False, 2, 0, False, "two-calls"),
]


def run_checks(cuda, seed, quick):
    rng = np.random.default_rng(seed)
    rows = []
    failed = 0
    for (dtype, sq, sk, hq, hkv, d, causal, segs, koff, striped, mode) in CASES:
        if quick and sq > 1100:
            continue
        q, k, v, qpos, kpos, qseg, kseg = make_case(rng, sq, sk, hq, hkv, d, segs, koff, striped)
        q, k, v = round_to(q, dtype), round_to(k, dtype), round_to(v, dtype)
        scale = 1.0 / math.sqrt(d)
        ref_o, ref_lse = reference(q, k, v, qpos, kpos, qseg, kseg, scale, causal)
        p = Problem(cuda, dtype, q, k, v, qpos, kpos, qseg, kseg, scale, causal)
        p.poison()
        if mode == "finish":
            p.forward(FINISH)
        else:
            # The Java backend's use: an empty state, then the keys in two calls, state carried in fp32.
            p.acc.zero_()
            p.m.fill_(float("-inf"))
            p.l.zero_()
            mid = sk // 2
            p.forward(LOAD_STATE, (0, mid))
            p.forward(LOAD_STATE | FINISH, (mid, sk))
        o, lse = p.results()
        # P is rounded to the input type before P V (unit roundoff 2^-8 for bf16, 2^-11 for fp16) and O is a
        # convex combination of V rows, so O may move by that much of max|v| on top of the kernel's own 2e-3.
        unit = {"fp32": 0.0, "bf16": 2.0 ** -8, "fp16": 2.0 ** -11}[dtype]
        tol_o = 1e-5 if dtype == "fp32" else 2e-3 + unit * float(np.max(np.abs(v)))
        tol = 1e-5 if dtype == "fp32" else 2e-3
        masked = np.isneginf(ref_lse)
        problems = []
        if not np.all(np.isfinite(o)):
            problems.append("non-finite O")
        if np.any(np.isnan(lse)) or not np.array_equal(np.isneginf(lse), masked):
            problems.append("LSE -inf pattern differs")
        if np.any(o[masked.T] != 0):
            problems.append("rows without keys are not 0")
        err_o = float(np.max(np.abs(np.nan_to_num(o) - ref_o)))
        finite = ~masked
        err_l = float(np.max(np.abs(lse[finite] - ref_lse[finite]))) if finite.any() else 0.0
        ok = not problems and err_o <= tol_o and err_l <= tol
        failed += not ok
        rows.append((p.name, "Sq=%d Sk=%d Hq=%d Hkv=%d D=%d%s%s%s%s %s" % (
            sq, sk, hq, hkv, d, " causal" if causal else "", " seg" if segs else "",
            " koff=%d" % koff if koff else "", " striped" if striped else "", mode),
            err_o, err_l, masked.sum(), tol, "ok" if ok else "FAIL " + ", ".join(problems)))
    print("\n== correctness against float64 (fresh random inputs, seed %d) ==" % seed)
    print("%-18s %-58s %10s %10s %7s %7s  %s" % ("kernel", "case", "max|dO|", "max|dLSE|", "empty", "tol", "result"))
    for r in rows:
        print("%-18s %-58s %10.2e %10.2e %7d %7.0e  %s" % r)
    print("correctness: %d passed, %d failed" % (len(rows) - failed, failed))
    return failed


def run_mass_checks(cuda, seed):
    """ra_mass_f32 against float64, with the float64 LSE as input: relative error <= 1e-5 per key."""
    rng = np.random.default_rng(seed + 1)
    failed = 0
    print("\n== attention mass against float64 ==")
    print("%-18s %-44s %12s  %s" % ("kernel", "case", "max rel err", "result"))
    for (sq, sk, hq, hkv, d, causal, segs, koff) in MASS_CASES:
        q, k, v, qpos, kpos, qseg, kseg = make_case(rng, sq, sk, hq, hkv, d, segs, koff, False)
        scale = 1.0 / math.sqrt(d)
        _, lse = reference(q, k, v, qpos, kpos, qseg, kseg, scale, causal)
        want = reference_mass(q, k, lse, qpos, kpos, qseg, kseg, scale, causal)
        p = Problem(cuda, "fp32", q, k, v, qpos, kpos, qseg, kseg, scale, causal)
        got = p.mass(lse)
        err = float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))) if np.all(np.isfinite(got)) else float("inf")
        ok = err <= 1e-5
        failed += not ok
        print("%-18s %-44s %12.2e  %s" % (mass_shape(d)[0], "Sq=%d Sk=%d Hq=%d Hkv=%d D=%d%s%s%s" % (
            sq, sk, hq, hkv, d, " causal" if causal else "", " seg" if segs else "", " koff=%d" % koff if koff else ""),
            err, "ok" if ok else "FAIL"))
    print("attention mass: %d passed, %d failed" % (len(MASS_CASES) - failed, failed))
    return failed


def bench(cuda, quick, budget_s):
    """The production kernels (fp32, and bf16 where a tensor-core kernel exists) beside SDPA in bf16."""
    t = cuda.torch
    F = t.nn.functional
    start = time.time()
    print("\n== speed: our forward vs torch scaled_dot_product_attention (bf16) on %s ==" % t.cuda.get_device_name(0))
    print("%6s %4s %4s %7s %5s %10s %10s %10s %10s %7s" % (
        "S", "D", "H", "causal", "ours", "ours ms", "sdpa ms", "ours TF/s", "sdpa TF/s", "ratio"))
    seqs = (16384,) if quick else (4096, 16384, 65536)
    for s in seqs:
        for d in (64, 128, 384):
            for causal in (False, True):
                h = max(1, 2048 // d)
                gen = t.Generator(device="cuda").manual_seed(s + d)
                q, k, v = (t.randn((s, h, d), generator=gen, device="cuda") for _ in range(3))
                pos = t.arange(s, dtype=t.int32, device="cuda")
                qt, kt, vt = (x.to(t.bfloat16).transpose(0, 1).unsqueeze(0) for x in (q, k, v))
                reps = 3 if s >= 65536 else 10
                sdpa = timed(t, lambda: F.scaled_dot_product_attention(qt, kt, vt, is_causal=causal), reps)
                flops = 4.0 * s * s * d * h / (2 if causal else 1)
                for dtype in (("fp32", "bf16") if d in (64, 128) else ("fp32",)):
                    if time.time() - start > budget_s:
                        print("(time budget reached, stopping the benchmark)")
                        return
                    p = Problem(cuda, dtype, q, k, v, pos, pos, None, None, 1.0 / math.sqrt(d), causal)
                    ours = timed(t, lambda: p.forward(FINISH), reps)
                    print("%6d %4d %4d %7s %5s %10.3f %10.3f %10.1f %10.1f %7.2f" % (
                        s, d, h, causal, dtype, ours * 1e3, sdpa * 1e3, flops / ours / 1e12, flops / sdpa / 1e12,
                        sdpa / ours))
                    print("TIME attention S=%d D=%d H=%d%s %s | %.1f TFLOP/s | SDPA bf16 %.1f | %.2fx SDPA" % (
                        s, d, h, " causal" if causal else "", dtype, flops / ours / 1e12, flops / sdpa / 1e12,
                        sdpa / ours))
                    del p
                del q, k, v, qt, kt, vt
                t.cuda.empty_cache()


def timed(t, fn, reps):
    fn()
    t.cuda.synchronize()
    times = []
    for _ in range(reps):
        a = t.cuda.Event(enable_timing=True)
        b = t.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / 1e3)
    return sorted(times)[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fatbin", nargs="?")
    ap.add_argument("--quick", action="store_true", help="skip the largest checks; time S = 16k only")
    ap.add_argument("--no-bench", action="store_true")
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock (fresh inputs each run)")
    ap.add_argument("--bench-budget", type=float, default=240.0, help="seconds the benchmark may take")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if not a.fatbin:
        ap.error("give the fatbin path")
    import torch
    if not torch.cuda.is_available():
        print("error: torch sees no CUDA device; run this on the GPU machine", file=sys.stderr)
        return 1
    seed = a.seed if a.seed is not None else int(time.time()) % 100000
    print("GPU: %s (cc %d.%d), torch %s" % (torch.cuda.get_device_name(0), *torch.cuda.get_device_capability(0), torch.__version__))
    cuda = Cuda(a.fatbin, torch)
    failed = run_checks(cuda, seed, a.quick) + run_mass_checks(cuda, seed)
    if not a.no_bench:
        bench(cuda, a.quick, a.bench_budget)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
