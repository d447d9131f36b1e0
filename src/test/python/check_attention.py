#!/usr/bin/env python3
"""Checks jobs/attention output against NumPy float64 attention on the same .npy inputs.

Prints one JSON line with the max abs errors and exits 1 when O differs by more than --tolerance
(default 1e-5) or LSE by more than --tolerance relative to max(1, |LSE|).

  python3 src/test/python/check_attention.py --q Q.npy --k K.npy --v V.npy --o O.npy --lse LSE.npy \
      [--causal] [--segments SEG.npy] [--scale X]

With --batch CASES.tsv it checks many outputs in one call (one NumPy start-up, one reference per
input): each line is `name  q  k  v  segments|-  causal|-  variant  o  lse  [variant  o  lse ...]`, one
JSON line is printed per output, and the exit status is 1 when any output is off.
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


def expected(q_path, k_path, v_path, causal, segments_path, scale):
    q, k, v = (np.load(p).astype(np.float64) for p in (q_path, k_path, v_path))
    segments = np.load(segments_path) if segments_path else None
    scale = scale if scale else 1.0 / np.sqrt(q.shape[2])
    return reference(q, k, v, causal, segments, scale)


def compare(out, lse, o_path, lse_path, tolerance):
    o = np.load(o_path)
    got_lse = np.load(lse_path)
    if o.shape != out.shape or got_lse.shape != lse.shape:
        return {"out_max_abs": None, "lse_max_rel": None, "ok": False}
    out_err = float(np.abs(o - out).max())
    both_inf = np.isneginf(lse) & np.isneginf(got_lse)
    lse_err = float(np.where(both_inf, 0.0, np.abs(got_lse - lse) / np.maximum(1.0, np.abs(lse))).max())
    ok = out_err <= tolerance and lse_err <= tolerance
    return {"out_max_abs": out_err, "lse_max_rel": lse_err, "ok": ok}


def main():
    ap = argparse.ArgumentParser()
    for name in ("--q", "--k", "--v", "--o", "--lse"):
        ap.add_argument(name)
    ap.add_argument("--causal", action="store_true")
    ap.add_argument("--segments")
    ap.add_argument("--scale", type=float)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--batch")
    a = ap.parse_args()
    if a.batch:
        ok = True
        with open(a.batch) as cases:
            for line in cases:
                name, q, k, v, segments, causal, *outputs = line.rstrip("\n").split("\t")
                out, lse = expected(q, k, v, causal == "causal", None if segments == "-" else segments, None)
                for i in range(0, len(outputs), 3):
                    result = compare(out, lse, outputs[i + 1], outputs[i + 2], a.tolerance)
                    result["case"] = name + "/" + outputs[i]
                    print(json.dumps(result), flush=True)
                    ok &= result["ok"]
        sys.exit(0 if ok else 1)
    if not all((a.q, a.k, a.v, a.o, a.lse)):
        ap.error("--q, --k, --v, --o and --lse are required (or --batch)")
    out, lse = expected(a.q, a.k, a.v, a.causal, a.segments, a.scale)
    result = compare(out, lse, a.o, a.lse, a.tolerance)
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
