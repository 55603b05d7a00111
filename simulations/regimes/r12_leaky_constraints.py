"""R12 consistency constraints that leak the gold partition: items come in groups with exactly one
gold True each, and the constraint 'at most one True per group' is built from that partition.
Under a uniform prior (no knowledge at all) it lifts accuracy from 1/2 to
``((g-1) + g + (g-1)(g-2)) / ((g+1) g)``; report with and without.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance


METHODS = ("exact", "zero-shot", "gibbs", "annealed-gibbs", "icm", "icm-paper")


def params(quick: bool) -> dict:
    return {"groups": 3, "xs": [2, 3, 4, 5] if quick else [2, 3, 4, 5, 6], "seeds": list(range(4 if quick else 12))}


def closed_form(g: int) -> float:
    """Accuracy under a uniform prior restricted to "at most one True per group of g" (one gold
    True per group): ``((g-1) + g + (g-1)(g-2)) / ((g+1) g)``."""
    return ((g - 1) + g + (g - 1) * (g - 2)) / ((g + 1) * g)


def closed_form_exactly_one(g: int) -> float:
    """The same under "exactly one True per group": ``1 - 2 (g-1) / g^2``."""
    return 1 - 2 * (g - 1) / g**2


def instance(p: dict, x, seed: int) -> Instance:
    from simulations.search.constraints import from_groups

    rng = rng_for(seed, 12)
    g, G = int(x), p["groups"]
    n = g * G
    truth = np.zeros(n, dtype=np.int64)
    for j in range(G):
        truth[j * g + rng.integers(0, g)] = 1
    group = np.repeat(np.arange(G), g)
    prior = ConceptMixture(F=rng.integers(0, 2, (1, n)), eps=[0.5], w=[1.0])       # uniform over {0,1}^n
    cons = from_groups(group, "contradiction", leaks_gold=True)
    E = Enumerated(prior)
    mask = cons.violations(E.B) == 0
    items = np.arange(n)
    return Instance(prior, truth, items=items, constraints=cons, constraint_mask=mask, enumerated=E, methods=METHODS,
                    measures={"exact_without_constraint": E.accuracy(truth, items)})


def curves(p):
    return [{"x": p["xs"], "y": [closed_form(g) for g in p["xs"]], "label": "predicted with the leaky constraint"},
            {"x": p["xs"], "y": [0.5] * len(p["xs"]), "label": "predicted without: 1/2"}]
