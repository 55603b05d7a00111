"""R5 compressibility bias: a sharp wrong concept (noise ``eps_w``, weight ``w_w``) beats a noisy
right one (``eps_t``, ``w_t``) once ``log w_t + n log(1 - eps_t) < log w_w + n log(1 - eps_w)``.
Zero-shot follows the per-item vote ``w_t (1 - 2 eps_t)`` vs ``w_w (1 - 2 eps_w)`` instead, so
between the two switches coherence is worse than zero-shot.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import math

import numpy as np

from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance, map_with_agreement


def params(quick: bool) -> dict:
    xs = np.round(np.arange(0.01, 0.45, 0.01 if quick else 0.005), 5).tolist()
    return {"n": 12, "w_t": 0.7, "w_w": 0.3, "eps_w": 0.02, "agree": 0.5, "xs": xs,
            "seeds": list(range(4 if quick else 12))}


def switches(p) -> tuple:
    coh = 1 - math.exp((math.log(p["w_w"] / p["w_t"]) + p["n"] * math.log(1 - p["eps_w"])) / p["n"])
    zs = (1 - p["w_w"] * (1 - 2 * p["eps_w"]) / p["w_t"]) / 2
    return coh, zs


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 5)
    truth = rng.integers(0, 2, p["n"])
    wrong = map_with_agreement(rng, truth, p["agree"])
    prior = ConceptMixture(F=np.stack([truth, wrong]), eps=[x, p["eps_w"]], w=[p["w_t"], p["w_w"]])
    return Instance(prior, truth)


def boundaries(p):
    c, z = switches(p)
    return [{"x": c, "label": "predicted coherence switch: log w_t + n log(1-eps_t) = log w_w + n log(1-eps_w)"},
            {"x": z, "label": "predicted zero-shot switch: w_t(1-2 eps_t) = w_w(1-2 eps_w)", "colour": "#E69F00"}]
