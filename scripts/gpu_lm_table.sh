#!/usr/bin/env bash
# The larger real-model table on one GPU: both shipped models, n = 256, every task and method,
# 3 seeds (docs/lm.md). Prepared for a task that is lent a GPU; tested on CPU at small n by
# tests/test_lm_gpu_script.py with MODELS=tiny-random N=8 DEVICE=cpu.
#
#   bash scripts/gpu_lm_table.sh                     # defaults below
#   MODELS="smollm2" N=128 bash scripts/gpu_lm_table.sh
#
# TRUTHFULQA=PATH (a copy of hyeok9855/large-language-gibbs consistent_reasoning/data/truthfulqa.json)
# with TRUTHFULQA_EVAL=PATH (its eval_sets/truthfulQA.json) adds ICM's TruthfulQA testbed: lm diagnose
# of TQA_N (default N) items of whole groups of the evaluation subset per model, written to
# $OUT/diagnose/truthfulqa-MODEL-nTQA_N.json. Nothing is downloaded. Each diagnosis keeps its finished
# stages in $OUT/diagnose/truthfulqa-MODEL-nTQA_N.checkpoint.json (lm diagnose --checkpoint), so a
# rerun after an interruption resumes it.
#
# The training table (lm train-coherence, docs/lm.md) runs too, on TRAIN_TASKS (default polarity-pairs
# polarity-high) at TRAIN_N (default 96) items with TRAIN_HELDOUT (32) held-out items, blocks of
# TRAIN_BLOCK (16) and TRAIN_ORDERS (4) evaluation orders, into $OUT/training; TRAIN=0 skips it.
# (96 + 32 = 128 items: every contrast pair of the VADER test split.)
#
# Each table file is resumable: rerunning after an interruption computes only missing cells.
# BUDGET (seconds, default 420) bounds the whole run: each model gets an equal share (split between
# the main tasks, the contrast pairs and the training table), no table cell or training record
# starts once its share is spent (the cell in progress finishes), and cells are seed-major, so a
# short budget still covers every task and method at the first seed. Rerun to fill the rest;
# BUDGET=none runs everything.
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS=${MODELS:-"smollm2 gemma3-270m"}
N=${N:-256}
DEVICE=${DEVICE:-cuda}
DTYPE=${DTYPE:-float32}
CHUNK=${CHUNK:-32}          # n^2 / (2 chunk) demonstration tokens per sweep
SEEDS=${SEEDS:-"0 1 2"}
OUT=${OUT:-figures/data/lm-gpu}
BUDGET=${BUDGET:-420}
TQA_N=${TQA_N:-$N}
TASKS=${TASKS:-"polarity-high polarity-mid polarity-low polarity-nonsalient polarity-salient-wrong capitals-easy"}
# the VADER test split holds 64 contrast pairs, so polarity-pairs runs at n = min(N, 128)
PAIRS_N=$(( N < 128 ? N : 128 ))
TRAIN=${TRAIN:-1}
TRAIN_TASKS=${TRAIN_TASKS:-"polarity-pairs polarity-high"}
TRAIN_N=${TRAIN_N:-96}
TRAIN_HELDOUT=${TRAIN_HELDOUT:-32}
TRAIN_BLOCK=${TRAIN_BLOCK:-16}
TRAIN_ORDERS=${TRAIN_ORDERS:-4}
PY=${PYTHON:-python}
START=$(date +%s)
# shellcheck disable=SC2086
set -- $MODELS
K=$#
I=0
budget_until() {  # --budget-s for the seconds left before $1 (epoch), scaled by $2/$3; nothing when unbounded
  [ "$BUDGET" = none ] && return 0
  local left=$(( $1 - $(date +%s) ))
  (( left < 0 )) && left=0
  echo "--budget-s $(( left * $2 / $3 ))"
}
for m in $MODELS; do
  I=$(( I + 1 ))
  [ "$BUDGET" = none ] || END=$(( START + BUDGET * I / K ))
  NT=$(wc -w <<< "$TASKS")
  # shellcheck disable=SC2086,SC2046
  "$PY" -m coherence.cli lm table --model "$m" --device "$DEVICE" --dtype "$DTYPE" -n "$N" --chunk "$CHUNK" \
      --seeds $SEEDS --tasks $TASKS --out "$OUT" $(budget_until "${END:-0}" "$NT" $(( NT + 2 ))) >&2
  # shellcheck disable=SC2086,SC2046
  "$PY" -m coherence.cli lm table --model "$m" --device "$DEVICE" --dtype "$DTYPE" -n "$PAIRS_N" --chunk "$CHUNK" \
      --seeds $SEEDS --tasks polarity-pairs polarity-random-pairs --out "$OUT" $(budget_until "${END:-0}" 1 2) >&2
  if [ "$TRAIN" != 0 ]; then
    # shellcheck disable=SC2086,SC2046
    "$PY" -m coherence.cli lm train-coherence --model "$m" --device "$DEVICE" --dtype "$DTYPE" -n "$TRAIN_N" \
        --heldout "$TRAIN_HELDOUT" --block "$TRAIN_BLOCK" --coh-orders "$TRAIN_ORDERS" --seeds $SEEDS \
        --tasks $TRAIN_TASKS --out "$OUT/training" --quiet $(budget_until "${END:-0}" 1 1) >&2
  fi
  if [ -n "${TRUTHFULQA:-}" ]; then
    mkdir -p "$OUT/diagnose"
    "$PY" -m coherence.cli lm diagnose --model "$m" --device "$DEVICE" --dtype "$DTYPE" --chunk "$CHUNK" --quiet \
        --task "icm:truthfulqa:$TRUTHFULQA" --eval-ids "$TRUTHFULQA_EVAL" --subset "$TQA_N" --json \
        --checkpoint "$OUT/diagnose/truthfulqa-$m-n$TQA_N.checkpoint.json" \
        > "$OUT/diagnose/truthfulqa-$m-n$TQA_N.json"
  fi
done
# shellcheck disable=SC2046
"$PY" -m coherence.cli lm predictions "$OUT"/*.json $( [ "$TRAIN" = 0 ] || ls "$OUT"/training/*.json 2>/dev/null )
