#!/usr/bin/env bash
# Compiles src/main/cuda/kernels.cu (attention.cu and encoder.cu) into one fatbin (SASS for sm_80 and sm_90a, PTX for compute_80 so
# that newer GPUs can JIT it) and places it where the jar picks it up as a resource:
#   build-fatbin.sh CACHE_DIR RESOURCE_DIR
# The fatbin in CACHE_DIR is reused while the sources and flags hash the same, so only a change to the
# kernels pays the ~15 s of nvcc. Without nvcc the build goes on without kernels: the GPU backend then
# reports itself unavailable ("this jar was built without nvcc"). Code from nvcc 13 needs an NVIDIA
# driver of release 580 or newer; an older driver refuses the module and the backend says so.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$1"
RES="$2/org/ringattention/gpu"
NVCC="${NVCC:-$(command -v nvcc || true)}"
FLAGS=(-std=c++17 -O3 -fatbin
  -gencode arch=compute_80,code=sm_80
  -gencode arch=compute_80,code=compute_80
  -gencode arch=compute_90a,code=sm_90a)

if [[ -z "$NVCC" ]]; then
  echo "[cuda] nvcc not found: building without GPU kernels; the GPU backend will report itself unavailable" >&2
  rm -f "$RES/attention.fatbin"
  exit 0
fi

mkdir -p "$CACHE" "$RES"
HASH="$( (cat "$SRC"/*.cu "$SRC"/*.h; echo "${FLAGS[*]}"; "$NVCC" --version) | sha256sum | cut -d' ' -f1)"
if [[ -f "$CACHE/attention.fatbin" && "$(cat "$CACHE/attention.fatbin.sha256" 2>/dev/null)" == "$HASH" ]]; then
  echo "[cuda] kernels unchanged: reusing $CACHE/attention.fatbin" >&2
else
  echo "[cuda] compiling kernels.cu for sm_80, sm_90a (+PTX) with $NVCC" >&2
  "$NVCC" "${FLAGS[@]}" -o "$CACHE/attention.fatbin.tmp" "$SRC/kernels.cu"
  mv "$CACHE/attention.fatbin.tmp" "$CACHE/attention.fatbin"
  echo "$HASH" > "$CACHE/attention.fatbin.sha256"
fi
cp "$CACHE/attention.fatbin" "$RES/attention.fatbin"
