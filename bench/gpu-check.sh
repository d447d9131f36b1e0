#!/usr/bin/env bash
# Device check (issue 10): every CUDA kernel against float64, the Java backend against the CPU in one JVM,
# the GPU encoder against the CPU encoder and PyTorch, and timings against PyTorch in the same run. For a
# machine with one NVIDIA GPU, PyTorch and NumPy, no network, no Maven, no Java; at most 8 minutes.
#
#   here:            bench/gpu-bundle.sh          (jar, JCuda, fatbin, test classes, check model, jlink'ed JRE)
#   on the device:   bash bench/gpu-check.sh  with target/gpu-bundle carried along, e.g. the device tool's
#                    run(command="bash bench/gpu-check.sh", carry=["target/gpu-bundle"], timeout_s=540)
#
# Steps, each bounded in time:
#   1. bench/gpu_check.py: every kernel against float64 (fp32 <= 1e-5 at D = 1 ... 385, bf16/fp16 <= 2e-3
#      plus P's rounding, attention mass relative <= 1e-5), then the production kernels' TFLOP/s (fp32 at
#      D 64, 128, 384; bf16 at 64, 128) beside torch SDPA in bf16 at S = 16k
#   2. DeviceCheck (Java, JCuda): ring folds on the GPU vs the CPU and float64 (D 32, 64, 128, 384), the
#      mass pass, the GPU encoder (fp32, bf16) vs the CPU encoder (cosine >= 0.99999 / 0.999), sentences/s
#   3. bench/gpu_encoder.py: our GPU fp32 vectors vs PyTorch fp32; PyTorch bf16 sentences/s on the same model
#   4. jobs/attention --device gpu|cpu|auto end to end, and the JUnit tests whose GPU branch needs a GPU
# Ends with one table of every CHECK and TIME line and "gpu-check: N passed, M failed". Report: $OUT
# (or target/gpu-check).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$ROOT/target/gpu-bundle"
R="${OUT:-$ROOT/target/gpu-check}"
mkdir -p "$R"
# Scratch (fatbin, model, vectors, arrays) stays in /tmp: the output folder gets report.txt and summary.txt only.
SCRATCH="$(mktemp -d /tmp/gpu-check.XXXXXX)"
trap 'rm -rf "$SCRATCH"' EXIT
passed=0
failed=0
step() {
  local name="$1"; shift
  echo "--- $name" | tee -a "$R/report.txt"
  local start=$SECONDS
  if "$@" 2>&1 | tee -a "$R/report.txt"; then
    passed=$((passed + 1)); echo "--- $name: ok ($((SECONDS - start)) s)" | tee -a "$R/report.txt"
  else
    failed=$((failed + 1)); echo "--- $name: FAILED ($((SECONDS - start)) s)" | tee -a "$R/report.txt"
  fi
}

: > "$R/report.txt"
rm -f "$R/summary.txt"
{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true; } | tee -a "$R/report.txt"

FATBIN="$B/attention.fatbin"
if [[ ! -f "$FATBIN" ]]; then
  FATBIN="$SCRATCH/cuda/attention.fatbin"
  step "build fatbin with nvcc" bash "$ROOT/src/main/cuda/build-fatbin.sh" "$SCRATCH/cuda" "$SCRATCH/classes"
fi

step "kernels vs float64, bf16 speed vs SDPA" timeout 240 python3 "$ROOT/bench/gpu_check.py" "$FATBIN" --quick --bench-budget 120

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
  run_java() { timeout 150 "$JAVA" "@$ROOT/conf/jvm.args" -cp "$CP$B/test-classes" "$@"; }
  mkdir -p "$SCRATCH/encoder" "$SCRATCH/model"
  cp "$B/model/config.json" "$SCRATCH/model/"
  gunzip -c "$B/model/model.safetensors.gz" > "$SCRATCH/model/model.safetensors"
  step "DeviceCheck: ring folds, attention mass, GPU encoder vs CPU (Java)" \
    run_java org.ringattention.gpu.DeviceCheck "$SCRATCH/model" "$SCRATCH/encoder"
  step "GPU encoder vs PyTorch, PyTorch bf16 speed" timeout 120 python3 "$ROOT/bench/gpu_encoder.py" "$SCRATCH/model" "$SCRATCH/encoder"
  java_end_to_end() {
    python3 - "$SCRATCH/java" <<'PY' || return 1
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
    local a=(--q "$SCRATCH/java/q.npy" --k "$SCRATCH/java/k.npy" --v "$SCRATCH/java/v.npy" --segments "$SCRATCH/java/seg.npy" --causal)
    run_java org.ringattention.cli.AttentionCommand "${a[@]}" --device gpu --out "$SCRATCH/java/o_gpu.npy" --lse "$SCRATCH/java/lse_gpu.npy" || return 1
    run_java org.ringattention.cli.AttentionCommand "${a[@]}" --device cpu --out "$SCRATCH/java/o_cpu.npy" --lse "$SCRATCH/java/lse_cpu.npy" || return 1
    run_java org.ringattention.cli.AttentionCommand "${a[@]}" --device auto --out "$SCRATCH/java/o_auto.npy" 2> "$SCRATCH/java/auto.log" || return 1
    cat "$SCRATCH/java/auto.log"
    grep -q "device auto: using gpu" "$SCRATCH/java/auto.log" || { echo "auto did not pick the GPU"; return 1; }
    PYTHONPATH="$ROOT/bench" python3 - "$SCRATCH/java" <<'PY'
import sys, math, numpy as np
from gpu_check import reference
d = sys.argv[1]
q, k, v, seg = (np.load(d + "/%s.npy" % n) for n in ("q", "k", "v", "seg"))
pos = np.arange(q.shape[0], dtype=np.int32)
o, lse = reference(q, k, v, pos, pos, seg, seg, 1 / math.sqrt(q.shape[2]), True)
worst = 0.0
for dev in ("gpu", "cpu"):
    e = max(np.abs(np.load(d + "/o_%s.npy" % dev) - o).max(), np.abs(np.load(d + "/lse_%s.npy" % dev) - lse).max())
    print("CHECK jobs/attention --device %s vs float64 | %.3e | within 1e-05 | %s" % (dev, e, "ok" if e <= 1e-5 else "FAIL"))
    worst = max(worst, e)
sys.exit(0 if worst <= 1e-5 else 1)
PY
  }
  step "jobs/attention --device gpu|cpu|auto end to end" java_end_to_end
  # DeviceOptionTest's ring case needs Spark, which the bundle leaves out.
  step "Java unit tests on the GPU (GpuBackendTest, GpuRuntimeTest, DeviceOptionTest)" \
    timeout 150 "$JAVA" "@$ROOT/conf/jvm.args" -Dringattention.test.requireGpu=true -jar "$(ls "$B"/test-lib/junit-platform-console-standalone-*.jar)" execute \
    --class-path "$CP$B/test-classes" --select-class org.ringattention.gpu.GpuBackendTest \
    --select-class org.ringattention.gpu.GpuRuntimeTest \
    --select-method org.ringattention.cli.DeviceOptionTest#gpuWithoutAWorkingGpuFailsAtOnceWithNoOutput \
    --select-method org.ringattention.cli.DeviceOptionTest#autoFallsBackToTheCpuAndGivesTheCpuResult \
    --select-method org.ringattention.cli.DeviceOptionTest#benchRefusesGpuWithoutOneAndRunsOnAuto \
    --details=summary --disable-banner --fail-if-no-tests
fi

{
  echo
  echo "== summary =="
  grep -E "^(CHECK|TIME) " "$R/report.txt" | sed -E 's/^(CHECK|TIME) //' | awk -F' \\| ' '{ printf "%-62s %-26s %-16s %s\n", $1, $2, $3, $4 }'
  sed -n '/== speed: our forward/,/^$/p' "$R/report.txt"
  echo "gpu-check: $passed passed, $failed failed"
} | tee -a "$R/summary.txt"
[[ $failed -eq 0 ]]
