"""R2 label-flip symmetry: a prior with ``Coh(pi) = Coh(1 - pi)`` (truth and negation, and a
second map and its negation, with equal weights and noise) makes the truth and its negation
exactly tied, so unlabelled accuracy is 1/2 on average; one label breaks the tie.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import numpy as np

from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance, map_with_agreement


def params(quick: bool) -> dict:
    return {"n": 10, "eps_t": 0.1, "eps_o": 0.05, "w_t": 0.35, "w_o": 0.15, "xs": [0, 1, 2, 3, 4, 6],
            "seeds": list(range(6 if quick else 20))}


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 2)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    other = map_with_agreement(rng, truth, 0.6)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth, other, 1 - other]),
                           eps=[p["eps_t"], p["eps_t"], p["eps_o"], p["eps_o"]],
                           w=[p["w_t"], p["w_t"], p["w_o"], p["w_o"]])
    S = rng.choice(n, int(x), replace=False)
    gap = abs(float(prior.log_joint(truth)) - float(prior.log_joint(1 - truth)))
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, measures={"tie_gap_nats": gap})


def curves(p):
    return [{"x": p["xs"], "y": [0.5 if m == 0 else 1.0 for m in p["xs"]],
             "label": "predicted: 1/2 (exact tie) without labels, 1 with any label"}]
