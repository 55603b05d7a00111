"""R12 consistency constraints that leak the gold partition: items come in groups with exactly one
gold True each, and the constraint 'at most one True per group' is built from that partition.
Under a uniform prior (no knowledge at all) it lifts accuracy from 1/2 to
``((g-1) + g + (g-1)(g-2)) / ((g+1) g)``; report with and without.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r12_leaky_constraints import closed_form, curves, params
from simulations.regimes.verdict import figure_verdict

from .base import fmt
from .regime import measure, regime_experiment, series


def finding(d) -> str:
    ex, none = series(d, "exact"), measure(d, "exact_without_constraint")
    return ("With no knowledge at all, a constraint built from the gold partition lifts exact accuracy from "
            f"{fmt(np.nanmean(none))} to {fmt(np.nanmin(ex))}-{fmt(np.nanmax(ex))}, "
            f"matching the closed form to {np.nanmax(np.abs(ex - [closed_form(g) for g in d['x']])):.0e}.")


def verdict(d) -> str:
    ex, none = series(d, "exact"), measure(d, "exact_without_constraint")
    ok = np.nanmax(np.abs(ex - [closed_form(g) for g in d["x"]])) < 1e-5 and np.nanmax(np.abs(none - 0.5)) < 1e-5
    return figure_verdict(ok)


EXPERIMENT = regime_experiment(
    id="R12-leaky-constraints", claims=["C5.R12"], module="simulations.regimes.r12_leaky_constraints", params=params,
    boundaries=lambda p: [], curves=curves,
    finding=finding, verdict=verdict, measure_lines={"exact_without_constraint": "exact coherence, no constraint"},
    title="R12: 'at most one True per group' built from the gold partition inflates accuracy under a uniform prior "
          "(3 groups)",
    prediction="leaky constraints inflate accuracy with no knowledge: ((g-1)+g+(g-1)(g-2))/((g+1)g) instead of 1/2",
    ylabel="accuracy on all items", xlabel="group size g (items per group, one gold True each)")
