"""Phase diagram for R5: noise of the truth ``eps_t`` against noise of the wrong concept
``eps_w`` (weights 0.7 / 0.3, n = 12). Coherence keeps the truth while
``log w_t + n log(1-eps_t) > log w_w + n log(1-eps_w)``; zero-shot keeps it while
``w_t (1-2 eps_t) > w_w (1-2 eps_w)``; between the two curves coherence is worse than zero-shot."""
from __future__ import annotations

import math

import numpy as np

from simulations.accuracy import Enumerated, zero_shot_accuracy
from simulations.regimes.instance import map_with_agreement
from simulations.regimes.verdict import figure_verdict
from theory import ConceptMixture
from theory.statistics import rng_for

from .base import fmt
from .phase import grid, phase_experiment


def params(quick: bool) -> dict:
    step = 0.04 if quick else 0.02
    g = np.round(np.arange(0.01, 0.46, step), 3).tolist()
    return {"n": 12, "w_t": 0.7, "w_w": 0.3, "xs": g, "ys": g, "seeds": list(range(2 if quick else 4))}


def cell(p, x, y, seed):
    rng = rng_for(seed, 51)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    wrong = map_with_agreement(rng, truth, 0.5)
    prior = ConceptMixture(F=np.stack([truth, wrong]), eps=[x, y], w=[p["w_t"], p["w_w"]])
    items = np.arange(n)
    ex = Enumerated(prior).accuracy(truth, items)
    return {"exact": ex, "exact_minus_zero_shot": ex - zero_shot_accuracy(prior, truth, items)}


def coh_curve(p, et):
    return 1 - np.exp((math.log(p["w_t"] / p["w_w"]) + p["n"] * np.log(1 - et)) / p["n"])


def zs_curve(p, et):
    return (1 - p["w_t"] * (1 - 2 * et) / p["w_w"]) / 2


def boundary(p):
    et = np.linspace(p["xs"][0], p["xs"][-1], 200)
    c, z = coh_curve(p, et), zs_curve(p, et)
    ok_c, ok_z = (c > 0) & (c < 0.5), (z > 0) & (z < 0.5)
    return [{"x": et[ok_c].tolist(), "y": c[ok_c].tolist(),
             "label": "predicted coherence switch (log w + n log(1-eps) equal)", "panels": [0, 1]},
            {"x": et[ok_z].tolist(), "y": z[ok_z].tolist(), "label": "predicted zero-shot switch (w(1-2 eps) equal)",
             "colour": "#56B4E9", "panels": [0, 1]}]


def _agreement(d):
    Z = grid(d, "exact")
    X, Y = np.meshgrid(d["x"], d["y"])
    p = {"n": 12, "w_t": 0.7, "w_w": 0.3}
    margin = (math.log(0.7) + 12 * np.log(1 - X)) - (math.log(0.3) + 12 * np.log(1 - Y))
    clear = np.abs(margin) > 0.3
    return float(np.mean(((Z > 0.999) == (margin > 0))[clear])), p


def finding(d):
    a, _ = _agreement(d)
    D = grid(d, "exact_minus_zero_shot")
    return ("Exact coherence keeps the truth exactly on the predicted side of "
            "log w_t + n log(1-eps_t) = log w_w + n log(1-eps_w) "
            f"in {fmt(100 * a, 1)}% of clear cells, and is worse than zero-shot in "
            f"{fmt(100 * np.mean(D < -1e-9), 1)}% of the grid "
            f"(the window between the two predicted curves), by up to {fmt(-D.min())}.")


def verdict(d):
    a, _ = _agreement(d)
    return figure_verdict(a > 0.95 and np.mean(grid(d, "exact_minus_zero_shot") < -1e-9) > 0)


EXPERIMENT = phase_experiment(
    id="phase-R5-noise-vs-noise", claims=["C5.R5"], module=__name__, params=params, boundary=boundary, finding=finding,
    verdict=verdict,
    panels=[{"value": "exact", "label": "accuracy of exact coherence argmax (fraction)", "level": 0.75, "vmin": 0.4,
             "vmax": 1.0, "title": "exact coherence accuracy"},
            {"value": "exact_minus_zero_shot", "label": "exact coherence minus zero-shot accuracy", "level": -0.25,
             "vmin": -0.6, "vmax": 0.6, "cmap": "PuOr",
             "title": "coherence minus zero-shot (negative = coherence worse)"}],
    title="Phase diagram R5: noise of the truth against noise of the wrong concept (w_t 0.7, w_w 0.3, n = 12)",
    prediction="the switch follows log w_t + n log(1-eps_t) = log w_w + n log(1-eps_w); coherence is worse than "
               "zero-shot between that curve and w_t(1-2eps_t) = w_w(1-2eps_w)",
    xlabel="noise of the true concept eps_t (flip probability)",
    ylabel="noise of the wrong concept eps_w (flip probability)")
