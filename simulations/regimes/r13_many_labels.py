"""R13 many labels: with the truth drawn from the prior, the gain of coherence + labels over plain
supervised fitting (the labels, zero-shot elsewhere) shrinks as labels accumulate and is exactly
0 once every item is labelled.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`):
the figure draws a random prior per seed (:func:`params`, :func:`instance`); the check
(``C5.R13.many-labels``) draws many truths from the one task distribution ``P*`` of claim C3
(:mod:`simulations.task_prior`) at ``m = 0, 2, ..., n`` labels (:func:`check_params`,
:func:`check_instances`).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import METHODS
from simulations.task_prior import task_prior
from theory import ConceptMixture
from theory.statistics import rng_for

from .instance import Instance


def params(quick: bool) -> dict:
    return {"n": 10, "K": 4, "eps": 0.1, "xs": [1, 2, 3, 4, 6, 8, 10], "seeds": list(range(8 if quick else 24))}


def check_params(quick: bool) -> dict:
    """The check's settings: ``draws`` truths ``pi* ~ P*`` over the figure's ``n`` items for each
    ``m`` of ``ms`` labels, from the stream ``default_rng(seed)``; the gain may rise by at most
    ``slack`` from one ``m`` to the next (from the second ``m`` on)."""
    n = params(quick)["n"]
    return {"n": n, "ms": list(range(0, n + 1, 2)), "draws": 300 if quick else 1500, "seed": 13, "slack": 0.01}


def _labelled(rng: np.random.Generator, prior, m) -> Instance:
    """A truth ``pi* ~ prior`` with noiseless gold labels on ``m`` random items; accuracy on every item."""
    truth = prior.sample(rng, 1)[0]
    S = rng.choice(prior.n, int(m), replace=False)
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, items=np.arange(prior.n),
                    methods=METHODS + ("supervised", "few-shot"))


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 13)
    n = p["n"]
    prior = ConceptMixture(F=rng.integers(0, 2, (p["K"], n)), eps=np.full(p["K"], p["eps"]),
                           w=rng.dirichlet(np.ones(p["K"])))
    return _labelled(rng, prior, x)


def check_instances(p: dict) -> dict:
    """The check's instances (``p`` from :func:`check_params`): ``m -> draws`` instances on
    ``P* = task_prior(n)``, drawn in turn (``m`` ascending) from ``default_rng(p["seed"])``."""
    prior, rng = task_prior(p["n"]), np.random.default_rng(p["seed"])
    return {m: [_labelled(rng, prior, m) for _ in range(p["draws"])] for m in p["ms"]}
