"""R2 label-flip symmetry: a prior with ``Coh(pi) = Coh(1 - pi)`` (truth and negation, and a
second map and its negation, with equal weights and noise) makes the truth and its negation
exactly tied, so unlabelled accuracy is 1/2 on average; one label breaks the tie.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r02_symmetry import curves, params
from simulations.regimes.verdict import figure_verdict

from .base import fmt
from .regime import regime_experiment, series


def finding(d) -> str:
    ex = series(d, "exact")
    gap = float(np.nanmax([r["mean"] for r in d["measures"]["tie_gap_nats"]]))
    return (f"Truth and negation are tied (largest |Coh(truth) - Coh(negation)| = {gap:.1e} nats), so exact coherence "
            f"scores {fmt(ex[0])} without labels and at least {fmt(np.nanmin(ex[1:]))} with one or more labels.")


def verdict(d) -> str:
    ex = series(d, "exact")
    ok = abs(ex[0] - 0.5) < 1e-9 and np.all(ex[1:] > 0.99)
    return figure_verdict(ok)


EXPERIMENT = regime_experiment(
    id="R2-symmetry", claims=["C5.R2"], module="simulations.regimes.r02_symmetry", params=params,
    boundaries=lambda p: [], curves=curves,
    title="R2: flip symmetry -- truth and negation tie without labels; one label breaks the tie (n = 10)",
    prediction="unlabelled accuracy exactly 1/2 under a flip-symmetric prior; a few labels break the tie",
    finding=finding, verdict=verdict, xlabel="number of gold labels m (items)")
