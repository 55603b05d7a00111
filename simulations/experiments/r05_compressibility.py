"""R5 compressibility bias: a sharp wrong concept (noise ``eps_w``, weight ``w_w``) beats a noisy
right one (``eps_t``, ``w_t``) once ``log w_t + n log(1 - eps_t) < log w_w + n log(1 - eps_w)``.
Zero-shot follows the per-item vote ``w_t (1 - 2 eps_t)`` vs ``w_w (1 - 2 eps_w)`` instead, so
between the two switches coherence is worse than zero-shot.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r05_compressibility import boundaries, params
from simulations.regimes.verdict import boundary_agrees, figure_verdict, grid_step

from .base import fmt
from .regime import first_x, regime_experiment, series


def _window(d):
    c, z = d["boundaries"][0]["x"], d["boundaries"][1]["x"]
    return [j for j, x in enumerate(d["x"]) if c + 0.01 < x < z - 0.01]


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
    return figure_verdict(ok)


EXPERIMENT = regime_experiment(
    id="R5-compressibility-bias", claims=["C5.R5"], module="simulations.regimes.r05_compressibility", params=params,
    boundaries=boundaries,
    finding=finding, verdict=verdict,
    title="R5: compressibility bias -- a sharp wrong concept beats a noisy right one (n = 12, w_t 0.7, eps_w 0.02)",
    prediction="switch where log w_t + n log(1-eps_t) = log w_w + n log(1-eps_w); a window where coherence is worse "
               "than zero-shot",
    xlabel="noise of the true concept eps_t (flip probability per item)")
