"""R6 degenerate constant labelings: under an entropy-minimising Beta-Bernoulli prior the most
coherent labelings are the two constants, so unlabelled accuracy is exactly 1/2 whatever the
class balance, and with two labels of the majority class it equals the class balance of the
unlabelled items: never better than the constant baseline.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r06_degenerate import curves, params
from simulations.regimes.verdict import figure_verdict

from .base import fmt
from .regime import regime_experiment, series


def finding(d) -> str:
    ex = series(d, "exact")
    bal = np.array([r["mean"] for r in d["measures"]["majority_rate_unlabelled"]])
    unl = np.array([r["mean"] for r in d["measures"]["exact_without_labels"]])
    return (f"The argmax is a constant labelling: without labels exact coherence scores {fmt(np.nanmean(unl))} "
            "at every class balance, and with 2 majority labels it scores exactly the class balance "
            f"(largest deviation {np.nanmax(np.abs(ex - bal)):.1e}).")


def verdict(d) -> str:
    ex = series(d, "exact")
    bal = np.array([r["mean"] for r in d["measures"]["majority_rate_unlabelled"]])
    unl = np.array([r["mean"] for r in d["measures"]["exact_without_labels"]])
    return figure_verdict(np.nanmax(np.abs(ex - bal)) < 1e-5 and np.nanmax(np.abs(unl - 0.5)) < 1e-5)


EXPERIMENT = regime_experiment(
    id="R6-degenerate-constant", claims=["C5.R6"], module="simulations.regimes.r06_degenerate", params=params,
    boundaries=lambda p: [],
    curves=curves, finding=finding, verdict=verdict,
    measure_lines={"exact_without_labels": "exact coherence, no labels"},
    title="R6: an entropy-minimising (Beta-Bernoulli) prior prefers the constant labelings (n = 12, 2 majority labels)",
    prediction="unlabelled accuracy 1/2; with majority labels exactly the class balance (never above the constant "
               "baseline)",
    xlabel="class balance: fraction of the majority class in the truth")
