"""Coh on a real model, defined once: every command reports this quantity, with its error bar.

A language model's conditionals depend on the order of the demonstrations, so the coherence of a
labelling ``b`` of ``n`` items is an average over orders. For ``K`` random orders ``s_1..s_K``,

    Coh(b) = (1/K) sum_k sum_t log P_M(b_{s_k(t)} | x_{s_k(t)}; b_{s_k(<t)})      (nats)

reported with its standard error ``sd_k / sqrt(K)`` over the orders. Two labellings are compared
*paired*, over the same orders: the mean of ``Coh_{s_k}(a) - Coh_{s_k}(b)``, its standard error
and its Student-t interval. The order-to-order variation that both share cancels, so a paired
difference is far sharper than the two error bars side by side.

The orders are the **evaluation orders** of :func:`evaluation_orders`: drawn from a random
stream of their own, never the orders a search optimised on (a labelling would be flattered by
the orders it was fitted to). They are prefix-stable: the first ``K`` of ``K' > K`` orders are
the same, so growing ``K`` (:func:`decisive`) reuses what was computed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from theory.statistics import mean_ci

#: random stream of the evaluation orders (the chunked searches' objective uses stream 99)
EVALUATION_STREAM = 7919


@dataclass(frozen=True)
class CohConfig:
    """``orders``: K evaluation orders of every reported Coh (at least 2, for an error bar);
    ``target_se``: the paired standard error (nats) at which a decisive comparison stops growing
    K; ``max_orders``: the most orders it grows to; ``level``: the interval's coverage."""

    orders: int = 6
    target_se: float = 0.5
    max_orders: int = 24
    level: float = 0.95

    def __post_init__(self):
        if isinstance(self.orders, bool) or not isinstance(self.orders, int) or self.orders < 2:
            raise ValueError(f"orders must be an integer >= 2 (an error bar needs two orders), got {self.orders!r}")
        if isinstance(self.max_orders, bool) or not isinstance(self.max_orders, int) or self.max_orders < self.orders:
            raise ValueError(f"max_orders must be an integer >= orders ({self.orders}), got {self.max_orders!r}")
        if not (isinstance(self.target_se, (int, float)) and math.isfinite(self.target_se) and self.target_se > 0):
            raise ValueError(f"target_se must be a positive number of nats, got {self.target_se!r}")
        if not 0 < self.level < 1:
            raise ValueError(f"level must lie in (0, 1), got {self.level!r}")


def evaluation_orders(n: int, k: int, seed: int) -> np.ndarray:
    """``(k, n)``: the first ``k`` evaluation orders of ``n`` items for ``seed`` (prefix-stable)."""
    rng = np.random.default_rng([int(seed), EVALUATION_STREAM])
    return np.stack([rng.permutation(n) for _ in range(k)])


def summary(per_order) -> dict:
    """``{mean, se, orders, per_order}`` of per-order coherences (nats); ``se`` is ``sd/sqrt(K)``
    with the ``K - 1`` denominator (``nan`` for one order)."""
    c = np.asarray(per_order, dtype=float)
    se = float(c.std(ddof=1) / np.sqrt(c.size)) if c.size > 1 else float("nan")
    return {"mean": float(c.mean()), "se": se, "orders": int(c.size), "per_order": c.tolist()}


def seed_mean(cohs) -> dict:
    """``{mean, se}``: the mean over seeds of ``{mean, se}`` Coh's (nats) and its standard error
    from the orders, ``sqrt(sum se^2) / S`` (each seed's orders are drawn independently; the seeds'
    item sets are fixed, so their spread is not sampling error); ``se`` is ``None`` unless every
    Coh has one (older table files' do not)."""
    cohs = list(cohs)
    mean = float(np.mean([c["mean"] for c in cohs]))
    if not all(c.get("se") is not None for c in cohs):
        return {"mean": mean, "se": None}
    return {"mean": mean, "se": float(np.sqrt(np.sum([c["se"] ** 2 for c in cohs])) / len(cohs))}


def coh(prior, b, orders) -> dict:
    """:func:`summary` of ``Coh_s(b)`` over the rows of ``orders`` (nats)."""
    return summary(prior.coherence_over_orders(np.asarray(b, dtype=np.int64), np.asarray(orders)))


def paired(per_order_a, per_order_b, level: float = 0.95) -> dict:
    """The paired comparison of two labellings over the same orders: ``{diff, se, ci, orders}``
    with ``diff`` the mean of ``Coh_s(a) - Coh_s(b)`` (nats), ``se`` its standard error and
    ``ci`` its Student-t interval at ``level`` (``K - 1`` degrees of freedom)."""
    d = np.asarray(per_order_a, dtype=float) - np.asarray(per_order_b, dtype=float)
    if d.size < 2:
        raise ValueError(f"a paired comparison needs at least 2 orders, got {d.size}")
    ci = mean_ci(d, level)
    return {"diff": ci["mean"], "se": float(d.std(ddof=1) / np.sqrt(d.size)), "ci": [ci["lo"], ci["hi"]],
            "orders": int(d.size), "level": level}


def verdict(cmp: dict) -> str:
    """``"above"``, ``"below"`` or ``"tied"``: where the interval of a paired difference lies."""
    lo, hi = cmp["ci"]
    return "above" if lo > 0 else "below" if hi < 0 else "tied"


def decisive(prior, a, b, seed: int, config: CohConfig = CohConfig(), token_budget: int | None = None) -> dict:
    """The paired comparison of ``a`` and ``b`` with ``K`` grown from ``config.orders`` (doubling,
    at most ``config.max_orders``) until its standard error is at most ``config.target_se`` or
    ``token_budget`` forward tokens were spent. Adds ``a``, ``b`` (their :func:`summary`),
    ``target_met`` and ``tokens``."""
    k = config.orders
    t0 = prior.forward_tokens
    while True:
        S = evaluation_orders(prior.n, k, seed)
        ca = prior.coherence_over_orders(np.asarray(a, dtype=np.int64), S)
        cb = prior.coherence_over_orders(np.asarray(b, dtype=np.int64), S)
        cmp = paired(ca, cb, config.level)
        spent = prior.forward_tokens - t0
        over = token_budget is not None and spent >= token_budget
        if cmp["se"] <= config.target_se or k >= config.max_orders or over:
            return {**cmp, "a": summary(ca), "b": summary(cb), "target_se": config.target_se,
                    "target_met": bool(cmp["se"] <= config.target_se), "tokens": int(spent)}
        k = min(2 * k, config.max_orders)


def lies_below(per_order, references: dict, level: float = 0.95) -> list:
    """Names of the ``references`` (name -> per-order Coh over the same orders, nats) that the
    labelling with Coh ``per_order`` lies below: the paired interval of the difference below 0.
    For a search that maximises Coh, a non-empty list is a **search failure**: it ended below a
    labelling the objective prefers and that it could have reached (gold, and with no constraint
    the constants)."""
    return [k for k, ref in references.items() if verdict(paired(per_order, ref, level)) == "below"]


def below_references(per_order, gold_per_order, constants: dict, constraint: str) -> list:
    """The labellings a search's end (Coh ``per_order``) lies below, by :func:`lies_below`: gold,
    and under a constraint that allows every labelling (``none``, ``free-groups``) also the
    constants (``constants``: name -> per-order Coh), which the search could have reached
    (``gold_per_order`` ``None``: gold unknown, the constants only). The one search-failure rule
    of records and predictions."""
    from simulations.lm.tasks.constraints import allows_every_labelling

    refs = {} if gold_per_order is None else {"gold": gold_per_order}
    if allows_every_labelling(constraint):
        refs.update(constants)
    return lies_below(per_order, refs)
