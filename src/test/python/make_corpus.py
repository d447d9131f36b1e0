#!/usr/bin/env python3
"""Writes a seeded benchmark corpus for jobs/summarize: --docs documents whose sizes are spread evenly
from --min-tokens to --max-tokens (WordPiece tokens, estimated as 1.3 per word), each made of
sentences drawn from the shipped samples (jobs/samples) in random order."""
import argparse
import pathlib
import random
import re


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", type=int, default=20)
    ap.add_argument("--min-tokens", type=int, default=20000)
    ap.add_argument("--max-tokens", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parents[3]
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((root / "jobs" / "samples").iterdir()))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 3]
    rng = random.Random(a.seed)
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(a.docs):
        target = a.min_tokens + (a.max_tokens - a.min_tokens) * i // max(1, a.docs - 1)
        words, parts = 0, []
        while words * 1.3 < target:
            s = rng.choice(sentences)
            parts.append(s)
            words += len(s.split())
        (out / f"doc-{i:02d}.txt").write_text(" ".join(parts) + "\n", encoding="utf-8")
    print(f"wrote {a.docs} documents to {out}")


if __name__ == "__main__":
    main()
