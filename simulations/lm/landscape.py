"""The coherence landscape of a task on a model: where gold sits among the labellings that matter.

For a task with gold labels ``g`` the landscape holds ``Coh_s(b)`` (nats, prequential over an
order ``s``, one forward pass each) for ``b`` in: gold, its negation ``1 - g``, the two constant
labellings, the zero-shot labelling, and ``random`` balanced random labellings (the null
distribution of an unremarkable labelling). Each is evaluated over the same ``orders`` random
orders; the order average and its spread (standard deviation over orders) are reported.

These landscapes are the table's (:mod:`simulations.lm.table`); ``coherence lm diagnose`` reads
its own on held-out orders with error bars (:mod:`simulations.lm.diagnose`).
"""
from __future__ import annotations

import numpy as np

from .chunked import coherence_orders


def coherences(prior, b, orders) -> dict:
    """``{per_order: [Coh_s(b)], mean, spread}`` over the rows of ``orders`` (nats)."""
    c = prior.coherence_over_orders(np.asarray(b, dtype=np.int64), orders)
    return {"per_order": c.tolist(), "mean": float(c.mean()), "spread": float(c.std(ddof=1)) if c.size > 1 else 0.0}


def landscape(prior, gold, *, zero_shot_labels=None, orders: int = 3, random: int = 4, seed: int = 0) -> dict:
    """Coherence of gold, negation, constants, zero-shot and random balanced labellings."""
    n = prior.n
    S = coherence_orders(n, orders, seed)
    gold = np.asarray(gold, dtype=np.int64)
    out = {"orders": S.tolist(), "labellings": {}}
    named = {"gold": gold, "negation": 1 - gold, "all-0": np.zeros(n, np.int64), "all-1": np.ones(n, np.int64)}
    if zero_shot_labels is not None:
        named["zero-shot"] = np.asarray(zero_shot_labels, dtype=np.int64)
    rng = np.random.default_rng([seed, 5])
    for r in range(random):
        named[f"random-{r}"] = rng.permutation(np.arange(n) % 2).astype(np.int64)
    for name, b in named.items():
        out["labellings"][name] = {**coherences(prior, b, S), "accuracy": float(np.mean(b == gold)),
                                   "labels": b.tolist()}
    rand = [v["mean"] for k, v in out["labellings"].items() if k.startswith("random-")]
    out["random_mean"] = float(np.mean(rand)) if rand else None
    out["random_sd"] = float(np.std(rand, ddof=1)) if len(rand) > 1 else None
    return out
