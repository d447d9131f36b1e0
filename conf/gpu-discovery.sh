#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the CUDA ordinals of
# this executor's GPUs as {"name":"gpu","addresses":["0","1",...]}. The backend reads the task's first
# address as a CUDA device ordinal (org.ringattention.gpu.GpuAssignment), so ordinals, not UUIDs.
# CUDA_VISIBLE_DEVICES, when a cluster manager sets it, renumbers the visible GPUs from 0.
set -euo pipefail
if [[ -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
  IFS=',' read -r -a visible <<< "$CUDA_VISIBLE_DEVICES"
  count=${#visible[@]}
elif command -v nvidia-smi >/dev/null 2>&1; then
  count=$(nvidia-smi --query-gpu=index --format=csv,noheader | grep -c .)
else
  count=0
fi
addresses=""
for ((i = 0; i < count; i++)); do
  addresses+="${addresses:+,}\"$i\""
done
echo "{\"name\":\"gpu\",\"addresses\":[${addresses}]}"
