#!/usr/bin/env python3
"""Checks jobs/attention output against NumPy float64 attention on the same .npy inputs.

Prints one JSON line with the max abs errors and exits 1 when O differs by more than --tolerance
(default 1e-5) or LSE by more than --tolerance relative to max(1, |LSE|).

  python3 src/test/python/check_attention.py --q Q.npy --k K.npy --v V.npy --o O.npy --lse LSE.npy \
      [--causal] [--segments SEG.npy] [--scale X]
"""
import argparse
import json
import sys

import numpy as np


def reference(q, k, v, causal, segments, scale):
    s, hq, d = q.shape
    group = hq // k.shape[1]
    visible = np.ones((s, s), dtype=bool)
    if causal:
        visible &= np.tril(visible)
    if segments is not None:
        visible &= segments[:, None] == segments[None, :]
    out = np.zeros((s, hq, d))
    lse = np.full((hq, s), -np.inf)
    for h in range(hq):
        logits = scale * (q[:, h, :] @ k[:, h // group, :].T)
        logits[~visible] = -np.inf
        m = logits.max(axis=1, keepdims=True)
        seen = np.isfinite(m[:, 0])
        p = np.zeros_like(logits)
        p[seen] = np.exp(logits[seen] - m[seen])
        l = p.sum(axis=1, keepdims=True)
        out[seen, h, :] = (p[seen] / l[seen]) @ v[:, h // group, :]
        lse[h, seen] = m[seen, 0] + np.log(l[seen, 0])
    return out, lse


def main():
    ap = argparse.ArgumentParser()
    for name in ("--q", "--k", "--v", "--o", "--lse"):
        ap.add_argument(name, required=True)
    ap.add_argument("--causal", action="store_true")
    ap.add_argument("--segments")
    ap.add_argument("--scale", type=float)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    a = ap.parse_args()
    q, k, v = (np.load(p).astype(np.float64) for p in (a.q, a.k, a.v))
    segments = np.load(a.segments) if a.segments else None
    scale = a.scale if a.scale else 1.0 / np.sqrt(q.shape[2])
    out, lse = reference(q, k, v, a.causal, segments, scale)
    o = np.load(a.o)
    got_lse = np.load(a.lse)
    out_err = float(np.abs(o - out).max())
    both_inf = np.isneginf(lse) & np.isneginf(got_lse)
    lse_err = float(np.where(both_inf, 0.0, np.abs(got_lse - lse) / np.maximum(1.0, np.abs(lse))).max())
    ok = out_err <= a.tolerance and lse_err <= a.tolerance and o.shape == out.shape
    print(json.dumps({"out_max_abs": out_err, "lse_max_rel": lse_err, "ok": ok}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
