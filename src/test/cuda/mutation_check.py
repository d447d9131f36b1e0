#!/usr/bin/env python3
"""Shows that the kernel emulation (kernel_check.cpp) catches broken kernels.

Each mutation below breaks one mask, tile bound, fragment index, pipeline stage or barrier of src/main/cuda in
a scratch copy; the driver is compiled against that copy and the cases that run the mutated kernel must
fail. A mutation the cases survive is reported, and the exit status is then 1.

    python3 src/test/cuda/mutation_check.py [SHAPES]

SHAPES: the launch shapes KernelEmulationTest writes, target/kernel-emulation/launch-shapes.txt by default.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

# (file, text, replacement, cases to run (kernel_check --filter), what it breaks)
MUTATIONS = [
    ("attention.cu", "(!(flags & RA_CAUSAL) || kpos <= qpos)", "(!(flags & RA_CAUSAL) || kpos < qpos)",
     "attention bf16", "causal mask: a query no longer sees its own key"),
    ("attention.cu", "classify(p.flags, qb, p.k_tiles[jt], j0 + BN <= p.k_rows);\n        const T* K",
     "classify(p.flags, qb, p.k_tiles[jt], j0 <= p.k_rows);\n        const T* K",
     "attention bf16", "tile bound: a tile past the last key counts as complete, its zero rows unmasked"),
    ("attention.cu", "ldmatrix_x4(qf[mt], Qs + (w0 + 16 * mt + (lane & 15)) * LD",
     "ldmatrix_x4(qf[mt], Qs + (w0 + 16 * mt + (lane & 7)) * LD",
     "attention bf16", "Q's A fragment: lanes 8-15 give the addresses of rows 0-7 again"),
    ("attention.cu", "ldmatrix_x4_trans(b, V + (kc * 16 + (lane & 15)) * LD + dp * 16 + (lane >> 4) * 8)",
     "ldmatrix_x4_trans(b, V + (kc * 16 + (lane & 15)) * LD + dp * 16 + ((lane >> 3) & 1) * 8)",
     "attention bf16", "V's B fragment columns in the .trans load"),
    ("attention.cu", "const float* pr = &s[mt][2 * kc + (r >> 1)][2 * (r & 1)];",
     "const float* pr = &s[mt][2 * kc + (r & 1)][2 * (r >> 1)];",
     "attention bf16", "P's A fragment taken from the wrong S accumulators"),
    ("attention.cu", "            load_kv(st ^ 1, jn * BN);", "            load_kv(st, jn * BN);",
     "attention bf16", "double buffering: the next key tile copied over the one being read"),
    ("attention.cu", "        cp_async_wait<0>();\n        __syncthreads();\n        const int jn",
     "        cp_async_wait<0>();\n        const int jn",
     "attention bf16", "the one barrier per key tile removed"),
    ("attention.cu", "row[x] = i0 + w0 + 16 * mt + g4 + 8 * rr;", "row[x] = i0 + w0 + 16 * mt + g4 + 8 * mt;",
     "attention bf16", "a thread's C-fragment rows"),
    ("encoder.cu", "kk + ((lane >> 3) & 1) * 8);", "kk + (lane >> 4) * 8);",
     "GEMM bf16", "the GEMM's B fragment: the k half of each n8 tile"),
    ("encoder.cu", "cp_async_wait<BG_STAGES - 2>();", "cp_async_wait<BG_STAGES - 1>();",
     "GEMM bf16", "the GEMM pipeline: a stage read before its copy landed"),
    ("encoder.cu", "const int m = m0 + wm + 16 * mt + g + 8 * (e >> 1), n",
     "const int m = m0 + wm + 16 * mt + g + 8 * (e & 1), n",
     "GEMM bf16", "the GEMM epilogue's rows of the C fragment"),
    ("encoder.cu", "const bool a_ok = m0 + r < M && k < K", "const bool a_ok = m0 + r < M",
     "GEMM bf16, tails", "the GEMM's tile bound: X's columns past K copied instead of zero-filled"),
]


def main():
    shapes = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/kernel-emulation/launch-shapes.txt")
    if not os.path.isfile(shapes):
        sys.exit("no launch shapes at %s: run KernelEmulationTest first" % shapes)
    survived = 0
    with tempfile.TemporaryDirectory(prefix="kernel-mutations.") as work:
        for file, text, replacement, cases, what in MUTATIONS:
            cuda = os.path.join(work, "cuda")
            shutil.rmtree(cuda, ignore_errors=True)
            shutil.copytree(os.path.join(ROOT, "src/main/cuda"), cuda)
            path = os.path.join(cuda, file)
            source = open(path).read()
            if source.count(text) != 1:
                print("NOT APPLIED (%s): the text occurs %d times in %s" % (what, source.count(text), file))
                survived += 1
                continue
            open(path, "w").write(source.replace(text, replacement))
            binary = os.path.join(work, "kernel_check")
            compiled = subprocess.run(["g++", "-std=c++20", "-O1", "-fno-strict-aliasing", "-fno-extern-tls-init", "-w",
                                       "-I", os.path.join(ROOT, "src/test/cuda"), "-I", cuda,
                                       os.path.join(ROOT, "src/test/cuda/kernel_check.cpp"), "-o", binary, "-ldl"],
                                      capture_output=True, text=True)
            if compiled.returncode != 0:
                print("caught by the compiler: %s" % what)
                continue
            run = subprocess.run([binary, "--shapes", shapes, "--filter", cases, "--timeout", "120"],
                                 capture_output=True, text=True)
            m = re.search(r"(\d+) passed, (\d+) failed", run.stdout)
            if m and int(m.group(2)) > 0:
                print("caught: %s (%s of %s cases failed)" % (what, m.group(2), int(m.group(1)) + int(m.group(2))))
            else:
                print("SURVIVED: %s (%s)" % (what, m.group(0) if m else run.stdout[-200:]))
                survived += 1
    print("mutation check: %d mutations, %d not caught" % (len(MUTATIONS), survived))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
