"""R6 degenerate constant labelings: under an entropy-minimising Beta-Bernoulli prior the most
coherent labelings are the two constants, so unlabelled accuracy is exactly 1/2 whatever the
class balance, and with two labels of the majority class it equals the class balance of the
unlabelled items: never better than the constant baseline.

R6 is also ICM's failure mode without logical consistency: beside the truth, a concept "all True"
that is sharp enough (or heavy enough) becomes the most coherent labeling, and the highest
pseudo-likelihood one, so accuracy falls to the class balance; the task's contradiction
constraints exclude the constant and recover the truth.

Defined once here, read by the checks, the figure and ``coherence explore`` (:mod:`simulations.regimes`):
the figure and ``C5.R6.degenerate-constant`` take the Beta-Bernoulli instances (:func:`params`,
:func:`instance`); ``C5.R6.no-consistency-constant-wins`` takes the constant-takeover instances on
ICM's arithmetic task (:func:`check_params`, :func:`check_instances`).
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from simulations.arithmetic_task import arithmetic_task
from theory import ConceptMixture, DirichletMultinomial
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
                    measures={"exact_without_labels": unl,
                              "majority_rate_unlabelled": float(np.mean(truth[U] == truth[S[0]]))},
                    methods=METHODS)


def curves(p):
    return [{"x": p["xs"], "y": [(round(x * p["n"]) - p["m"]) / (p["n"] - p["m"]) for x in p["xs"]],
             "label": "predicted with 2 majority labels: class balance of the rest"},
            {"x": p["xs"], "y": [0.5] * len(p["xs"]), "label": "predicted without labels: 1/2 (two tied constants)"}]


# -- without logical consistency the constant takes over (C5.R6.no-consistency-constant-wins) ------

def check_params(quick: bool) -> dict:
    """The constant-takeover check's settings: ICM's arithmetic task with ``problems`` x
    ``candidates`` items (truth drawn with ``task_seed``); the truth has noise ``eps_t``, the
    constant all-True concept noise ``eps_c`` and weight ``w_c``. The weight sweep runs over
    ``w_c_grid`` at ``eps_c``, the noise sweep over ``eps_c_grid`` at ``w_c``; measured switches
    must lie within ``tolerance`` of the closed forms. The ICM searches (``search_methods``, one per
    seed of ``seeds``) run at each weight of ``search_w_c`` and must end at the truth, with the
    constraints, in a share ``search_truth_share`` of the runs. Outside the conditions: a
    ``light`` and a ``noisy`` constant, each ``(w_c, eps_c)``."""
    return {"task_seed": 6, "problems": 4, "candidates": 3, "eps_t": 0.1, "eps_c": 0.01, "w_c": 0.3,
            "w_c_grid": np.round(np.arange(0.01, 0.6, 0.01 if quick else 0.0025), 5).tolist(),
            "eps_c_grid": np.round(np.arange(0.0025, 0.2, 0.005 if quick else 0.0025), 5).tolist(),
            "tolerance": 0.01, "search_w_c": [0.1, 0.5], "search_methods": ("icm", "icm-paper"),
            "seeds": list(range(4 if quick else 10)), "search_truth_share": 0.8,
            "light": (0.1, 0.01), "noisy": (0.5, 0.15)}


def truth_and_constant(truth, eps_t: float, eps_c: float, w_c: float) -> ConceptMixture:
    """Two concepts: the truth (noise ``eps_t``, weight ``1 - w_c``) and the constant all-True map
    (``eps_c``, ``w_c``)."""
    return ConceptMixture(F=np.stack([truth, np.ones_like(truth)]), eps=[eps_t, eps_c], w=[1 - w_c, w_c],
                          names=("truth", "constant-true"))


def check_instances(p: dict) -> dict:
    """The check's instances (``p`` from :func:`check_params`), all on one arithmetic task with its
    constraints: ``weight_sweep`` (one per ``w_c_grid`` entry), ``noise_sweep`` (one per
    ``eps_c_grid`` entry), ``searches`` (one per ``search_w_c``), and the ``light`` and ``noisy``
    instances; each records its ``w_c`` and ``eps_c`` in ``measures``."""
    truth, _, cons = arithmetic_task(p["task_seed"], p["problems"], p["candidates"])

    def at(w_c, eps_c) -> Instance:
        return Instance(truth_and_constant(truth, p["eps_t"], eps_c, w_c), truth, items=np.arange(truth.size),
                        constraints=cons, measures={"w_c": w_c, "eps_c": eps_c})

    return {"weight_sweep": [at(w, p["eps_c"]) for w in p["w_c_grid"]],
            "noise_sweep": [at(p["w_c"], e) for e in p["eps_c_grid"]],
            "searches": [at(w, p["eps_c"]) for w in p["search_w_c"]],
            "light": at(*p["light"]), "noisy": at(*p["noisy"])}
