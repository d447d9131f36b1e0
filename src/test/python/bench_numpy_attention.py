#!/usr/bin/env python3
"""NumPy (OpenBLAS) materialized attention, the baseline for jobs/bench: float32, one head at a time
(the S x S logits of one head are materialized), median of --runs after one warm-up run.
Prints one JSON line in jobs/bench's format."""
import argparse
import json
import time

import numpy as np


def attention(q, k, v, causal, scale):
    s, hq, d = q.shape
    group = hq // k.shape[1]
    out = np.empty_like(q)
    hidden = np.triu(np.ones((s, s), dtype=bool), 1) if causal else None
    for h in range(hq):
        logits = (q[:, h, :] * np.float32(scale)) @ k[:, h // group, :].T
        if causal:
            logits[hidden] = -np.inf
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        total = logits.sum(axis=1, keepdims=True)
        out[:, h, :] = (logits @ v[:, h // group, :]) / total
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seq", type=int, required=True)
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--kv-heads", type=int)
    ap.add_argument("--dim", type=int, required=True)
    ap.add_argument("--causal", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    hkv = a.kv_heads or a.heads
    rng = np.random.default_rng(2)
    q = rng.standard_normal((a.seq, a.heads, a.dim), dtype=np.float32)
    k = rng.standard_normal((a.seq, hkv, a.dim), dtype=np.float32)
    v = rng.standard_normal((a.seq, hkv, a.dim), dtype=np.float32)
    scale = 1.0 / np.sqrt(a.dim)
    attention(q[:1024], k[:1024], v[:1024], a.causal, scale)
    times = []
    for _ in range(a.runs):
        start = time.perf_counter()
        attention(q, k, v, a.causal, scale)
        times.append(time.perf_counter() - start)
    median = float(np.median(times))
    flops = 4.0 * a.seq * a.seq * a.dim * a.heads / (2 if a.causal else 1)
    print(json.dumps({"seq": a.seq, "heads": a.heads, "kv_heads": hkv, "dim": a.dim, "causal": a.causal,
                      "seconds": median, "gflops": flops / median / 1e9, "kernel": "numpy-" + np.__version__,
                      "runs": a.runs}))


if __name__ == "__main__":
    main()
