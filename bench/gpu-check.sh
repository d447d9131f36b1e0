#!/usr/bin/env bash
# Device check for issue 6: the CUDA attention kernels against float64 and PyTorch SDPA, then the Java
# backend (JCuda) end to end. For a machine with one NVIDIA GPU, PyTorch, NumPy and nvcc, no network,
# no Maven; about 5 of its 8 minutes.
#
#   here:            bench/gpu-bundle.sh                     (jar, JCuda, fatbin, tests, jlink'ed JRE: 40 MiB)
#   on the device:   bash bench/gpu-check.sh  with target/gpu-bundle carried along, e.g. the device tool's
#                    run(command="bash bench/gpu-check.sh", carry=["target/gpu-bundle"], timeout_s=540)
#
# Steps: (1) bench/gpu_check.py: every kernel against float64 (max abs error <= 1e-5 fp32, <= 2e-3
# bf16/fp16) and the bf16 kernels' TFLOP/s beside SDPA for S in {4k, 16k, 64k}, D in {64, 128}, causal
# and not; (2) jobs/attention --device gpu|cpu|auto on .npy files against float64; (3) the JUnit tests
# whose GPU branch only runs on a GPU; (4) jobs/bench --device gpu.
#
# Without the bundle it still runs the kernel checks, compiling the fatbin with the machine's nvcc.
# Writes its report to $OUT (or target/gpu-check) and ends with "gpu-check: N passed, M failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$ROOT/target/gpu-bundle"
R="${OUT:-$ROOT/target/gpu-check}"
mkdir -p "$R"
passed=0
failed=0
step() {
  local name="$1"; shift
  echo "--- $name" | tee -a "$R/report.txt"
  if "$@" 2>&1 | tee -a "$R/report.txt"; then
    passed=$((passed + 1)); echo "--- $name: ok" | tee -a "$R/report.txt"
  else
    failed=$((failed + 1)); echo "--- $name: FAILED" | tee -a "$R/report.txt"
  fi
}

: > "$R/report.txt"
{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true; } | tee -a "$R/report.txt"

FATBIN="$B/attention.fatbin"
if [[ ! -f "$FATBIN" ]]; then
  FATBIN="$R/cuda/attention.fatbin"
  step "build fatbin with nvcc" bash "$ROOT/src/main/cuda/build-fatbin.sh" "$R/cuda" "$R/classes"
fi

step "kernels vs float64, speed vs SDPA" timeout 420 python3 "$ROOT/bench/gpu_check.py" "$FATBIN" --bench-budget 200

JAVA=""
if [[ -x "$B/jre/bin/java" ]]; then
  JAVA="$B/jre/bin/java"
elif command -v java >/dev/null && java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then
  JAVA="$(command -v java)"
fi
if [[ -z "$JAVA" || ! -d "$B/lib" ]]; then
  echo "--- Java backend: skipped (no bundle or no Java 17+; run bench/gpu-bundle.sh and carry target/gpu-bundle)" \
    | tee -a "$R/report.txt"
  failed=$((failed + 1))
else
  CP="$(ls "$B"/lib/*.jar | tr '\n' ':')"
  # A hung kernel must not eat the machine's 8 minutes: every Java run is bounded.
  run_java() { timeout 150 "$JAVA" "@$ROOT/conf/jvm.args" -cp "$CP" "$@"; }
  java_end_to_end() {
    python3 - "$R/java" <<'PY' || return 1
import sys, numpy as np
d = sys.argv[1]
import os; os.makedirs(d, exist_ok=True)
rng = np.random.default_rng()
s, hq, hkv, dim = 3001, 8, 2, 64
np.save(d + "/q.npy", rng.standard_normal((s, hq, dim), dtype=np.float32))
np.save(d + "/k.npy", rng.standard_normal((s, hkv, dim), dtype=np.float32))
np.save(d + "/v.npy", rng.standard_normal((s, hkv, dim), dtype=np.float32))
np.save(d + "/seg.npy", np.repeat(np.arange(4), [700, 1100, 1, 1200]).astype(np.int32))
PY
    local a=(--q "$R/java/q.npy" --k "$R/java/k.npy" --v "$R/java/v.npy" --segments "$R/java/seg.npy" --causal)
    run_java org.ringattention.cli.AttentionCommand "${a[@]}" --device gpu --out "$R/java/o_gpu.npy" --lse "$R/java/lse_gpu.npy" || return 1
    run_java org.ringattention.cli.AttentionCommand "${a[@]}" --device cpu --out "$R/java/o_cpu.npy" --lse "$R/java/lse_cpu.npy" || return 1
    run_java org.ringattention.cli.AttentionCommand "${a[@]}" --device auto --out "$R/java/o_auto.npy" 2> "$R/java/auto.log" || return 1
    cat "$R/java/auto.log"
    grep -q "device auto: using GPU" "$R/java/auto.log" || { echo "auto did not pick the GPU"; return 1; }
    PYTHONPATH="$ROOT/bench" python3 - "$R/java" <<'PY'
import sys, math, numpy as np
from gpu_check import reference
d = sys.argv[1]
q, k, v, seg = (np.load(d + "/%s.npy" % n) for n in ("q", "k", "v", "seg"))
pos = np.arange(q.shape[0], dtype=np.int32)
o, lse = reference(q, k, v, pos, pos, seg, seg, 1 / math.sqrt(q.shape[2]), True)
worst = 0.0
for dev in ("gpu", "cpu"):
    e = max(np.abs(np.load(d + "/o_%s.npy" % dev) - o).max(), np.abs(np.load(d + "/lse_%s.npy" % dev) - lse).max())
    print("jobs/attention --device %s: max abs error vs float64 %.2e" % (dev, e))
    worst = max(worst, e)
sys.exit(0 if worst <= 1e-5 else 1)
PY
  }
  step "Java backend end to end (jobs/attention --device gpu|cpu|auto)" java_end_to_end
  step "Java unit tests on the GPU (GpuBackendTest, GpuRuntimeTest, DeviceOptionTest)" \
    timeout 150 "$JAVA" "@$ROOT/conf/jvm.args" -Dringattention.test.requireGpu=true -jar "$(ls "$B"/test-lib/junit-platform-console-standalone-*.jar)" execute \
    --class-path "$CP$B/test-classes" --select-class org.ringattention.gpu.GpuBackendTest \
    --select-class org.ringattention.gpu.GpuRuntimeTest --select-class org.ringattention.cli.DeviceOptionTest \
    --details=summary --disable-banner --fail-if-no-tests
  step "jobs/bench --device gpu (fp32 kernel, S=16k, D=128, causal)" \
    run_java org.ringattention.cli.BenchCommand --seq 16384 --heads 16 --dim 128 --causal --runs 3 --device gpu
fi

echo "gpu-check: $passed passed, $failed failed" | tee -a "$R/report.txt"
[[ $failed -eq 0 ]]
