"""The coherence landscape of a task on a model: where gold sits among the labellings that matter.

For a task with gold labels ``g`` the landscape holds ``Coh_s(b)`` (nats, prequential over an
order ``s``, one forward pass each) for ``b`` in: gold, its negation ``1 - g``, the two constant
labellings, the zero-shot labelling, and ``random`` balanced random labellings (the null
distribution of an unremarkable labelling). Each is evaluated over the same ``orders`` random
orders; the order average and its spread (standard deviation over orders) are reported.

:func:`regime` turns a landscape plus the best labellings a search found into the regime the
theory predicts (docs/theory.md C5): success, R2 symmetry, R3 salient wrong persona, R6 constant.
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


def regime(land: dict, found_free: dict | None, found_constrained: dict | None, *,
           near_constant: float = 0.9) -> dict:
    """The regime predicted from the landscape and the searches' best labellings.

    ``found_*`` are ``{labels, coherence, accuracy}`` of the best labelling found without and
    with the task's constraint. Rules, in order (all coherences in nats, order-averaged):

    * R6 constant: the most coherent unconstrained labelling evaluated (the free search's, or a
      constant labelling of the landscape when that is more coherent: the search stopped short)
      has a majority label on at least ``near_constant`` of the items and is more coherent than
      gold;
    * R2 symmetry: gold and its negation are within one order-spread of each other;
    * R3 salient wrong persona: the best constrained labelling is more coherent than gold by
      more than the order spread, and agrees with gold on less than 75% of the items;
    * success: gold is at least as coherent as the best constrained labelling found (up to the
      order spread): a coherence search should recover gold-level accuracy (C5).
    """
    L = land["labellings"]
    g, neg = L["gold"], L["negation"]
    tol = max(g["spread"], neg["spread"], 1e-9)
    reasons = []
    consts = [(L[c]["mean"], c) for c in ("all-0", "all-1") if c in L]
    best_const = max(consts) if consts else None
    if found_free is not None or best_const is not None:
        if found_free is not None and (best_const is None or found_free["coherence"] >= best_const[0]):
            lab = np.asarray(found_free["labels"])
            maj, coh, what = max(lab.mean(), 1 - lab.mean()), found_free["coherence"], "the best unconstrained labelling"
        else:
            maj, coh, what = 1.0, best_const[0], f"the constant labelling {best_const[1]} (above the free search's end)"
        if maj >= near_constant and coh > g["mean"]:
            reasons.append(f"{what} is {maj:.0%} one label, Coh {coh:.1f} > Coh(gold) {g['mean']:.1f} nats")
            return {"regime": "R6-constant", "reason": "; ".join(reasons)}
    if abs(g["mean"] - neg["mean"]) <= tol:
        return {"regime": "R2-symmetry",
                "reason": f"|Coh(gold) - Coh(negation)| = {abs(g['mean'] - neg['mean']):.2f} <= order spread {tol:.2f} nats"}
    if found_constrained is not None:
        gap = found_constrained["coherence"] - g["mean"]
        if gap > tol and found_constrained["accuracy"] < 0.75:
            return {"regime": "R3-salient-wrong",
                    "reason": f"a constrained labelling with accuracy {found_constrained['accuracy']:.2f} is {gap:.1f} nats "
                              f"more coherent than gold (order spread {tol:.2f})"}
        if gap <= tol:
            return {"regime": "success",
                    "reason": f"Coh(gold) {g['mean']:.1f} >= best constrained found {found_constrained['coherence']:.1f} "
                              f"- spread {tol:.2f} nats; Coh(gold) - Coh(negation) = {g['mean'] - neg['mean']:.1f}"}
        return {"regime": "partial",
                "reason": f"the best constrained labelling (accuracy {found_constrained['accuracy']:.2f}) is {gap:.1f} nats "
                          f"more coherent than gold"}
    return {"regime": "undetermined", "reason": "no search result given"}
