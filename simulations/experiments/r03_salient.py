"""R3 salient wrong concept: a feature-copying (sycophantic) map with sharper noise than the truth
takes over once ``log w_f + n log(1 - eps_f) > log(1 - w_f) + n log(1 - eps_t)``; coherence then
reproduces its correlated errors (accuracy = the feature's agreement with the truth).
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r03_salient import boundaries, curves, params
from simulations.regimes.verdict import boundary_agrees, figure_verdict, grid_step

from .base import fmt
from .regime import first_x, regime_experiment, series


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
    return figure_verdict(boundary_agrees(m, d["boundaries"][0]["x"], grid_step(d["x"])))


EXPERIMENT = regime_experiment(
    id="R3-salient-wrong-concept", claims=["C5.R3"], module="simulations.regimes.r03_salient", params=params,
    boundaries=boundaries,
    curves=curves, finding=finding, verdict=verdict,
    title="R3: a salient, sharper wrong concept (sycophancy) overtakes the truth (n = 12, eps_t 0.2, eps_f 0.05)",
    prediction="switch at w_f/(1-w_f) = exp(n log((1-eps_t)/(1-eps_f))); beyond it coherence copies the feature",
    xlabel="weight of the feature-copying concept w_f (probability)")
