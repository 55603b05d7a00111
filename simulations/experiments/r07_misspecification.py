"""R7 truth outside the prior's support: the prior holds the truth with a quarter of its items
flipped and a random map, never the truth itself. Labels then only choose among wrong concepts:
accuracy on unlabelled items never exceeds the best concept's agreement with the truth (3/4).
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r07_misspecification import params
from simulations.regimes.verdict import figure_verdict

from .base import fmt
from .regime import regime_experiment, series


def finding(d) -> str:
    ex = series(d, "exact")
    bound = np.array([r["mean"] for r in d["measures"]["best_concept_agreement"]])
    excess = max(float(np.nanmax(series(d, m) - bound)) for m in d["accuracy"])
    return (f"With the truth outside the support exact coherence stays at {fmt(np.nanmin(ex))}-{fmt(np.nanmax(ex))} "
            f"for 0 to {d['x'][-1]} labels, below the best in-support concept's agreement "
            f"({fmt(np.nanmin(bound))}-{fmt(np.nanmax(bound))}); "
            f"the best method exceeds that bound by at most {fmt(excess)}.")


def verdict(d) -> str:
    ex = series(d, "exact")
    bound = np.array([r["mean"] for r in d["measures"]["best_concept_agreement"]])
    return figure_verdict(np.all(ex <= bound + 1e-9) and np.all(ex < 1))


EXPERIMENT = regime_experiment(
    id="R7-misspecification", claims=["C5.R7"], module="simulations.regimes.r07_misspecification", params=params,
    boundaries=lambda p: [],
    finding=finding, verdict=verdict, measure_lines={"best_concept_agreement": "bound: best concept's agreement"},
    title="R7: truth outside the prior's support -- labels only choose among wrong concepts (n = 12)",
    prediction="no amount of unlabelled coherence helps: accuracy <= best in-support concept's agreement with "
               "the truth",
    xlabel="number of gold labels m (items)")
