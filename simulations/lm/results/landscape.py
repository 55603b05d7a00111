"""The coherence landscape of a task on a model: where gold sits among the labellings that matter.

For a task with gold labels ``g`` the landscape holds Coh (nats, :mod:`simulations.lm.searches.coherence_estimate`: the
mean over ``K`` held-out evaluation orders, with its standard error) of: gold, its negation
``1 - g``, the two constant labellings, the zero-shot labelling, and ``random`` balanced random
labellings (the null distribution of an unremarkable labelling). Every labelling is evaluated on
the same orders, so any two compare *paired* (:func:`~simulations.lm.searches.coherence_estimate.paired`), and a
table's records (:mod:`simulations.lm.results.table`) are evaluated on these very orders too.

:func:`gold_climb` adds gold's neighbourhood: the climb from gold with the constraint-keeping
moves of :mod:`simulations.lm.searches.local_climb` on the certified ascent's final objective (Coh over its polish
orders, :func:`~simulations.lm.searches.chunked.polish_orders`), to the nearest local maximum of Coh. It
says whether gold is itself a local maximum, the Coh gained, and the climb's accuracy: the
accuracy the objective supports near gold (prediction P3 compares a search's end with it).

These landscapes are the table's; ``coherence lm diagnose`` reads its own
(:mod:`simulations.lm.results.diagnose`).
"""
from __future__ import annotations

import numpy as np

from simulations.lm.searches.chunked import ChunkConfig, polish_orders
from simulations.lm.searches.coherence_estimate import coh, paired
from simulations.lm.searches.certified import (CONFIRM_ORDERS, POLISH_ORDERS, confirmation, fresh_record, move_odds,
                                               run_fresh_check)
from simulations.lm.searches.fresh_check import FRESH_ORDERS
from simulations.lm.searches.local_climb import CHECKS, climb


def landscape(prior, gold, *, orders, zero_shot_labels=None, random: int = 4, seed: int = 0) -> dict:
    """Coh (``{mean, se, orders, per_order}``, nats) of gold, negation, constants, zero-shot and
    ``random`` balanced random labellings over the rows of ``orders`` (the evaluation orders)."""
    n = prior.n
    S = np.asarray(orders)
    gold = np.asarray(gold, dtype=np.int64)
    out = {"orders": S.tolist(), "labellings": {}}
    named = {"gold": gold, "negation": 1 - gold, "all-0": np.zeros(n, np.int64), "all-1": np.ones(n, np.int64)}
    if zero_shot_labels is not None:
        named["zero-shot"] = np.asarray(zero_shot_labels, dtype=np.int64)
    rng = np.random.default_rng([seed, 5])
    for r in range(random):
        named[f"random-{r}"] = rng.permutation(np.arange(n) % 2).astype(np.int64)
    for name, b in named.items():
        out["labellings"][name] = {**coh(prior, b, S), "accuracy": float(np.mean(b == gold)), "labels": b.tolist()}
    rand = [v["mean"] for k, v in out["labellings"].items() if k.startswith("random-")]
    out["random_mean"] = float(np.mean(rand)) if rand else None
    out["random_sd"] = float(np.std(rand, ddof=1)) if len(rand) > 1 else None
    return out


def gold_climb(prior, gold, *, constraint: str, groups=None, odds=None, polish: int = POLISH_ORDERS, seed: int = 0,
               max_checks: int = CHECKS, evaluation=None, level: float = 0.95, rank: str = "in-context",
               chunk: int = ChunkConfig.chunk, confirm: int = CONFIRM_ORDERS, fresh: int = FRESH_ORDERS) -> dict:
    """Climb from gold to the nearest local maximum of the certified search's final objective
    (Coh over its ``polish`` orders, :func:`~simulations.lm.searches.chunked.polish_orders`) with moves that keep
    ``constraint``, ranked as the search's polish ranks them
    (:func:`~simulations.lm.searches.certified.move_odds`: ``rank`` ``in-context``, chunks of ``chunk``,
    or ``zero-shot``, the per-item zero-shot log-odds ``odds``), each move confirmed on ``confirm``
    fresh orders as the polish confirms it (:func:`~simulations.lm.searches.certified.confirmation`),
    then on by the search's fresh check (:func:`~simulations.lm.searches.fresh_check.fresh_climb`,
    ``fresh`` screen orders; 0: none).

    Returns ``{local_maximum, gain (nats, on the polish orders), accuracy, labels, steps,
    certificate, fresh}`` (``local_maximum``: neither climb moved) and, given ``evaluation`` (the
    landscape's ``{orders, gold per_order}``), the end's held-out ``coh`` and its paired comparison
    ``vs_gold``."""
    S = polish_orders(prior.n, polish, seed)

    def objective(b):
        return float(prior.coherence_over_orders(np.asarray(b, dtype=np.int64), S).mean())

    gold = np.asarray(gold, dtype=np.int64)
    if odds is None:
        lp = prior.log_zero_shot()
        odds = lp[:, 1] - lp[:, 0]
    ranker = move_odds(prior, rank, odds, chunk, seed)
    c = climb(objective, gold, constraint, groups, ranker, max_checks=max_checks,
              confirm=confirmation(prior, confirm, seed))
    out = {"constraint": constraint, "rank": rank, "confirm_orders": confirm, "steps": c["steps"],
           "certificate": c["certificate"]}
    out.update(fresh_part(prior, c, gold, objective, constraint=constraint, groups=groups, ranker=ranker, seed=seed,
                          fresh=fresh, max_checks=max_checks))
    if evaluation is not None:
        out.update(held_out_end(prior, out["labels"], evaluation, level))
    return out


def fresh_part(prior, climbed: dict, gold, objective, *, constraint: str, groups=None, ranker=None, seed: int = 0,
               fresh: int = FRESH_ORDERS, max_checks: int = CHECKS) -> dict:
    """The part of a climb from gold that the fresh check decides, from the polish-order climb's
    result ``climbed`` (:func:`~simulations.lm.searches.local_climb.climb`'s ``{labels, value,
    start_value, steps}``): ``{local_maximum, gain (nats, on the polish orders of ``objective``),
    accuracy, labels, fresh}``."""
    checked = run_fresh_check(prior, climbed["labels"], constraint, groups, ranker, seed=seed, orders=fresh,
                              max_checks=max_checks)
    end = checked["labels"]
    value = climbed["value"] if checked["steps"] == 0 else float(objective(end))
    return {"local_maximum": climbed["steps"] == 0 and checked["steps"] == 0, "gain": value - climbed["start_value"],
            "accuracy": float(np.mean(end == np.asarray(gold))), "labels": end.tolist(),
            "fresh": fresh_record(checked, fresh)}


def held_out_end(prior, labels, evaluation: dict, level: float = 0.95) -> dict:
    """``{coh, vs_gold}`` of a climb's end ``labels``: its Coh on the landscape's evaluation
    orders (``evaluation``: ``{orders, gold_per_order}``; ``{mean, se, orders, per_order}``, nats)
    and its paired comparison with gold there."""
    end = coh(prior, np.asarray(labels, dtype=np.int64), np.asarray(evaluation["orders"]))
    return {"coh": {k: end[k] for k in ("mean", "se", "orders", "per_order")},
            "vs_gold": paired(end["per_order"], evaluation["gold_per_order"], level)}
