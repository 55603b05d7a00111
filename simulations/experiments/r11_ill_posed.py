"""R11 ill-posed items: two personas agree on most items and disagree on the ill-posed ones, and
the truth is itself drawn from the prior, so on ill-posed items it is a coin flip. Coherence still
forces confident answers: the leave-one-out confidence at the most coherent map is about
``1 - eps`` while the expected accuracy there is 1/2.
"""
from __future__ import annotations

import numpy as np

from simulations.regimes.r11_ill_posed import curves, params
from simulations.regimes.verdict import figure_verdict

from .base import fmt
from .regime import measure, regime_experiment, series


def finding(d) -> str:
    ex, conf = series(d, "exact"), measure(d, "loo_confidence")
    many = [j for j, x in enumerate(d["x"]) if x >= 2]
    return (f"On ill-posed items exact coherence is {fmt(np.nanmean(ex))} accurate on average, yet with 2 or more "
            f"of them its answers carry leave-one-out confidence {fmt(np.nanmean(conf[many]))} "
            f"(closed form 1 - eps = {fmt(d['predicted_curves'][0]['y'][-1])}).")


def verdict(d) -> str:
    ex, conf = series(d, "exact"), measure(d, "loo_confidence")
    many = [j for j, x in enumerate(d["x"]) if x >= 2]
    pred = np.array(d["predicted_curves"][0]["y"])
    ok = np.nanmax(np.abs(conf - pred)) < 1e-3 and np.nanmean(conf[many]) > 0.9 and abs(np.nanmean(ex) - 0.5) < 0.15
    return figure_verdict(ok)


EXPERIMENT = regime_experiment(
    id="R11-ill-posed", claims=["C5.R11"], module="simulations.regimes.r11_ill_posed", params=params,
    boundaries=lambda p: [], curves=curves,
    finding=finding, verdict=verdict,
    measure_lines={"loo_confidence": "LOO confidence at the coherence argmax",
                   "zero_shot_confidence": "zero-shot confidence"},
    title="R11: ill-posed items (the truth is a coin flip there) still get confident answers (n = 12, eps 0.05)",
    prediction="coherence forces confident answers (confidence ~ 1 - eps) with expected accuracy 1/2 on ill-posed "
               "items",
    ylabel="accuracy or confidence on ill-posed items", xlabel="number of ill-posed items (items)")
