"""R13 many labels: with the truth drawn from the prior, the gain of coherence + labels over plain
supervised fitting (the labels, zero-shot elsewhere) shrinks as labels accumulate and is exactly
0 once every item is labelled.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import METHODS
from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance


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
