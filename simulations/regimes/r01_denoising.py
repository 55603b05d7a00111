"""R1 success by denoising: the model knows the truth (concept ``t``, noise ``eps_t``, weight
``w_t``) but its zero-shot answers are blurred by many weak unrelated concepts (``R`` random
maps, noise ``eps_r``, weight ``(1 - w_t)/R`` each). The truth is the most coherent map once

    log w_t + n log(1 - eps_t) > log((1 - w_t)/R) + n log(1 - eps_r),

i.e. ``w_t > r/(1+r)`` with ``r = R^-1 exp(n log((1-eps_r)/(1-eps_t)))``; there coherence
optimisation recovers the truth while zero-shot stays noisy.

The regime's one home (:mod:`simulations.regimes`): parameters, instances, closed form, the
figure ``R1-denoising`` and the measurement of the check ``C5.R1.denoising``.
"""
from __future__ import annotations

import math

import numpy as np

from simulations.experiments.base import fmt
from simulations.experiments.regime import first_x, regime_experiment, series
from theory import ConceptMixture
from theory.statistics import first_crossing, rng_for

from simulations.experiments.instance import Instance, scan
from proofs_check.verdicts import verdict_of
from .decision_rule import CheckResult, boundary_agrees, grid_step


def params(quick: bool) -> dict:
    """``n`` items, truth noise ``eps_t`` and random-map noise ``eps_r`` (flip probabilities per
    item), ``n_random`` random maps; the sweep ``xs`` is the truth's weight ``w_t`` (probability)."""
    xs = np.round(np.arange(0.02, 0.41, 0.02 if quick else 0.01), 4).tolist()
    return {"n": 12, "eps_t": 0.15, "eps_r": 0.05, "n_random": 30, "xs": xs,
            "seeds": list(range(4 if quick else 12))}


def switch(p: dict) -> float:
    """The closed-form switch ``w_t = r/(1+r)`` (probability) of the module docstring."""
    r = math.exp(p["n"] * math.log((1 - p["eps_r"]) / (1 - p["eps_t"]))) / p["n_random"]
    return r / (1 + r)


def instance(p: dict, x: float, seed: int) -> Instance:
    """The truth (weight ``x``) among ``n_random`` random maps sharing ``1 - x``."""
    rng = rng_for(seed, 1)
    n, R = p["n"], p["n_random"]
    truth = rng.integers(0, 2, n)
    F = np.vstack([truth, rng.integers(0, 2, (R, n))])
    prior = ConceptMixture(F=F, eps=np.r_[p["eps_t"], np.full(R, p["eps_r"])], w=np.r_[x, np.full(R, (1 - x) / R)])
    return Instance(prior, truth)


def boundaries(p):
    return [{"x": switch(p), "label": "predicted switch: log w_t + n log(1-eps_t) = best other"}]


# -- the figure ------------------------------------------------------------------------------------

def finding(d) -> str:
    ex, zs = series(d, "exact"), series(d, "zero-shot")
    measured = first_x(d, ex >= 0.999)
    above = [j for j, x in enumerate(d["x"]) if x > d["boundaries"][0]["x"]]
    gain = float(np.nanmean(ex[above] - zs[above])) if above else None
    return (f"Exact coherence optimisation recovers the truth from w_t = {fmt(measured)} (predicted "
            f"{fmt(d['boundaries'][0]['x'], 3)}) and above the switch beats zero-shot by {fmt(gain)} accuracy "
            "on average.")


def verdict(d) -> str:
    ex, zs = series(d, "exact"), series(d, "zero-shot")
    measured = first_x(d, ex >= 0.999)
    b = d["boundaries"][0]["x"]
    step = grid_step(d["x"])
    above = [j for j, x in enumerate(d["x"]) if x > b + 2 * step]
    ok = (boundary_agrees(measured, b, step) and bool(above)
          and np.all(ex[above] >= zs[above]) and np.mean(ex[above] - zs[above]) > 0)
    return verdict_of(ok)


EXPERIMENT = regime_experiment(
    id="R1-denoising", claims=["C5.R1"], module=__name__, params=params,
    boundaries=boundaries,
    title="R1: coherence denoises a model that knows the truth (n = 12, 30 weak random concepts)",
    prediction="coherence beats zero-shot once log w_t + n log(1-eps_t) exceeds every other concept's score",
    finding=finding, verdict=verdict, xlabel="weight of the true concept w_t (probability)")


# -- the check C5.R1.denoising ---------------------------------------------------------------------

CHECK_CONDITIONS = ("simulations.regimes.r01_denoising (n = 12, truth eps 0.15 with weight w_t, 30 random concepts "
                    "eps 0.05 sharing 1 - w_t), its first instance; measured switch (smallest w_t on the regime's "
                    "grid where the argmax is the truth) within 2 grid steps of the closed form "
                    "(simulations.regimes.decision_rule)")


def check_result(quick: bool) -> CheckResult:
    """The exact decoders on the first instance at every ``w_t``: the measured switch agrees with
    :func:`switch`, and above it coherence is never below zero-shot and above it somewhere."""
    p = params(quick)
    rows = scan(instance, p)
    measured = first_crossing(p["xs"], [c == 1.0 for _, c, _ in rows])
    predicted, step = switch(p), grid_step(p["xs"])
    above = [row for row in rows if row[0] >= predicted + 2 * step]
    beats = all(c >= z for _, c, z in above) and any(c > z for _, c, z in above)
    ok = boundary_agrees(measured, predicted, step) and beats
    return CheckResult(verdict_of(ok),
                       {"predicted_switch_w_t": predicted, "measured_switch_w_t": measured, "grid_step": step,
                        "coherence_beats_zero_shot_above_switch": beats,
                        "example_above": above[:1], "table_w_coh_zs": rows[:: max(1, len(rows) // 8)]})
