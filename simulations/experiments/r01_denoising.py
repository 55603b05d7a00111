"""R1 success by denoising: the model knows the truth (concept ``t``, noise ``eps_t``, weight
``w_t``) but its zero-shot answers are blurred by many weak unrelated concepts (``R`` random
maps, noise ``eps_r``, weight ``(1 - w_t)/R`` each). The truth is the most coherent map once

    log w_t + n log(1 - eps_t) > log((1 - w_t)/R) + n log(1 - eps_r),

i.e. ``w_t > r/(1+r)`` with ``r = R^-1 exp(n log((1-eps_r)/(1-eps_t)))``; there coherence
optimisation recovers the truth while zero-shot stays noisy.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r01_denoising import boundaries, params
from simulations.regimes.verdict import boundary_agrees, figure_verdict, grid_step

from .base import fmt
from .regime import first_x, regime_experiment, series


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
    return figure_verdict(ok)


EXPERIMENT = regime_experiment(
    id="R1-denoising", claims=["C5.R1"], module="simulations.regimes.r01_denoising", params=params,
    boundaries=boundaries,
    title="R1: coherence denoises a model that knows the truth (n = 12, 30 weak random concepts)",
    prediction="coherence beats zero-shot once log w_t + n log(1-eps_t) exceeds every other concept's score",
    finding=finding, verdict=verdict, xlabel="weight of the true concept w_t (probability)")
