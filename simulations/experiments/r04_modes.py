"""R4 competing wrong modes: three sharp wrong concepts, each the truth with a different third of
the items flipped, make the truth their per-item consensus but not the mode. Joint coherence
(accuracy 2/3) loses to per-item zero-shot (accuracy 1) until
``log w_t + n log(1 - eps_t) > log((1 - w_t)/3) + n log(1 - eps_w)``.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r04_modes import boundaries, curves, params
from simulations.regimes.verdict import boundary_agrees, figure_verdict, grid_step

from .base import fmt
from .regime import first_x, regime_experiment, series


def finding(d) -> str:
    ex, zs = series(d, "exact"), series(d, "zero-shot")
    m = first_x(d, ex >= 0.999)
    below = [j for j, x in enumerate(d["x"]) if x < d["boundaries"][0]["x"]]
    return (f"Below w_t = {fmt(d['boundaries'][0]['x'], 3)} exact coherence scores {fmt(np.nanmean(ex[below]))} "
            "while zero-shot "
            f"scores {fmt(np.nanmean(zs[below]))}; coherence recovers the truth from w_t = {fmt(m)}.")


def verdict(d) -> str:
    ex, zs = series(d, "exact"), series(d, "zero-shot")
    m = first_x(d, ex >= 0.999)
    step = grid_step(d["x"])
    below = [j for j, x in enumerate(d["x"]) if x < d["boundaries"][0]["x"] - step]
    ok = boundary_agrees(m, d["boundaries"][0]["x"], step) and np.all(ex[below] < zs[below])
    return figure_verdict(ok)


EXPERIMENT = regime_experiment(
    id="R4-competing-modes", claims=["C5.R4"], module="simulations.regimes.r04_modes", params=params,
    boundaries=boundaries, curves=curves,
    finding=finding, verdict=verdict,
    title="R4: the truth is the consensus of three sharp wrong modes but not the mode (n = 12)",
    prediction="joint coherence (2/3) loses to per-item zero-shot (1) until the truth's score beats each wrong mode's",
    xlabel="weight of the true concept w_t (probability)")
