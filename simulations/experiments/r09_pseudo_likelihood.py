"""R9 pseudo-likelihood versus joint coherence: with a heavy noisy truth (``w_t``, ``eps_t``) and a
light but sharp negation (``w_n``, ``eps_n``), joint coherence picks the truth while
log w_t/w_n > n log((1-eps_n)/(1-eps_t)), but ICM's pseudo-likelihood (and the released code's
signed log-odds) prefer the internally sharper negation as soon as ``eps_n < eps_t``.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r09_pseudo_likelihood import boundaries, params
from simulations.regimes.verdict import figure_verdict

from .base import fmt
from .regime import measure, regime_experiment, series


def finding(d) -> str:
    ex, pl = series(d, "exact"), measure(d, "pl_argmax")
    below = [j for j, x in enumerate(d["x"]) if x < d["boundaries"][0]["x"]]
    icm = series(d, "icm-paper")
    return (f"For eps_n < eps_t = {fmt(d['boundaries'][0]['x'])} the exact PL argmax scores "
            f"{fmt(np.nanmean(pl[below]))} (the negation) while joint coherence scores {fmt(np.nanmean(ex[below]))}; "
            f"ICM (paper) reaches {fmt(np.nanmean(icm[below]))} there.")


def verdict(d) -> str:
    ex, pl, sl = series(d, "exact"), measure(d, "pl_argmax"), measure(d, "signed_logodds_argmax")
    below = [j for j, x in enumerate(d["x"]) if x < d["boundaries"][0]["x"] - 0.01]
    above = [j for j, x in enumerate(d["x"]) if x > d["boundaries"][0]["x"] + 0.01]
    ok = np.all(ex > 0.999) and np.all(pl[below] < 1e-9) and np.all(sl[below] < 1e-9) and np.all(pl[above] > 0.999)
    return figure_verdict(ok)


EXPERIMENT = regime_experiment(
    id="R9-pseudo-likelihood", claims=["C5.R9"], module="simulations.regimes.r09_pseudo_likelihood", params=params,
    boundaries=boundaries,
    finding=finding, verdict=verdict,
    measure_lines={"pl_argmax": "exact argmax of pseudo-likelihood",
                   "signed_logodds_argmax": "exact argmax of signed log-odds"},
    title="R9: ICM's pseudo-likelihood prefers a light but sharp negation that joint coherence rejects "
          "(n = 10, w_t 0.95, eps_t 0.2)",
    prediction="joint coherence picks the truth; PL and signed log-odds pick the negation whenever eps_n < eps_t",
    xlabel="noise of the negation concept eps_n (flip probability per item)")
