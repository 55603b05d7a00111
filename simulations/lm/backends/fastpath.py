"""How exact the fast paths are on a real model: ``python -m simulations.lm.backends.fastpath [--model M]``.

For one labelling ``b`` of a task (gold), one random order, and chunk sizes ``c``:

* ``chunk 1`` (exact leave-one-out with demos in the order) against explicit full prompts, on a
  few items: the cache-reuse error (float rounding only);
* ``chunk c`` (randomized context exclusion: the chunk's other items are hidden too) against
  ``chunk 1``: the approximation the chunked searches make, as max and mean absolute difference of
  the label log-probs (nats), argmax agreement, and the forward tokens each pass costs.

Writes ``figures/data/lm/fastpath-<model>.json`` (atomically) and prints it.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from simulations.io import atomic_write_json, dumps


def measure(lm, task_name: str = "polarity-high", n: int = 32, seed: int = 0, chunks=(4, 8, 16),
            explicit_items: int = 3) -> dict:
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.tasks.registry import make_task

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
    for c in chunks:
        prior.clear_cache()
        t0, tok0 = time.perf_counter(), prior.forward_tokens
        approx = prior.context_conditionals(b, order, c)
        d = np.abs(approx - exact)
        rows.append({"chunk": c, "forward_tokens": prior.forward_tokens - tok0, "seconds": time.perf_counter() - t0,
                     "max_abs_nats_vs_chunk1": float(d.max()), "mean_abs_nats_vs_chunk1": float(d.mean()),
                     "argmax_agreement_vs_chunk1": float(np.mean(approx.argmax(-1) == exact.argmax(-1)))})
    return {"model": lm.name, "task": task_name, "n": n, "seed": seed,
            "chunk1_vs_explicit_max_abs_nats": max(errs), "explicit_items": explicit_items, "rows": rows}


def main(argv=None) -> int:
    from simulations.lm.backends.loader import load

    ap = argparse.ArgumentParser(prog="python -m simulations.lm.backends.fastpath")
    ap.add_argument("--model", default="smollm2")
    ap.add_argument("-n", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="figures/data/lm")
    a = ap.parse_args(argv)
    res = measure(load(a.model, device="cpu", threads=a.threads), n=a.n)
    atomic_write_json(f"{a.out}/fastpath-{a.model}.json", res)
    print(dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
