"""R8 small versus large n: prior weight against sharpness. A heavy noisy truth (``w_t``,
``eps_t``) is the most coherent map for small ``n``; a light sharp wrong concept (``w_w``,
``eps_w``) wins for large ``n``; the crossover is ``n* = log(w_t/w_w) / log((1-eps_w)/(1-eps_t))``.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r08_crossover import boundaries, params
from simulations.regimes.verdict import boundary_agrees, figure_verdict, grid_step

from .base import fmt
from .regime import first_x, regime_experiment, series


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
    return figure_verdict(ok)


EXPERIMENT = regime_experiment(
    id="R8-crossover-n", claims=["C5.R8"], module="simulations.regimes.r08_crossover", params=params,
    boundaries=boundaries,
    finding=finding, verdict=verdict,
    title="R8: prior weight vs sharpness -- heavy noisy truth (w 0.9, eps 0.25) vs light sharp wrong concept "
          "(w 0.1, eps 0.02)",
    prediction="the truth wins below n* = log(w_t/w_w)/log((1-eps_w)/(1-eps_t)), the sharp wrong concept above",
    xlabel="number of contexts n (items)")
