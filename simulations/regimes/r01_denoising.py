"""R1 success by denoising: the model knows the truth (concept ``t``, noise ``eps_t``, weight
``w_t``) but its zero-shot answers are blurred by many weak unrelated concepts (``R`` random
maps, noise ``eps_r``, weight ``(1 - w_t)/R`` each). The truth is the most coherent map once

    log w_t + n log(1 - eps_t) > log((1 - w_t)/R) + n log(1 - eps_r),

i.e. ``w_t > r/(1+r)`` with ``r = R^-1 exp(n log((1-eps_r)/(1-eps_t)))``; there coherence
optimisation recovers the truth while zero-shot stays noisy.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import math

import numpy as np

from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance


def params(quick: bool) -> dict:
    xs = np.round(np.arange(0.02, 0.41, 0.02 if quick else 0.01), 4).tolist()
    return {"n": 12, "eps_t": 0.15, "eps_r": 0.05, "n_random": 30, "xs": xs,
            "seeds": list(range(4 if quick else 12))}


def switch(p: dict) -> float:
    r = math.exp(p["n"] * math.log((1 - p["eps_r"]) / (1 - p["eps_t"]))) / p["n_random"]
    return r / (1 + r)


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 1)
    n, R = p["n"], p["n_random"]
    truth = rng.integers(0, 2, n)
    F = np.vstack([truth, rng.integers(0, 2, (R, n))])
    prior = ConceptMixture(F=F, eps=np.r_[p["eps_t"], np.full(R, p["eps_r"])], w=np.r_[x, np.full(R, (1 - x) / R)])
    return Instance(prior, truth)


def boundaries(p):
    return [{"x": switch(p), "label": "predicted switch: log w_t + n log(1-eps_t) = best other"}]
