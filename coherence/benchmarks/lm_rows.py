"""lm-rows: a chunk's queries after its context, side by side in one pass against a padded batch.

The chunked searches, and the in-context ranking of the certified ascent's moves, ask for every
chunk of ``CHUNK`` consecutive items of an order the label log-probs of each item given the
demonstrations of all the others (:meth:`simulations.lm.backends.prior.LMPrior.chunk_conditionals`):
one long context (the trunk) and ``CHUNK`` short queries after it. Both sides reuse the stored
trunk and compute only the queries:

* ours: the queries side by side in one sequence after the trunk, each masked to see the trunk
  and its own tokens (:class:`~simulations.lm.backends.prefix_scorer.PrefixScorer`'s default);
* baseline: the queries as one padded batch over the trunk's key/value cache expanded to the
  batch, the way a transformers user batches continuations of one prefix (the scorer with
  ``side_by_side=False``): each row then holds its own copy of the trunk's keys and values.

Timed over every chunk of one order of ``capitals-easy`` (n = 64: the longest prompts of the
tables) for each shipped model installed (``tiny-random`` when neither is), in float32 on
:data:`THREADS` CPU thread, best of
``repeat``, with every chunk's context stored before timing. ``agreement`` is the largest
difference of the two sides' log-probs (nats). ``ours`` and ``baseline`` are summed over the
models. Machines are shared and noisy: only the ratio of times taken in the same run means
anything.
"""
from __future__ import annotations

import time

from .lm_forward import SHIPPED, installed_models

NAME = "lm-rows"
EXTRA = "lm"
REQUIRES = ("torch", "transformers")
WHAT = "a chunk's 8 queries after a long context (capitals-easy, n=64): one side-by-side pass vs a padded batch"

#: items per chunk, as the tables run the chunked searches
CHUNK = 8
#: CPU threads of every model's passes
THREADS = 1


def measure(name: str, chunks: int, repeat: int) -> dict:
    """One model: seconds (best of ``repeat``) and forward tokens of the first ``chunks`` chunks'
    conditionals, side by side and as a padded batch, and the largest difference (nats)."""
    import numpy as np

    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.backends.loader import load
    from simulations.lm.tasks.registry import make_task

    # one thread for every model: the same machine share for both sides and both models
    lm = load(name, device="cpu", dtype="float32", threads=THREADS)
    task = make_task("capitals-easy", 64, 0)
    prior = prior_for(lm, task)
    order = np.random.default_rng(0).permutation(task.n)
    starts = range(0, CHUNK * chunks, CHUNK)
    scorer = prior.scorer

    def conditionals():
        return np.concatenate([prior.chunk_conditionals(task.gold, order, a, CHUNK) for a in starts])

    conditionals()  # every chunk's context is stored, as in a search that revisits them
    out = {}
    for side in (True, False):
        scorer.side_by_side = side
        best = float("inf")
        for _ in range(repeat):
            t0, tok = time.perf_counter(), scorer.forward_tokens
            lp = conditionals()
            best, tokens = min(best, time.perf_counter() - t0), scorer.forward_tokens - tok
        out[side] = (best, tokens, lp)
    return {"side_by_side_seconds": out[True][0], "padded_seconds": out[False][0],
            "side_by_side_tokens": out[True][1], "padded_tokens": out[False][1],
            "speedup": out[False][0] / out[True][0], "max_abs_nats": float(np.abs(out[True][2] - out[False][2]).max()),
            "threads": lm.info.get("threads"),
            "prompt_tokens": int(prior.prompt_tokens(task.gold, order[-1], order[:-1]).size)}


def run(quick: bool) -> dict:
    names = installed_models()
    if quick:
        names = names[:1]
    chunks, repeat = (2, 1) if quick else (64 // CHUNK, 3)
    models = {m: measure(m, chunks, repeat) for m in names}
    return {"ours": sum(r["side_by_side_seconds"] for r in models.values()),
            "baseline": sum(r["padded_seconds"] for r in models.values()), "unit": "s",
            "baseline_is": f"the queries as a padded batch over the expanded trunk cache; over {', '.join(names)}",
            "agreement": max(r["max_abs_nats"] for r in models.values()),
            "params": {"task": "capitals-easy", "n": 64, "chunk": CHUNK, "chunks": chunks, "repeat": repeat,
                       "dtype": "float32", "device": "cpu", "models": models,
                       "skipped": sorted(set(SHIPPED) - set(names))}}


def report(row: dict) -> str:
    """One line per model: both sides' seconds and forward tokens, the speed-up, the agreement."""
    lines = []
    for name, m in row["params"]["models"].items():
        lines.append(f"{name}: {m['side_by_side_seconds']:.3g} s side by side ({m['side_by_side_tokens']:,} tokens) vs "
                     f"{m['padded_seconds']:.3g} s as a padded batch ({m['padded_tokens']:,} tokens): "
                     f"{m['speedup']:.3g}x; log-probs differ by at most {m['max_abs_nats']:.2g} nats")
    return "\n".join(lines)
