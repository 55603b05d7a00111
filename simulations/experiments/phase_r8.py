"""Phase diagram for R8: prior weight ratio ``log(w_t/w_w)`` against ``n``. The heavy noisy truth
(``eps_t``) is the most coherent map left of ``n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t))``,
the light sharp wrong concept (``eps_w``) right of it."""
from __future__ import annotations

import math

import numpy as np

from simulations.accuracy import Enumerated
from simulations.regimes.instance import map_with_agreement
from simulations.regimes.verdict import figure_verdict
from theory import ConceptMixture
from theory.statistics import rng_for

from .base import fmt
from .phase import grid, phase_experiment


def params(quick: bool) -> dict:
    return {"eps_t": 0.25, "eps_w": 0.02, "xs": list(range(2, 15 if quick else 17)),
            "ys": np.round(np.arange(0.0, 4.01, 0.5 if quick else 0.25), 3).tolist(),
            "seeds": list(range(2 if quick else 4))}


def cell(p, x, y, seed):
    rng = rng_for(seed, 50, int(x))
    n = int(x)
    truth = rng.integers(0, 2, n)
    wrong = map_with_agreement(rng, truth, 0.5)
    r = math.exp(y)
    prior = ConceptMixture(F=np.stack([truth, wrong]), eps=[p["eps_t"], p["eps_w"]], w=[r / (1 + r), 1 / (1 + r)])
    return {"exact": Enumerated(prior).accuracy(truth, np.arange(n))}


def slope(p):
    return math.log((1 - p["eps_w"]) / (1 - p["eps_t"]))


def boundary(p):
    ys = np.linspace(p["ys"][0], p["ys"][-1], 50)
    return [{"x": (ys / slope(p)).tolist(), "y": ys.tolist(),
             "label": "predicted n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t))"}]


def _agreement(d, p_slope):
    """Fraction of cells on the predicted side: accuracy 1 left of n*, < 1 right of it."""
    Z = grid(d, "exact")
    X, Y = np.meshgrid(d["x"], d["y"])
    pred = X < Y / p_slope
    clear = np.abs(X - Y / p_slope) > 0.5
    return float(np.mean(((Z > 0.999) == pred)[clear]))


def finding(d):
    s = math.log(0.98 / 0.75)
    return ("The measured region where exact coherence recovers the truth matches the predicted side of "
            "n* = log(w_t/w_w) / "
            f"{fmt(s, 3)} in {fmt(100 * _agreement(d, s), 1)}% of the cells more than half an item from the line.")


def verdict(d):
    return figure_verdict(_agreement(d, math.log(0.98 / 0.75)) > 0.95)


EXPERIMENT = phase_experiment(
    id="phase-R8-weight-vs-n", claims=["C5.R8"], module=__name__, params=params, boundary=boundary, finding=finding,
    verdict=verdict, panels=[{"value": "exact", "label": "accuracy of exact coherence argmax (fraction)", "level": 0.9,
                              "vmin": 0.4, "vmax": 1.0,
                              "title": "exact coherence accuracy (eps_t 0.25 vs eps_w 0.02)"}],
    title="Phase diagram R8: prior weight ratio against n -- the truth wins left of n*, the sharp wrong concept "
          "right of it",
    prediction="crossover n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t)) from comparing log w_k + n log(1-eps_k)",
    xlabel="number of contexts n (items)", ylabel="prior weight ratio log(w_t / w_w) (nats)")
