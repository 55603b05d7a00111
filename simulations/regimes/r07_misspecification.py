"""R7 truth outside the prior's support: the prior holds the truth with a quarter of its items
flipped and a random map, never the truth itself. Labels then only choose among wrong concepts:
accuracy on unlabelled items never exceeds the best concept's agreement with the truth (3/4).

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import METHODS
from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance, map_with_agreement


def params(quick: bool) -> dict:
    return {"n": 12, "eps": 0.05, "w_flipped": 0.6, "agree": 0.75, "xs": [0, 1, 2, 3, 4, 6, 8],
            "seeds": list(range(12 if quick else 32))}


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 7)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    flipped = map_with_agreement(rng, truth, p["agree"])
    F = np.stack([flipped, rng.integers(0, 2, n)])
    prior = ConceptMixture(F=F, eps=[p["eps"], p["eps"]], w=[p["w_flipped"], 1 - p["w_flipped"]])
    S = rng.choice(n, int(x), replace=False)
    U = np.setdiff1d(np.arange(n), S)
    bound = float(max((F[:, U] == truth[U]).mean(1)))
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, items=U,
                    methods=METHODS + ("few-shot",), measures={"best_concept_agreement": bound})
