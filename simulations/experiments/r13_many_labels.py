"""R13 many labels: with the truth drawn from the prior, the gain of coherence + labels over plain
supervised fitting (the labels, zero-shot elsewhere) shrinks as labels accumulate and is exactly
0 once every item is labelled.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r13_many_labels import params
from simulations.regimes.verdict import figure_verdict

from .base import fmt
from .regime import regime_experiment, series


def _gain(d):
    return series(d, "exact") - series(d, "supervised")


def finding(d) -> str:
    g = _gain(d)
    top = int(np.nanargmax(g))
    return (f"The accuracy gain of exact coherence + labels over supervised fitting peaks at {fmt(g[top])} "
            f"with {d['x'][top]} "
            f"label(s) and falls to {fmt(g[-1])} with {d['x'][-1]} labels (all items labelled).")


def verdict(d) -> str:
    g = _gain(d)
    top = int(np.nanargmax(g))
    return figure_verdict(abs(g[-1]) < 1e-9 and g[top] > 0 and np.all(np.diff(g[top:]) <= 0.03))


EXPERIMENT = regime_experiment(
    id="R13-many-labels", claims=["C5.R13"], module="simulations.regimes.r13_many_labels", params=params,
    boundaries=lambda p: [],
    finding=finding, verdict=verdict,
    title="R13: with many labels the regularizer's value shrinks (truth drawn from a 4-concept prior, n = 10)",
    prediction="the gain of coherence over plain supervised fitting falls with m and is 0 at m = n (with no labels the "
               "per-item zero-shot marginal is already Bayes-optimal per item when pi* ~ P*)",
    ylabel="accuracy on all items", xlabel="number of gold labels m (items)")
