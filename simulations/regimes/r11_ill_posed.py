"""R11 ill-posed items: two personas agree on most items and disagree on the ill-posed ones, and
the truth is itself drawn from the prior, so on ill-posed items it is a coin flip. Coherence still
forces confident answers: the leave-one-out confidence at the most coherent map is about
``1 - eps`` while the expected accuracy there is 1/2.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from theory import ConceptMixture
from theory.decoders import tie_set
from theory.statistics import rng_for

from .instance import Instance


def params(quick: bool) -> dict:
    return {"n": 12, "eps": 0.05, "xs": [1, 2, 3, 4, 5, 6], "seeds": list(range(8 if quick else 24))}


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 11)
    n = p["n"]
    a = rng.integers(0, 2, n)
    ill = np.sort(rng.choice(n, int(x), replace=False))
    b = a.copy()
    b[ill] = 1 - b[ill]
    prior = ConceptMixture(F=np.stack([a, b]), eps=[p["eps"], p["eps"]], w=[0.5, 0.5])
    truth = prior.sample(rng, 1)[0]
    E = Enumerated(prior)
    top = tie_set(E.table)
    L = np.exp(prior.log_loo(E.B[top]))                      # (T, n, 2)
    conf = float(np.mean([L[t, ill, E.B[top[t]][ill]].mean() for t in range(len(top))]))
    zs_conf = float(np.exp(prior.log_zero_shot()[ill].max(1)).mean())
    return Instance(prior, truth, items=ill, enumerated=E,
                    measures={"loo_confidence": conf, "zero_shot_confidence": zs_conf})


def predicted_confidence(x: int, eps: float) -> float:
    """LOO confidence on an ill-posed item when the other ``x - 1`` ill-posed items follow one
    persona: that persona's posterior is ``(1-eps)^(x-1) / ((1-eps)^(x-1) + eps^(x-1))``."""
    a, b = (1 - eps) ** (x - 1), eps ** (x - 1)
    post = a / (a + b)
    return post * (1 - eps) + (1 - post) * eps


def curves(p):
    return [{"x": p["xs"], "y": [predicted_confidence(x, p["eps"]) for x in p["xs"]],
             "label": "predicted LOO confidence (closed form)"},
            {"x": p["xs"], "y": [0.5] * len(p["xs"]), "label": "predicted accuracy 1/2"}]
