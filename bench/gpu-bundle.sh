#!/usr/bin/env bash
# Prepares target/gpu-bundle/ for bench/gpu-check.sh on a GPU machine that has no Maven and maybe no
# JDK: the project jar (fatbin inside), JCuda with only its driver native (the only one a CUDA 13
# machine can load), Gson (model configs), SLF4J's API (the logging API of the project's code), the fatbin on its own for the Python check, the test classes
# (DeviceCheck, the GPU unit tests) with the JUnit console launcher, the check model (MiniLM rounded to
# bf16, vocabulary cut: CheckModel) and a jlink'ed Java runtime.
# Run it here, then carry target/gpu-bundle (kept under the 64 MiB a device run may carry).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$ROOT/target/gpu-bundle"
LIMIT=$((64 * 1024 * 1024))

(cd "$ROOT" && mvn -B -q -DskipTests package >&2)
[[ -f "$ROOT/target/cuda/attention.fatbin" ]] || { echo "error: no fatbin was built (is nvcc on PATH?)" >&2; exit 1; }

rm -rf "$B"
mkdir -p "$B/lib"
ls "$ROOT"/target/spark-ring-attention-*.jar | grep -v -- '-job\.jar$' | xargs -I{} cp {} "$B/lib/"
cp "$ROOT/target/cuda/attention.fatbin" "$B/"
tr ':' '\n' < "$ROOT/target/runtime-classpath.txt" | grep -E '/org/jcuda/jcuda/|/com/google/code/gson/gson/|/org/slf4j/slf4j-api/' \
  | xargs -I{} cp {} "$B/lib/"
natives="$(tr ':' '\n' < "$ROOT/target/runtime-classpath.txt" | grep '/org/jcuda/jcuda-natives/')"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && unzip -q "$natives" 'lib/libJCudaDriver-*' && jar --create --file "$B/lib/jcuda-driver-natives.jar" lib)

# The GPU-dependent unit tests (they assert the GPU branch there) and the JUnit launcher to run them.
mkdir -p "$B/test-lib"
cp -r "$ROOT/target/test-classes" "$B/test-classes"
junit="$(sed -n 's|.*<junit.version>5\.\(.*\)</junit.version>.*|1.\1|p' "$ROOT/pom.xml")"
(cd "$ROOT" && mvn -B -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit" \
  -DoutputDirectory="$B/test-lib" >&2)

java "@$ROOT/conf/jvm.args" -cp "$ROOT/target/classes:$ROOT/target/test-classes:$(cat "$ROOT/target/runtime-classpath.txt")" \
  org.ringattention.gpu.CheckModel "$B/model"
# bf16 weights gzip to about 80%; bench/gpu-check.sh unpacks them on the device.
gzip -9 "$B/model/model.safetensors"

JLINK="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}/bin/jlink"
"$JLINK" --add-modules java.base,java.logging,jdk.incubator.vector --strip-debug --no-header-files \
  --no-man-pages --compress=2 --output "$B/jre" 2>/dev/null
cp "$ROOT/conf/jvm.args" "$B/"

size=$(du -sb "$B" | cut -f1)
echo "gpu-bundle: $B, $((size / 1024 / 1024)) MiB" >&2
if (( size > LIMIT )); then
  echo "error: the bundle is over 64 MiB and cannot be carried to the device" >&2
  exit 1
fi
