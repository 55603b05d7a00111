"""R6 degenerate constant labelings: under an entropy-minimising Beta-Bernoulli prior the most
coherent labelings are the two constants, so unlabelled accuracy is exactly 1/2 whatever the
class balance, and with two labels of the majority class it equals the class balance of the
unlabelled items: never better than the constant baseline.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from theory import DirichletMultinomial
from theory.statistics import rng_for

from .instance import Instance


METHODS = ("exact", "zero-shot", "golden", "bootstrap", "gibbs", "annealed-gibbs", "icm", "icm-paper")


def params(quick: bool) -> dict:
    return {"n": 12, "alpha": 1.0, "m": 2, "xs": [0.5, 0.58, 0.67, 0.75, 0.83, 0.92],
            "seeds": list(range(4 if quick else 12))}


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 6)
    n = p["n"]
    ones = int(round(x * n))
    truth = np.array([1] * ones + [0] * (n - ones))
    rng.shuffle(truth)
    prior = DirichletMultinomial.beta_bernoulli(n, p["alpha"], p["alpha"])
    E = Enumerated(prior)
    majority = int(2 * truth.sum() >= n)
    S = rng.choice(np.flatnonzero(truth == majority), p["m"], replace=False)
    U = np.setdiff1d(np.arange(n), S)
    unl = E.accuracy(truth, np.arange(n))
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, items=U, enumerated=E,
                    measures={"exact_without_labels": unl, "majority_rate_unlabelled": float(np.mean(truth[U] == truth[S[0]]))},
                    methods=METHODS)


def curves(p):
    return [{"x": p["xs"], "y": [(round(x * p["n"]) - p["m"]) / (p["n"] - p["m"]) for x in p["xs"]],
             "label": "predicted with 2 majority labels: class balance of the rest"},
            {"x": p["xs"], "y": [0.5] * len(p["xs"]), "label": "predicted without labels: 1/2 (two tied constants)"}]
