"""R9 pseudo-likelihood versus joint coherence: with a heavy noisy truth (``w_t``, ``eps_t``) and a
light but sharp negation (``w_n``, ``eps_n``), joint coherence picks the truth while
log w_t/w_n > n log((1-eps_n)/(1-eps_t)), but ICM's pseudo-likelihood (and the released code's
signed log-odds) prefer the internally sharper negation as soon as ``eps_n < eps_t``.

Defined once here, read by the check, the figure and ``coherence explore`` (:mod:`simulations.regimes`):
the figure sweeps ``eps_n`` across seeds (:func:`params`, :func:`instance`); the check
(``C5.R9.pl-prefers-negation``) takes the figure's first instance at one ``eps_n`` and runs the
local searches on it (:func:`check_params`).
"""
from __future__ import annotations

import math

import numpy as np

from simulations.accuracy import Enumerated
from theory import ConceptMixture, pseudo_likelihood, signed_logodds
from theory.decoders import joint_accuracy
from theory.statistics import rng_for

from .instance import Instance


def params(quick: bool) -> dict:
    xs = np.round(np.arange(0.01, 0.32, 0.02 if quick else 0.01), 4).tolist()
    return {"n": 10, "w_t": 0.95, "eps_t": 0.2, "xs": xs, "seeds": list(range(4 if quick else 12))}


def check_params(quick: bool) -> dict:
    """The check's settings: the figure's instance (first seed) at negation noise ``eps_n``, and
    ``search_runs`` runs (seeds ``0 .. search_runs - 1``) of each search in ``search_methods``."""
    return {"eps_n": 0.01, "search_methods": ("icm", "icm-paper", "annealed-gibbs"), "search_runs": 5 if quick else 20}


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 9)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[p["eps_t"], x], w=[p["w_t"], 1 - p["w_t"]])
    E = Enumerated(prior)
    items = np.arange(n)
    meas = {"pl_argmax": joint_accuracy(E.B, pseudo_likelihood(prior, E.B), truth, items),
            "signed_logodds_argmax": joint_accuracy(E.B, signed_logodds(prior, E.B), truth, items)}
    return Instance(prior, truth, enumerated=E, measures=meas)


def boundaries(p):
    out = [{"x": p["eps_t"], "label": "predicted PL switch: eps_n = eps_t", "colour": "#D55E00"}]
    # joint switch: log(w_t/w_n) = n log((1-eps_n)/(1-eps_t)), if it lies in (0, 1)
    e = 1 - (1 - p["eps_t"]) * math.exp(math.log(p["w_t"] / (1 - p["w_t"])) / p["n"])
    if 0 < e < 1:
        out.append({"x": e, "label": "predicted joint switch"})
    return out
