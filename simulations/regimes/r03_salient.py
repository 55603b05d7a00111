"""R3 salient wrong concept: a feature-copying (sycophantic) map with sharper noise than the truth
takes over once ``log w_f + n log(1 - eps_f) > log(1 - w_f) + n log(1 - eps_t)``; coherence then
reproduces its correlated errors (accuracy = the feature's agreement with the truth).

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import math

import numpy as np

from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance, map_with_agreement


def params(quick: bool) -> dict:
    xs = np.round(np.arange(0.01, 0.5, 0.02 if quick else 0.01), 4).tolist()
    return {"n": 12, "eps_t": 0.2, "eps_f": 0.05, "agree": 0.6, "xs": xs, "seeds": list(range(4 if quick else 12))}


def switch(p) -> float:
    r = math.exp(p["n"] * math.log((1 - p["eps_t"]) / (1 - p["eps_f"])))
    return r / (1 + r)


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 3)
    truth = rng.integers(0, 2, p["n"])
    feat = map_with_agreement(rng, truth, p["agree"])
    prior = ConceptMixture(F=np.stack([truth, feat]), eps=[p["eps_t"], p["eps_f"]], w=[1 - x, x])
    return Instance(prior, truth, measures={"feature_agreement": float((feat == truth).mean())})


def boundaries(p):
    return [{"x": switch(p), "label": "predicted switch: log w_f + n log(1-eps_f) = log w_t + n log(1-eps_t)"}]


def curves(p):
    agree = round(p["agree"] * p["n"]) / p["n"]
    s = switch(p)
    return [{"x": p["xs"], "y": [1.0 if x < s else agree for x in p["xs"]],
             "label": "predicted: 1 before the switch, the feature's agreement after"}]
