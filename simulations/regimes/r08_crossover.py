"""R8 small versus large n: prior weight against sharpness. A heavy noisy truth (``w_t``,
``eps_t``) is the most coherent map for small ``n``; a light sharp wrong concept (``w_w``,
``eps_w``) wins for large ``n``; the crossover is ``n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t))``.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import math

import numpy as np

from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance, map_with_agreement


def params(quick: bool) -> dict:
    return {"w_t": 0.9, "eps_t": 0.25, "w_w": 0.1, "eps_w": 0.02, "agree": 0.5,
            "xs": list(range(2, 15 if quick else 17)), "seeds": list(range(4 if quick else 12))}


def n_star(p) -> float:
    return math.log(p["w_t"] / p["w_w"]) / math.log((1 - p["eps_w"]) / (1 - p["eps_t"]))


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 8)
    n = int(x)
    truth = rng.integers(0, 2, n)
    wrong = map_with_agreement(rng, truth, p["agree"])
    prior = ConceptMixture(F=np.stack([truth, wrong]), eps=[p["eps_t"], p["eps_w"]], w=[p["w_t"], p["w_w"]])
    return Instance(prior, truth)


def boundaries(p):
    return [{"x": n_star(p), "label": "predicted n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t))"}]
