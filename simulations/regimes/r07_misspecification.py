"""R7 truth outside the prior's support: the prior holds the truth with a quarter of its items
flipped and a random map, never the truth itself. Labels then only choose among wrong concepts:
accuracy on unlabelled items never exceeds the best concept's agreement with the truth (3/4).

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`):
the figure sweeps the number of labels at one ``n`` across seeds (:func:`params`, :func:`instance`);
the check (``C5.R7.misspecification``) takes the same prior at several ``n``, with every label count
drawn from one random stream per ``n`` (:func:`check_params`, :func:`check_instances`).
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


def check_params(quick: bool) -> dict:
    """The check's settings: the figure's prior (``eps``, ``w_flipped``, ``agree``) at each ``n`` of
    ``ns``, labels on ``m = 0, label_step, ..., n/2`` items, the stream ``default_rng(seed)``."""
    p = params(quick)
    return {"ns": [8, 12] if quick else [8, 12, 16], "eps": p["eps"], "w_flipped": p["w_flipped"], "agree": p["agree"],
            "label_step": 2, "seed": 7}


def _prior_and_truth(rng: np.random.Generator, p: dict, n: int):
    """A random truth ``(n,)`` and the mixture of {truth with a fraction ``1 - agree`` flipped (weight
    ``w_flipped``), a random map}, both with noise ``eps``."""
    truth = rng.integers(0, 2, n)
    flipped = map_with_agreement(rng, truth, p["agree"])
    F = np.stack([flipped, rng.integers(0, 2, n)])
    return ConceptMixture(F=F, eps=[p["eps"], p["eps"]], w=[p["w_flipped"], 1 - p["w_flipped"]]), truth


def _labelled(rng: np.random.Generator, prior, truth, m: int) -> Instance:
    """Gold labels on ``m`` random items; accuracy on the rest, bounded by the best concept's agreement there."""
    n = truth.size
    S = rng.choice(n, int(m), replace=False)
    U = np.setdiff1d(np.arange(n), S)
    bound = float(max((prior.F[:, U] == truth[U]).mean(1)))
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, items=U,
                    methods=METHODS + ("few-shot",), measures={"best_concept_agreement": bound})


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 7)
    prior, truth = _prior_and_truth(rng, p, p["n"])
    return _labelled(rng, prior, truth, x)


def check_instances(p: dict, n: int) -> list:
    """The check's instances at ``n`` items (``p`` from :func:`check_params`): one prior and truth,
    then ``m = 0, label_step, ..., n/2`` labels, all drawn in turn from ``default_rng(p["seed"])``."""
    rng = np.random.default_rng(p["seed"])
    prior, truth = _prior_and_truth(rng, p, n)
    return [_labelled(rng, prior, truth, m) for m in range(0, n // 2 + 1, p["label_step"])]
