"""R5 compressibility bias: a sharp wrong concept (noise ``eps_w``, weight ``w_w``) beats a noisy
right one (``eps_t``, ``w_t``) once ``log w_t + n log(1 - eps_t) < log w_w + n log(1 - eps_w)``.
Zero-shot follows the per-item vote ``w_t (1 - 2 eps_t)`` vs ``w_w (1 - 2 eps_w)`` instead, so
between the two switches coherence is worse than zero-shot.

The regime's one home (:mod:`simulations.regimes`): parameters, instances, the closed forms
(:func:`coherence_score`, :func:`tie_noise`, :func:`vote_tie_noise`, the window rule
:func:`in_window`), the figures ``R5-compressibility-bias`` (a sweep of ``eps_t``) and
``phase-R5-noise-vs-noise`` (``eps_t`` against ``eps_w``), and the measurement of the check
``C5.R5.compressibility-bias``. Noises are flip probabilities per item, weights probabilities,
scores nats.
"""
from __future__ import annotations

import math

import numpy as np

from simulations.accuracy import Enumerated, zero_shot_accuracy
from simulations.experiments.base import fmt
from simulations.experiments.phase import grid, phase_experiment
from simulations.experiments.regime import first_x, regime_experiment, series
from theory.statistics import first_crossing, rng_for

from simulations.experiments.instance import Instance, scan, truth_and_wrong
from proofs_check.verdicts import verdict_of
from .decision_rule import CheckResult, boundary_agrees, grid_step

#: fraction of the items on which the wrong concept agrees with the truth
AGREE = 0.5
#: distance (flip probability) kept from each switch when reading the window between them
WINDOW_MARGIN = 0.01


def params(quick: bool) -> dict:
    """``n`` items, weights ``w_t``, ``w_w`` (probabilities), the wrong concept's noise ``eps_w``,
    its agreement ``agree`` with the truth (fraction of items); the sweep ``xs`` is ``eps_t``."""
    xs = np.round(np.arange(0.01, 0.45, 0.01 if quick else 0.005), 5).tolist()
    return {"n": 12, "w_t": 0.7, "w_w": 0.3, "eps_w": 0.02, "agree": AGREE, "xs": xs,
            "seeds": list(range(4 if quick else 12))}


def coherence_score(n: int, w: float, eps):
    """``log w + n log(1 - eps)`` (nats): a concept's score against the map it encodes."""
    return math.log(w) + n * np.log(1 - eps)


def tie_noise(n: int, w_a: float, w_b: float, eps_b):
    """The noise ``eps_a`` at which concept ``a`` (weight ``w_a``) ties concept ``b`` (``w_b``,
    ``eps_b``) in :func:`coherence_score`; ``a`` is the more coherent below it."""
    return 1 - np.exp((math.log(w_b / w_a) + n * np.log(1 - eps_b)) / n)


def vote_tie_noise(w_a: float, w_b: float, eps_b):
    """The noise ``eps_a`` at which the zero-shot vote ``w_a (1 - 2 eps_a)`` ties ``w_b (1 - 2 eps_b)``."""
    return (1 - w_b * (1 - 2 * eps_b) / w_a) / 2


def switches(p) -> tuple:
    """``(coherence switch, zero-shot switch)``: the ``eps_t`` at which the truth stops being the
    most coherent concept, and the zero-shot vote's."""
    return float(tie_noise(p["n"], p["w_t"], p["w_w"], p["eps_w"])), vote_tie_noise(p["w_t"], p["w_w"], p["eps_w"])


def in_window(x: float, switch: float, zs_switch: float) -> bool:
    """``x`` lies between the coherence switch and the zero-shot switch, :data:`WINDOW_MARGIN` clear
    of both: where coherence is predicted worse than zero-shot."""
    return switch + WINDOW_MARGIN < x < zs_switch - WINDOW_MARGIN


def instance(p: dict, x: float, seed: int) -> Instance:
    """The truth at noise ``eps_t = x`` beside the sharp wrong concept."""
    prior, truth = truth_and_wrong(rng_for(seed, 5), p["n"], p["agree"], [x, p["eps_w"]], [p["w_t"], p["w_w"]])
    return Instance(prior, truth)


def boundaries(p):
    c, z = switches(p)
    return [{"x": c, "label": "predicted coherence switch: log w_t + n log(1-eps_t) = log w_w + n log(1-eps_w)"},
            {"x": z, "label": "predicted zero-shot switch: w_t(1-2 eps_t) = w_w(1-2 eps_w)", "colour": "#E69F00"}]


# -- the figure R5-compressibility-bias -------------------------------------------------------------

def _window(d):
    c, z = d["boundaries"][0]["x"], d["boundaries"][1]["x"]
    return [j for j, x in enumerate(d["x"]) if in_window(x, c, z)]


def finding(d) -> str:
    ex, zs = series(d, "exact"), series(d, "zero-shot")
    m = first_x(d, ex < 0.999)
    w = _window(d)
    return (f"Coherence abandons the truth at eps_t = {fmt(m, 3)} (predicted {fmt(d['boundaries'][0]['x'], 3)}); "
            f"in the window up to eps_t = {fmt(d['boundaries'][1]['x'], 3)} it scores {fmt(np.nanmean(ex[w]))} "
            f"against zero-shot's {fmt(np.nanmean(zs[w]))}.")


def verdict(d) -> str:
    ex, zs = series(d, "exact"), series(d, "zero-shot")
    m, mz = first_x(d, ex < 0.999), first_x(d, zs < 0.999)
    step = grid_step(d["x"])
    w = _window(d)
    ok = (boundary_agrees(m, d["boundaries"][0]["x"], step) and boundary_agrees(mz, d["boundaries"][1]["x"], step)
          and bool(w) and np.all(ex[w] < zs[w]))
    return verdict_of(ok)


_P = params(True)
EXPERIMENT = regime_experiment(
    id="R5-compressibility-bias", claims=["C5.R5"], module=__name__, params=params,
    boundaries=boundaries,
    finding=finding, verdict=verdict,
    title=f"R5: compressibility bias -- a sharp wrong concept beats a noisy right one (n = {_P['n']}, "
          f"w_t {_P['w_t']:g}, eps_w {_P['eps_w']:g})",
    prediction="switch where log w_t + n log(1-eps_t) = log w_w + n log(1-eps_w); a window where coherence is worse "
               "than zero-shot",
    xlabel="noise of the true concept eps_t (flip probability per item)")


# -- the phase diagram phase-R5-noise-vs-noise -------------------------------------------------------

def phase_params(quick: bool) -> dict:
    """The regime's ``n``, ``w_t``, ``w_w``; ``xs`` is ``eps_t``, ``ys`` is ``eps_w`` (flip probabilities)."""
    p = params(quick)
    step = 0.04 if quick else 0.02
    g = np.round(np.arange(0.01, 0.46, step), 3).tolist()
    return {"n": p["n"], "w_t": p["w_t"], "w_w": p["w_w"], "xs": g, "ys": g, "seeds": list(range(2 if quick else 4))}


def phase_cell(p, x, y, seed):
    """Exact coherence accuracy and its difference with zero-shot at ``eps_t = x``, ``eps_w = y``."""
    n = p["n"]
    prior, truth = truth_and_wrong(rng_for(seed, 51), n, AGREE, [x, y], [p["w_t"], p["w_w"]])
    items = np.arange(n)
    ex = Enumerated(prior).accuracy(truth, items)
    return {"exact": ex, "exact_minus_zero_shot": ex - zero_shot_accuracy(prior, truth, items)}


def phase_boundary(p):
    """Both switches as curves ``eps_w(eps_t)`` inside the open square ``(0, 1/2)^2``."""
    et = np.linspace(p["xs"][0], p["xs"][-1], 200)
    c, z = tie_noise(p["n"], p["w_w"], p["w_t"], et), vote_tie_noise(p["w_w"], p["w_t"], et)
    ok_c, ok_z = (c > 0) & (c < 0.5), (z > 0) & (z < 0.5)
    return [{"x": et[ok_c].tolist(), "y": c[ok_c].tolist(),
             "label": "predicted coherence switch (log w + n log(1-eps) equal)", "panels": [0, 1]},
            {"x": et[ok_z].tolist(), "y": z[ok_z].tolist(), "label": "predicted zero-shot switch (w(1-2 eps) equal)",
             "colour": "#56B4E9", "panels": [0, 1]}]


def _agreement(d, p):
    """Fraction of the cells more than 0.3 nats from the coherence switch where exact coherence
    keeps the truth exactly on the truth's side of it."""
    Z = grid(d, "exact")
    X, Y = np.meshgrid(d["x"], d["y"])
    margin = coherence_score(p["n"], p["w_t"], X) - coherence_score(p["n"], p["w_w"], Y)
    clear = np.abs(margin) > 0.3
    return float(np.mean(((Z > 0.999) == (margin > 0))[clear]))


def phase_finding(d, p):
    a = _agreement(d, p)
    D = grid(d, "exact_minus_zero_shot")
    return ("Exact coherence keeps the truth exactly on the predicted side of "
            "log w_t + n log(1-eps_t) = log w_w + n log(1-eps_w) "
            f"in {fmt(100 * a, 1)}% of clear cells, and is worse than zero-shot in "
            f"{fmt(100 * np.mean(D < -1e-9), 1)}% of the grid "
            f"(the window between the two predicted curves), by up to {fmt(-D.min())}.")


def phase_verdict(d, p):
    return verdict_of(_agreement(d, p) > 0.95 and np.mean(grid(d, "exact_minus_zero_shot") < -1e-9) > 0)


PHASE = phase_experiment(
    id="phase-R5-noise-vs-noise", claims=["C5.R5"], module=__name__, cell="phase_cell", params=phase_params,
    boundary=phase_boundary, finding=phase_finding, verdict=phase_verdict,
    panels=[{"value": "exact", "label": "accuracy of exact coherence argmax (fraction)", "level": 0.75, "vmin": 0.4,
             "vmax": 1.0, "title": "exact coherence accuracy"},
            {"value": "exact_minus_zero_shot", "label": "exact coherence minus zero-shot accuracy", "level": -0.25,
             "vmin": -0.6, "vmax": 0.6, "cmap": "PuOr",
             "title": "coherence minus zero-shot (negative = coherence worse)"}],
    title=f"Phase diagram R5: noise of the truth against noise of the wrong concept (w_t {_P['w_t']:g}, "
          f"w_w {_P['w_w']:g}, n = {_P['n']})",
    prediction="the switch follows log w_t + n log(1-eps_t) = log w_w + n log(1-eps_w); coherence is worse than "
               "zero-shot between that curve and w_t(1-2eps_t) = w_w(1-2eps_w)",
    xlabel="noise of the true concept eps_t (flip probability)",
    ylabel="noise of the wrong concept eps_w (flip probability)")


# -- the check C5.R5.compressibility-bias -----------------------------------------------------------

CHECK_CONDITIONS = ("simulations.regimes.r05_compressibility (n = 12, truth weight 0.7 with noise eps_t scanned, "
                    "wrong concept weight 0.3, eps 0.02, disagreeing on half the items), its first instance; both "
                    "measured boundaries within 2 grid steps of the closed forms")


def check_result(quick: bool) -> CheckResult:
    """The exact decoders on the first instance at every ``eps_t``: both measured switches agree
    with :func:`switches`, and inside the window (:func:`in_window`) coherence loses to zero-shot."""
    p = params(quick)
    rows = scan(instance, p)
    switch, zs_switch = switches(p)
    step = grid_step(p["xs"])
    m_switch = first_crossing(p["xs"], [c < 1.0 for _, c, _ in rows])
    m_zs = first_crossing(p["xs"], [z < 1.0 for _, _, z in rows])
    window = [row for row in rows if in_window(row[0], switch, zs_switch)]
    worse = bool(window) and all(c < z for _, c, z in window)
    ok = boundary_agrees(m_switch, switch, step) and boundary_agrees(m_zs, zs_switch, step) and worse
    return CheckResult(verdict_of(ok),
                       {"predicted_switch_eps_t": switch, "measured_switch_eps_t": m_switch,
                        "predicted_zero_shot_switch_eps_t": zs_switch, "measured_zero_shot_switch_eps_t": m_zs,
                        "grid_step": step, "window_coherence_worse": worse, "window_points": len(window),
                        "table_eps_coh_zs": rows[:: max(1, len(rows) // 10)]})
