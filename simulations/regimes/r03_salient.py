"""R3 salient wrong concept: a feature-copying (sycophantic) map with sharper noise than the truth
takes over once ``log w_f + n log(1 - eps_f) > log(1 - w_f) + n log(1 - eps_t)``; coherence then
reproduces its correlated errors (accuracy = the feature's agreement with the truth).

The regime's one home (:mod:`simulations.regimes`): parameters, instances, closed forms, the
figure ``R3-salient-wrong-concept`` and the measurement of the check ``C5.R3.salient-wrong-concept``.
"""
from __future__ import annotations

import math

import numpy as np

from simulations.experiments.base import fmt
from simulations.experiments.regime import first_x, regime_experiment, series
from theory import ConceptMixture
from theory.statistics import first_crossing, rng_for

from simulations.experiments.instance import Instance, map_with_agreement, scan
from proofs_check.verdicts import verdict_of
from .decision_rule import CheckResult, boundary_agrees, grid_step


def params(quick: bool) -> dict:
    """``n`` items, truth noise ``eps_t`` and feature noise ``eps_f`` (flip probabilities), the
    feature's agreement ``agree`` with the truth (fraction of items); the sweep ``xs`` is the
    feature's weight ``w_f`` (probability)."""
    xs = np.round(np.arange(0.01, 0.5, 0.02 if quick else 0.01), 4).tolist()
    return {"n": 12, "eps_t": 0.2, "eps_f": 0.05, "agree": 0.6, "xs": xs, "seeds": list(range(4 if quick else 12))}


def switch(p) -> float:
    """The closed-form switch ``w_f`` (probability): ``w_f/(1-w_f) = exp(n log((1-eps_t)/(1-eps_f)))``."""
    r = math.exp(p["n"] * math.log((1 - p["eps_t"]) / (1 - p["eps_f"])))
    return r / (1 + r)


def instance(p: dict, x: float, seed: int) -> Instance:
    """The truth (weight ``1 - x``) and the feature-copying map (weight ``x``)."""
    rng = rng_for(seed, 3)
    truth = rng.integers(0, 2, p["n"])
    feat = map_with_agreement(rng, truth, p["agree"])
    prior = ConceptMixture(F=np.stack([truth, feat]), eps=[p["eps_t"], p["eps_f"]], w=[1 - x, x])
    return Instance(prior, truth, measures={"feature_agreement": float((feat == truth).mean())})


def boundaries(p):
    return [{"x": switch(p), "label": "predicted switch: log w_f + n log(1-eps_f) = log w_t + n log(1-eps_t)"}]


def curves(p):
    agree = round(p["agree"] * p["n"]) / p["n"]
    s = switch(p)
    return [{"x": p["xs"], "y": [1.0 if x < s else agree for x in p["xs"]],
             "label": "predicted: 1 before the switch, the feature's agreement after"}]


# -- the figure ------------------------------------------------------------------------------------

def finding(d) -> str:
    ex = series(d, "exact")
    m = first_x(d, ex < 0.999)
    after = float(np.nanmean(ex[[j for j, x in enumerate(d["x"]) if x > d["boundaries"][0]["x"] + 0.02]]))
    return (f"The salient feature map takes over at w_f = {fmt(m)} (predicted {fmt(d['boundaries'][0]['x'], 3)}), "
            "after which "
            f"exact coherence scores {fmt(after)}, the feature's agreement with the truth, not the truth.")


def verdict(d) -> str:
    ex = series(d, "exact")
    m = first_x(d, ex < 0.999)
    return verdict_of(boundary_agrees(m, d["boundaries"][0]["x"], grid_step(d["x"])))


EXPERIMENT = regime_experiment(
    id="R3-salient-wrong-concept", claims=["C5.R3"], module=__name__, params=params,
    boundaries=boundaries,
    curves=curves, finding=finding, verdict=verdict,
    title="R3: a salient, sharper wrong concept (sycophancy) overtakes the truth (n = 12, eps_t 0.2, eps_f 0.05)",
    prediction="switch at w_f/(1-w_f) = exp(n log((1-eps_t)/(1-eps_f))); beyond it coherence copies the feature",
    xlabel="weight of the feature-copying concept w_f (probability)")


# -- the check C5.R3.salient-wrong-concept ---------------------------------------------------------

CHECK_CONDITIONS = ("simulations.regimes.r03_salient (n = 12, truth eps 0.2, feature-copying map agreeing with the "
                    "truth on 60% with eps 0.05 and weight w_f), its first instance; measured switch within 2 grid "
                    "steps of the closed form computed from the parameters; beyond it coherence accuracy = the "
                    "feature's agreement")


def check_result(quick: bool) -> CheckResult:
    """The exact decoders on the first instance at every ``w_f``: the measured switch agrees with
    :func:`switch`, and beyond it the accuracy is exactly the feature's agreement."""
    p = params(quick)
    rows = scan(instance, p)
    measured = first_crossing(p["xs"], [c < 1.0 for _, c, _ in rows])
    predicted, step = switch(p), grid_step(p["xs"])
    agree = float(instance(p, p["xs"][0], p["seeds"][0]).measures["feature_agreement"])
    after = [row[1] for row in rows if row[0] > predicted + step]
    ok = boundary_agrees(measured, predicted, step) and all(abs(a - agree) < 1e-9 for a in after)
    return CheckResult(verdict_of(ok), {"predicted_switch_w_f": predicted, "measured_switch_w_f": measured,
                                           "grid_step": step, "feature_agreement": agree,
                                           "table_w_coh_zs": rows[:: max(1, len(rows) // 8)]})
