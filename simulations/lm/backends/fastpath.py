"""How exact the fast paths are on a real model: ``coherence lm fastpath [--model M]`` (:func:`run`).

For one labelling ``b`` of a task (gold), one random order, and chunk sizes ``c``:

* ``chunk 1`` (exact leave-one-out with demos in the order) against explicit full prompts, on a
  few items: the cache-reuse error (float rounding only);
* ``chunk c`` (randomized context exclusion: the chunk's other items are hidden too) against
  ``chunk 1``: the approximation the chunked searches make, as max and mean absolute difference of
  the label log-probs (nats), argmax agreement, and the forward tokens each pass costs.

Writes ``figures/data/lm/fastpath-<model>.json`` (atomically) and prints it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from simulations.io import atomic_write_json


@dataclass(frozen=True)
class FastpathConfig:
    """Settings of :func:`run`: the local ``model`` on the CPU with ``threads`` threads, ``n``
    items of ``task`` drawn with ``seed``, the chunk sizes ``chunks`` compared with chunk 1,
    ``explicit_items`` items checked against explicit prompts, and the folder ``out`` of
    ``fastpath-<model>.json``."""

    model: str = "smollm2"
    n: int = 32
    threads: int = 1
    out: str = "figures/data/lm"
    task: str = "polarity-high"
    seed: int = 0
    chunks: tuple = (4, 8, 16)
    explicit_items: int = 3


def measure(lm, config: FastpathConfig = FastpathConfig()) -> dict:
    """The measurements of the module docstring on the loaded model ``lm``."""
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.tasks.registry import make_task

    task_name, n, seed, explicit_items = config.task, config.n, config.seed, config.explicit_items
    task = make_task(task_name, n, seed)
    prior = prior_for(lm, task)
    b = task.gold
    order = np.random.default_rng(seed).permutation(n)
    t0, tok0 = time.perf_counter(), prior.forward_tokens
    exact = prior.context_conditionals(b, order, 1)
    rows = [{"chunk": 1, "forward_tokens": prior.forward_tokens - tok0, "seconds": time.perf_counter() - t0}]
    errs = []
    for t in range(explicit_items):
        i = order[t * (n // explicit_items)]
        demos = order[order != i]
        errs.append(float(np.abs(prior.explicit_log_conditional(b, i, demos) - exact[i]).max()))
    for c in config.chunks:
        prior.clear_cache()
        t0, tok0 = time.perf_counter(), prior.forward_tokens
        approx = prior.context_conditionals(b, order, c)
        d = np.abs(approx - exact)
        rows.append({"chunk": c, "forward_tokens": prior.forward_tokens - tok0, "seconds": time.perf_counter() - t0,
                     "max_abs_nats_vs_chunk1": float(d.max()), "mean_abs_nats_vs_chunk1": float(d.mean()),
                     "argmax_agreement_vs_chunk1": float(np.mean(approx.argmax(-1) == exact.argmax(-1)))})
    return {"model": lm.name, "task": task_name, "n": n, "seed": seed,
            "chunk1_vs_explicit_max_abs_nats": max(errs), "explicit_items": explicit_items, "rows": rows}


def run(config: FastpathConfig = FastpathConfig()) -> dict:
    """Load ``config.model`` on the CPU, :func:`measure`, and write ``<out>/fastpath-<model>.json``
    (atomically); returns the record."""
    from simulations.lm.backends.loader import load

    res = measure(load(config.model, device="cpu", threads=config.threads), config)
    atomic_write_json(f"{config.out}/fastpath-{config.model}.json", res)
    return res
