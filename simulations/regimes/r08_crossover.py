"""R8 small versus large n: prior weight against sharpness. A heavy noisy truth (``w_t``,
``eps_t``) is the most coherent map for small ``n``; a light sharp wrong concept (``w_w``,
``eps_w``) wins for large ``n``; the crossover is ``n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t))``.

The regime's one home (:mod:`simulations.regimes`): parameters, instances, the closed form, the
figures ``R8-crossover-n`` (a sweep of ``n``) and ``phase-R8-weight-vs-n`` (``n`` against the
weight ratio ``log(w_t/w_w)``, nats), and the measurement of the check ``C5.R8.crossover-n``.
Noises are flip probabilities per item, weights probabilities, ``n`` items.
"""
from __future__ import annotations

import math

import numpy as np

from simulations.accuracy import Enumerated
from simulations.experiments.base import fmt
from simulations.experiments.phase import grid, phase_experiment
from simulations.experiments.regime import first_x, regime_experiment, series
from theory.statistics import first_crossing, rng_for

from simulations.experiments.instance import Instance, scan, truth_and_wrong
from proofs_check.verdicts import verdict_of
from .decision_rule import CheckResult, boundary_agrees, grid_step

#: fraction of the items on which the wrong concept agrees with the truth
AGREE = 0.5


def params(quick: bool) -> dict:
    """Weights ``w_t``, ``w_w``, noises ``eps_t``, ``eps_w``, agreement ``agree`` (fraction of
    items); the sweep ``xs`` is ``n`` (items)."""
    return {"w_t": 0.9, "eps_t": 0.25, "w_w": 0.1, "eps_w": 0.02, "agree": AGREE,
            "xs": list(range(2, 15 if quick else 17)), "seeds": list(range(4 if quick else 12))}


def slope(p) -> float:
    """``log((1-eps_w)/(1-eps_t))``: what each item adds to the sharp concept's lead (nats per item)."""
    return math.log((1 - p["eps_w"]) / (1 - p["eps_t"]))


def n_star(p) -> float:
    """The crossover ``n* = log(w_t/w_w) / slope`` (items)."""
    return math.log(p["w_t"] / p["w_w"]) / slope(p)


def instance(p: dict, x, seed: int) -> Instance:
    """The heavy noisy truth and the light sharp wrong concept over ``n = x`` items."""
    n = int(x)
    prior, truth = truth_and_wrong(rng_for(seed, 8), n, p["agree"], [p["eps_t"], p["eps_w"]], [p["w_t"], p["w_w"]])
    return Instance(prior, truth)


def boundaries(p):
    return [{"x": n_star(p), "label": "predicted n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t))"}]


# -- the figure R8-crossover-n ---------------------------------------------------------------------

def finding(d) -> str:
    ex, zs = series(d, "exact"), series(d, "zero-shot")
    m = first_x(d, ex < 0.999)
    big = [j for j, x in enumerate(d["x"]) if x > d["boundaries"][0]["x"]]
    zs_big = float(np.mean(zs[big])) if big else None
    return (f"Exact coherence recovers the truth for n < {fmt(m, 0)} and loses it from n = {fmt(m, 0)} on (predicted "
            f"n* = {fmt(d['boundaries'][0]['x'])}), while zero-shot keeps {fmt(zs_big)} at large n.")


def verdict(d) -> str:
    ex = series(d, "exact")
    m = first_x(d, ex < 0.999)
    ok = (boundary_agrees(m, d["boundaries"][0]["x"], grid_step(d["x"]))
          and np.all(ex[[j for j, x in enumerate(d["x"]) if x >= m]] < 0.999))
    return verdict_of(ok)


_P = params(True)
EXPERIMENT = regime_experiment(
    id="R8-crossover-n", claims=["C5.R8"], module=__name__, params=params,
    boundaries=boundaries,
    finding=finding, verdict=verdict,
    title=f"R8: prior weight vs sharpness -- heavy noisy truth (w {_P['w_t']:g}, eps {_P['eps_t']:g}) vs light sharp "
          f"wrong concept (w {_P['w_w']:g}, eps {_P['eps_w']:g})",
    prediction="the truth wins below n* = log(w_t/w_w)/log((1-eps_w)/(1-eps_t)), the sharp wrong concept above",
    xlabel="number of contexts n (items)")


# -- the phase diagram phase-R8-weight-vs-n ----------------------------------------------------------

def phase_params(quick: bool) -> dict:
    """The regime's noises and grid of ``n`` (``xs``); ``ys`` is ``log(w_t/w_w)`` (nats)."""
    p = params(quick)
    return {"eps_t": p["eps_t"], "eps_w": p["eps_w"], "xs": p["xs"],
            "ys": np.round(np.arange(0.0, 4.01, 0.5 if quick else 0.25), 3).tolist(),
            "seeds": list(range(2 if quick else 4))}


def phase_cell(p, x, y, seed):
    """Exact coherence accuracy at ``n = x`` items and weight ratio ``log(w_t/w_w) = y``."""
    n = int(x)
    r = math.exp(y)
    prior, truth = truth_and_wrong(rng_for(seed, 50, n), n, AGREE, [p["eps_t"], p["eps_w"]], [r / (1 + r), 1 / (1 + r)])
    return {"exact": Enumerated(prior).accuracy(truth, np.arange(n))}


def phase_boundary(p):
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


def phase_finding(d, p):
    s = slope(p)
    return ("The measured region where exact coherence recovers the truth matches the predicted side of "
            "n* = log(w_t/w_w) / "
            f"{fmt(s, 3)} in {fmt(100 * _agreement(d, s), 1)}% of the cells more than half an item from the line.")


def phase_verdict(d, p):
    return verdict_of(_agreement(d, slope(p)) > 0.95)


PHASE = phase_experiment(
    id="phase-R8-weight-vs-n", claims=["C5.R8"], module=__name__, cell="phase_cell", params=phase_params,
    boundary=phase_boundary, finding=phase_finding,
    verdict=phase_verdict, panels=[{"value": "exact", "label": "accuracy of exact coherence argmax (fraction)",
                                    "level": 0.9, "vmin": 0.4, "vmax": 1.0,
                                    "title": f"exact coherence accuracy (eps_t {_P['eps_t']:g} vs eps_w "
                                             f"{_P['eps_w']:g})"}],
    title="Phase diagram R8: prior weight ratio against n -- the truth wins left of n*, the sharp wrong concept "
          "right of it",
    prediction="crossover n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t)) from comparing log w_k + n log(1-eps_k)",
    xlabel="number of contexts n (items)", ylabel="prior weight ratio log(w_t / w_w) (nats)")


# -- the check C5.R8.crossover-n -------------------------------------------------------------------

CHECK_CONDITIONS = ("simulations.regimes.r08_crossover (w_t = 0.9, eps_t = 0.25, w_w = 0.1, eps_w = 0.02, "
                    "maps disagreeing on half the items), its first instance per n on the regime's grid "
                    "of n; measured first n where the argmax is not the truth within 2 grid steps of n*")


def check_result(quick: bool) -> CheckResult:
    """Exact coherence on the first instance at every ``n``: the first ``n`` where the argmax is not
    the truth agrees with :func:`n_star`, and the truth stays lost beyond it."""
    p = params(quick)
    star, ns = n_star(p), p["xs"]
    rows = [[n, c] for n, c, _ in scan(instance, p, zero_shot=False)]
    flags = [c < 1.0 for _, c in rows]
    measured = first_crossing(ns, flags)
    stays = all(f for n, f in zip(ns, flags) if measured is not None and n >= measured)
    ok = boundary_agrees(measured, star, grid_step(ns)) and stays
    return CheckResult(verdict_of(ok), {"predicted_n_star": star, "measured_first_n_wrong": measured,
                                           "wrong_for_all_larger_n": stays, "table_n_coh": rows})
