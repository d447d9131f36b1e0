#!/usr/bin/env python3
"""A NumPy model of the CUDA forward kernels (src/main/cuda/attention.cu), for checking their design on
a machine without a GPU. It runs nothing of the CUDA code: it re-states two of its parts and checks them.

1. Fragment layouts of fwd_mma: the ldmatrix row addresses the kernel computes, fed through the
   register layouts of ldmatrix(.trans) and mma.sync.m16n8k16 as the PTX ISA defines them, must give
   S = Q K^T and O = P V of one warp exactly.
2. The tile algorithm of fwd_f32 / fwd_mma in float32: tile bounds and skip/partial/full classification,
   masks from global positions and segment ids, the exp2 online softmax with the -inf guard, state in
   and out in the natural-log domain, O and LSE at the end, P rounded to bf16 (split into hi + lo parts)
   or fp16 for the tensor-core kernels, with the tile edges the launch shapes give (16 x 16 beyond D = 256).
   Checked against float64 on the cases of gpu_check.py with its tolerances (1e-5 fp32, 2e-3 bf16/fp16),
   and every tile called FULL must be fully visible.
3. The encoder's tensor-core GEMM (re_gemm_bf16): fragments loaded from [m][k] and [n][k] tiles give X W^T.
4. The attention-mass kernel (mass_f32): key tiles walking query tiles, exp2 against the given LSE, on
   gpu_check.py's MASS_CASES against float64 (relative error 1e-5).

Exit status 0 when both hold; prints "kernel model: N passed, M failed". About 20 s.
Keep it in step with attention.cu when the kernels change.
"""

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpu_check as g  # noqa: E402  (cases, reference, rounding)

LOG2E = np.float32(1.4426950408889634)
LN2 = np.float32(0.6931471805599453)
SKIP, PARTIAL, FULL = 0, 1, 2


def ldmatrix(smem, address, trans):
    """x4: lanes 8i..8i+7 give the row addresses of matrix i; lane l receives row l/4, columns 2(l%4), +1
    (with .trans: column l/4, rows 2(l%4), +1)."""
    regs = [[None] * 4 for _ in range(32)]
    for i in range(4):
        m = np.array([smem[r, c:c + 8] for (r, c) in (address(8 * i + j) for j in range(8))])
        for lane in range(32):
            gid, t = lane // 4, lane % 4
            regs[lane][i] = (m[gid, 2 * t], m[gid, 2 * t + 1]) if not trans else (m[2 * t, gid], m[2 * t + 1, gid])
    return regs


def mma(c, a, b0, b1):
    """m16n8k16 row.col: A regs (g, 2t), (g+8, 2t), (g, 2t+8), (g+8, 2t+8); B regs (k 2t, n g), (k 2t+8, n g);
    C (g, 2t..2t+1) and (g+8, 2t..2t+1)."""
    am = np.zeros((16, 16))
    bm = np.zeros((16, 8))
    for lane in range(32):
        gid, t = lane // 4, lane % 4
        am[gid, 2 * t:2 * t + 2] = a[lane][0]
        am[gid + 8, 2 * t:2 * t + 2] = a[lane][1]
        am[gid, 2 * t + 8:2 * t + 10] = a[lane][2]
        am[gid + 8, 2 * t + 8:2 * t + 10] = a[lane][3]
        bm[2 * t:2 * t + 2, gid] = b0[lane]
        bm[2 * t + 8:2 * t + 10, gid] = b1[lane]
    cm = am @ bm
    for lane in range(32):
        gid, t = lane // 4, lane % 4
        c[lane][0] += cm[gid, 2 * t]
        c[lane][1] += cm[gid, 2 * t + 1]
        c[lane][2] += cm[gid + 8, 2 * t]
        c[lane][3] += cm[gid + 8, 2 * t + 1]


def check_fragments(d, warp, rng):
    bn, ld, bm = 64, d + 8, 64
    qs, ks, vs = (rng.standard_normal((r, ld)) for r in (bm, bn, bn))
    qf = [ldmatrix(qs, lambda lane, kk=kk: (warp * 16 + (lane & 15), kk * 16 + (lane >> 4) * 8), False)
          for kk in range(d // 16)]
    s = [[[0.0] * 4 for _ in range(32)] for _ in range(bn // 8)]
    for kk in range(d // 16):
        for n2 in range(bn // 16):
            b = ldmatrix(ks, lambda lane: (n2 * 16 + (lane >> 4) * 8 + (lane & 7), kk * 16 + ((lane >> 3) & 1) * 8), False)
            mma(s[2 * n2], qf[kk], [x[0] for x in b], [x[1] for x in b])
            mma(s[2 * n2 + 1], qf[kk], [x[2] for x in b], [x[3] for x in b])
    o = [[[0.0] * 4 for _ in range(32)] for _ in range(d // 8)]
    for kc in range(bn // 16):
        a = [(tuple(s[2 * kc][l][0:2]), tuple(s[2 * kc][l][2:4]), tuple(s[2 * kc + 1][l][0:2]),
              tuple(s[2 * kc + 1][l][2:4])) for l in range(32)]
        for dp in range(d // 16):
            b = ldmatrix(vs, lambda lane: (kc * 16 + (lane & 15), dp * 16 + (lane >> 4) * 8), True)
            mma(o[2 * dp], a, [x[0] for x in b], [x[1] for x in b])
            mma(o[2 * dp + 1], a, [x[2] for x in b], [x[3] for x in b])
    want_s = qs[warp * 16:warp * 16 + 16, :d] @ ks[:, :d].T
    want_o = want_s @ vs[:, :d]
    worst = 0.0
    for frags, want in ((s, want_s), (o, want_o)):
        for n, tile in enumerate(frags):
            for lane in range(32):
                gid, t = lane // 4, lane % 4
                exp = (want[gid, n * 8 + 2 * t], want[gid, n * 8 + 2 * t + 1],
                       want[gid + 8, n * 8 + 2 * t], want[gid + 8, n * 8 + 2 * t + 1])
                worst = max(worst, max(abs(x - y) for x, y in zip(tile[lane], exp)))
    return worst


def check_gemm_fragments(rng):
    """re_gemm_bf16 (encoder.cu): each warp's 32 x 32 block of a 64 x 64 tile from 32-bit fragment loads
    of As[m][k] and Bs[n][k] (PyTorch's weight layout), two k16 steps; must equal As Bs^T."""
    bk = 32
    a_s, b_s = rng.standard_normal((64, bk)), rng.standard_normal((64, bk))
    worst = 0.0
    for warp in range(4):
        wm, wn = (warp >> 1) * 32, (warp & 1) * 32
        c = [[[[0.0] * 4 for _ in range(32)] for _ in range(4)] for _ in range(2)]
        for kk in (0, 16):
            for i in range(2):
                a = []
                for lane in range(32):
                    g_, t = lane // 4, lane % 4
                    r = wm + 16 * i + g_
                    a.append((tuple(a_s[r, kk + 2 * t:kk + 2 * t + 2]), tuple(a_s[r + 8, kk + 2 * t:kk + 2 * t + 2]),
                              tuple(a_s[r, kk + 2 * t + 8:kk + 2 * t + 10]), tuple(a_s[r + 8, kk + 2 * t + 8:kk + 2 * t + 10])))
                for j in range(4):
                    b0, b1 = [], []
                    for lane in range(32):
                        g_, t = lane // 4, lane % 4
                        n = wn + 8 * j + g_
                        b0.append(tuple(b_s[n, kk + 2 * t:kk + 2 * t + 2]))
                        b1.append(tuple(b_s[n, kk + 2 * t + 8:kk + 2 * t + 10]))
                    mma(c[i][j], a, b0, b1)
        want = a_s @ b_s.T
        for i in range(2):
            for j in range(4):
                for lane in range(32):
                    g_, t = lane // 4, lane % 4
                    for e in range(4):
                        m = wm + 16 * i + g_ + 8 * (e >> 1)
                        n = wn + 8 * j + 2 * t + (e & 1)
                        worst = max(worst, abs(c[i][j][lane][e] - want[m, n]))
    return worst


def tile_bounds(pos, seg, tile):
    out = []
    for f in range(0, len(pos), tile):
        p = pos[f:f + tile]
        s = seg[f:f + tile] if seg is not None else np.zeros(len(p), np.int32)
        out.append((p.min(), p.max(), s.min(), s.max()))
    return out


def classify(causal, segs, qb, kb, complete):
    if causal and kb[0] > qb[1]:
        return SKIP
    if segs and (kb[3] < qb[2] or kb[2] > qb[3]):
        return SKIP
    causal_clear = not causal or kb[1] <= qb[0]
    segs_clear = not segs or (qb[2] == qb[3] and kb[2] == kb[3] and qb[2] == kb[2])
    return FULL if causal_clear and segs_clear and complete else PARTIAL


def forward(q, k, v, qpos, kpos, qseg, kseg, scale, causal, state, finish, bm, bn, dtype, counts):
    """One kernel launch on (acc, m, l): LOAD_STATE always (an empty state is m = -inf, l = 0, acc = 0)."""
    sq, hq, _ = q.shape
    sk, hkv = k.shape[:2]
    segs = qseg is not None
    qt, kt = tile_bounds(qpos, qseg, bm), tile_bounds(kpos, kseg, bn)
    acc, m, l = state
    scale_log2 = np.float32(scale * 1.4426950408889634)
    for h in range(hq):
        gh = h // (hq // hkv)
        for t in range(len(qt)):
            rows = slice(t * bm, min(t * bm + bm, sq))
            m_in = m[h, rows].copy()
            m2 = (m_in * LOG2E).astype(np.float32)
            lsum = l[h, rows].copy()
            o = acc[rows, h, :].copy()
            for j in range(len(kt)):
                cols = slice(j * bn, min(j * bn + bn, sk))
                vis = classify(causal, segs, qt[t], kt[j], j * bn + bn <= sk)
                counts[vis] += 1
                if vis == SKIP:
                    continue
                s = (q[rows, h, :] @ k[cols, gh, :].T).astype(np.float32) * scale_log2
                ok = np.ones(s.shape, bool)
                if causal:
                    ok &= kpos[cols][None, :] <= qpos[rows][:, None]
                if segs:
                    ok &= kseg[cols][None, :] == qseg[rows][:, None]
                if vis == FULL and not ok.all():
                    raise AssertionError("a tile classified FULL hides a pair")
                s = np.where(ok, s, -np.inf).astype(np.float32)
                m_new = np.maximum(m2, s.max(axis=1))
                m_ref = np.where(m_new == -np.inf, 0, m_new).astype(np.float32)
                alpha = np.exp2(m2 - m_ref).astype(np.float32)
                p = np.exp2(s - m_ref[:, None]).astype(np.float32)
                lsum = (lsum * alpha + p.sum(axis=1)).astype(np.float32)
                m2 = m_new
                if dtype == "bf16":
                    hi = g.round_to(p, dtype)
                    pv = hi @ v[cols, gh, :] + g.round_to((p - hi).astype(np.float32), dtype) @ v[cols, gh, :]
                else:
                    pv = g.round_to(p, dtype) @ v[cols, gh, :]
                o = (o * alpha[:, None] + pv).astype(np.float32)
            if finish:
                safe = np.where(lsum > 0, lsum, 1)
                m[h, rows] = np.where(lsum > 0, (m2 + np.log2(safe)) * LN2, -np.inf)
                acc[rows, h, :] = o * np.where(lsum > 0, 1 / safe, 0)[:, None]
            else:
                m[h, rows] = np.where(m2 == m_in * LOG2E, m_in, m2 * LN2)
                l[h, rows] = lsum
                acc[rows, h, :] = o


def mass(q, k, lse, qpos, kpos, qseg, kseg, scale, causal, bk, bq):
    """ra_mass_f32 in float32: per key tile of bk, query tiles of bq; exp2 of the log2-domain logit minus
    LSE log2 e, summed over visible pairs (queries past the end never visible)."""
    sq, hq, _ = q.shape
    sk, hkv = k.shape[:2]
    scale_log2 = np.float32(scale * 1.4426950408889634)
    out = np.zeros((hq, sk), np.float32)
    for h in range(hq):
        gh = h // (hq // hkv)
        lse2 = (lse[h].astype(np.float32) * LOG2E).astype(np.float32)
        for j0 in range(0, sk, bk):
            cols = slice(j0, min(j0 + bk, sk))
            acc = np.zeros(cols.stop - cols.start, np.float32)
            for i0 in range(0, sq, bq):
                rows = slice(i0, min(i0 + bq, sq))
                s = (k[cols, gh, :] @ (q[rows, h, :] * scale_log2).astype(np.float32).T).astype(np.float32)
                ok = np.ones(s.shape, bool)
                if causal:
                    ok &= kpos[cols][:, None] <= qpos[rows][None, :]
                if qseg is not None:
                    ok &= kseg[cols][:, None] == qseg[rows][None, :]
                e = np.exp2(np.where(ok, s - lse2[rows][None, :], -np.inf)).astype(np.float32)
                acc = (acc + e.sum(axis=1)).astype(np.float32)
            out[h, cols] = acc
    return out


def main():
    rng = np.random.default_rng(2307_08691)
    passed = failed = 0
    for d in (64, 128):
        for warp in (0, 3):
            err = check_fragments(d, warp, rng)
            ok = err < 1e-9
            passed += ok
            failed += not ok
            print("fragments D=%d warp %d: max error %.1e %s" % (d, warp, err, "ok" if ok else "FAIL"))
    err = check_gemm_fragments(rng)
    ok = err < 1e-9
    passed += ok
    failed += not ok
    print("encoder bf16 GEMM fragments: max error %.1e %s" % (err, "ok" if ok else "FAIL"))
    for (dtype, sq, sk, hq, hkv, d, causal, segn, koff, striped, mode) in g.CASES:
        q, k, v, qpos, kpos, qseg, kseg = g.make_case(rng, sq, sk, hq, hkv, d, segn, koff, striped)
        q, k, v = g.round_to(q, dtype), g.round_to(k, dtype), g.round_to(v, dtype)
        scale = 1 / math.sqrt(d)
        ref_o, ref_lse = g.reference(q, k, v, qpos, kpos, qseg, kseg, scale, causal)
        bm, bn = g.launch_shape(dtype, d)[1:3]
        state = (np.zeros((sq, hq, d), np.float32), np.full((hq, sq), -np.inf, np.float32), np.zeros((hq, sq), np.float32))
        counts = [0, 0, 0]
        halves = [(0, sk, True)] if mode == "finish" else [(0, sk // 2, False), (sk // 2, sk, True)]
        for k0, k1, finish in halves:
            forward(q, k[k0:k1], v[k0:k1], qpos, kpos[k0:k1], qseg, None if kseg is None else kseg[k0:k1],
                    scale, causal, state, finish, bm, bn, dtype, counts)
        acc, lse = state[0], state[1]
        masked = np.isneginf(ref_lse)
        err_o = float(np.abs(acc - ref_o).max())
        err_l = float(np.abs(lse[~masked] - ref_lse[~masked]).max()) if (~masked).any() else 0.0
        tol = 1e-5 if dtype == "fp32" else 2e-3
        ok = np.array_equal(np.isneginf(lse), masked) and err_o <= tol and err_l <= tol
        passed += ok
        failed += not ok
        print("%-5s Sq=%5d Sk=%5d D=%3d%s%s%s%s %-9s dO=%.1e dLSE=%.1e tiles skip/partial/full=%s %s" % (
            dtype, sq, sk, d, " causal" if causal else "", " seg" if segn else "", " koff" if koff else "",
            " striped" if striped else "", mode, err_o, err_l, counts, "ok" if ok else "FAIL"))
    for (sq, sk, hq, hkv, d, causal, segn, koff) in g.MASS_CASES:
        q, k, v, qpos, kpos, qseg, kseg = g.make_case(rng, sq, sk, hq, hkv, d, segn, koff, False)
        scale = 1 / math.sqrt(d)
        _, lse = g.reference(q, k, v, qpos, kpos, qseg, kseg, scale, causal)
        want = g.reference_mass(q, k, lse, qpos, kpos, qseg, kseg, scale, causal)
        name, bk, bq = g.mass_shape(d)[:3]
        got = mass(q, k, lse, qpos, kpos, qseg, kseg, scale, causal, bk, bq)
        err = float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))
        ok = err <= 1e-5
        passed += ok
        failed += not ok
        print("mass  Sq=%5d Sk=%5d D=%3d%s%s%s %s max rel err=%.1e %s" % (
            sq, sk, d, " causal" if causal else "", " seg" if segn else "", " koff" if koff else "", name, err,
            "ok" if ok else "FAIL"))
    print("kernel model: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
