"""R4 competing wrong modes: three sharp wrong concepts, each the truth with a different third of
the items flipped, make the truth their per-item consensus but not the mode. Joint coherence
(accuracy 2/3) loses to per-item zero-shot (accuracy 1) until
``log w_t + n log(1 - eps_t) > log((1 - w_t)/3) + n log(1 - eps_w)``.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import math

import numpy as np

from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance


def params(quick: bool) -> dict:
    xs = np.round(np.arange(0.01, 0.6, 0.02 if quick else 0.01), 4).tolist()
    return {"n": 12, "eps_t": 0.1, "eps_w": 0.02, "xs": xs, "seeds": list(range(4 if quick else 12))}


def switch(p) -> float:
    r = math.exp(p["n"] * math.log((1 - p["eps_w"]) / (1 - p["eps_t"]))) / 3
    return r / (1 + r)


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 4)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    perm = rng.permutation(n)
    wrong = np.stack([truth.copy() for _ in range(3)])
    for j, part in enumerate(np.array_split(perm, 3)):
        wrong[j, part] = 1 - wrong[j, part]
    prior = ConceptMixture(F=np.vstack([truth, wrong]), eps=[p["eps_t"]] + [p["eps_w"]] * 3,
                           w=np.r_[x, np.full(3, (1 - x) / 3)])
    return Instance(prior, truth)


def boundaries(p):
    return [{"x": switch(p), "label": "predicted switch: log w_t + n log(1-eps_t) = log((1-w_t)/3) + n log(1-eps_w)"}]


def curves(p):
    s = switch(p)
    return [{"x": p["xs"], "y": [2 / 3 if x < s else 1.0 for x in p["xs"]],
             "label": "predicted exact accuracy (2/3, then 1)"}]
