#!/usr/bin/env bash
# The larger real-model table on one GPU: both shipped models, n = 256, every task and method,
# 3 seeds (docs/lm.md). Prepared for a task that is lent a GPU; tested on CPU at small n by
# tests/test_lm_gpu_script.py with MODELS=tiny-random N=8 DEVICE=cpu.
#
#   bash scripts/gpu_lm_table.sh                     # defaults below
#   MODELS="smollm2" N=128 bash scripts/gpu_lm_table.sh
#
# Each table file is resumable: rerunning after an interruption computes only missing cells.
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS=${MODELS:-"smollm2 gemma3-270m"}
N=${N:-256}
DEVICE=${DEVICE:-cuda}
DTYPE=${DTYPE:-float32}
CHUNK=${CHUNK:-32}          # n^2 / (2 chunk) demonstration tokens per sweep
SEEDS=${SEEDS:-"0 1 2"}
OUT=${OUT:-figures/data/lm-gpu}
TASKS=${TASKS:-"polarity-high polarity-mid polarity-low polarity-nonsalient polarity-salient-wrong capitals-easy"}
# the VADER test split holds 64 contrast pairs, so polarity-pairs runs at n = min(N, 128)
PAIRS_N=$(( N < 128 ? N : 128 ))
PY=${PYTHON:-python}
for m in $MODELS; do
  # shellcheck disable=SC2086
  "$PY" -m coherence.cli lm table --model "$m" --device "$DEVICE" --dtype "$DTYPE" -n "$N" --chunk "$CHUNK" \
      --seeds $SEEDS --tasks $TASKS --out "$OUT" >&2
  # shellcheck disable=SC2086
  "$PY" -m coherence.cli lm table --model "$m" --device "$DEVICE" --dtype "$DTYPE" -n "$PAIRS_N" --chunk "$CHUNK" \
      --seeds $SEEDS --tasks polarity-pairs --out "$OUT" >&2
done
"$PY" -m coherence.cli lm predictions "$OUT"/*.json
