"""R13 many labels: with the truth drawn from the prior, the gain of coherence + labels over plain
supervised fitting (the labels, zero-shot elsewhere) shrinks as labels accumulate and is exactly
0 once every item is labelled.
"""
from __future__ import annotations

import numpy as np

from theory import ConceptMixture

from .base import fmt
from .common import METHODS, rng_for
from .regime import Instance, measure, regime_experiment, series


def params(quick: bool) -> dict:
    return {"n": 10, "K": 4, "eps": 0.1, "xs": [1, 2, 3, 4, 6, 8, 10], "seeds": list(range(8 if quick else 24))}


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 13)
    n = p["n"]
    prior = ConceptMixture(F=rng.integers(0, 2, (p["K"], n)), eps=np.full(p["K"], p["eps"]), w=rng.dirichlet(np.ones(p["K"])))
    truth = prior.sample(rng, 1)[0]
    S = rng.choice(n, int(x), replace=False)
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, items=np.arange(n),
                    methods=METHODS + ("supervised", "few-shot"))


def _gain(d):
    return series(d, "exact") - series(d, "supervised")


def finding(d) -> str:
    g = _gain(d)
    top = int(np.nanargmax(g))
    return (f"The accuracy gain of exact coherence + labels over supervised fitting peaks at {fmt(g[top])} with {d['x'][top]} "
            f"label(s) and falls to {fmt(g[-1])} with {d['x'][-1]} labels (all items labelled).")


def verdict(d) -> str:
    g = _gain(d)
    top = int(np.nanargmax(g))
    return "confirms" if abs(g[-1]) < 1e-9 and g[top] > 0 and np.all(np.diff(g[top:]) <= 0.03) else "refutes"


EXPERIMENT = regime_experiment(
    id="R13-many-labels", claims=["C5.R13"], module=__name__, params=params, boundaries=lambda p: [],
    finding=finding, verdict=verdict,
    title="R13: with many labels the regularizer's value shrinks (truth drawn from a 4-concept prior, n = 10)",
    prediction="the gain of coherence over plain supervised fitting falls with m and is 0 at m = n (with no labels the "
               "per-item zero-shot marginal is already Bayes-optimal per item when pi* ~ P*)",
    ylabel="accuracy on all items", xlabel="number of gold labels m (items)")
