"""R11 ill-posed items: two personas agree on most items and disagree on the ill-posed ones, and
the truth is itself drawn from the prior, so on ill-posed items it is a coin flip. Coherence still
forces confident answers: the leave-one-out confidence at the most coherent map is about
``1 - eps`` while the expected accuracy there is 1/2.

The regime's one home (:mod:`simulations.regimes`): parameters, instances, the closed form, the
figure ``R11-ill-posed`` and the measurement of the check ``C5.R11.ill-posed-items``. Confidences
and accuracies are fractions, ``eps`` a flip probability per item.
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated
from simulations.experiments.base import fmt
from simulations.experiments.regime import measure, regime_experiment, series
from theory import ConceptMixture
from theory.decoders import tie_set
from theory.statistics import rng_for

from simulations.experiments.instance import Instance
from proofs_check.verdicts import verdict_of
from .decision_rule import CheckResult


def params(quick: bool) -> dict:
    """``n`` items, persona noise ``eps`` (flip probability); the sweep ``xs`` is the number of
    ill-posed items."""
    return {"n": 12, "eps": 0.05, "xs": [1, 2, 3, 4, 5, 6], "seeds": list(range(8 if quick else 24))}


def instance(p: dict, x, seed: int) -> Instance:
    """Two equal-weight personas disagreeing on ``x`` ill-posed items, the truth drawn from them;
    accuracy on the ill-posed items, with the LOO and zero-shot confidences there."""
    rng = rng_for(seed, 11)
    n = p["n"]
    a = rng.integers(0, 2, n)
    ill = np.sort(rng.choice(n, int(x), replace=False))
    b = a.copy()
    b[ill] = 1 - b[ill]
    prior = ConceptMixture(F=np.stack([a, b]), eps=[p["eps"], p["eps"]], w=[0.5, 0.5])
    truth = prior.sample(rng, 1)[0]
    E = Enumerated(prior)
    top = tie_set(E.table)
    L = np.exp(prior.log_loo(E.B[top]))                      # (T, n, 2)
    conf = float(np.mean([L[t, ill, E.B[top[t]][ill]].mean() for t in range(len(top))]))
    zs_conf = float(np.exp(prior.log_zero_shot()[ill].max(1)).mean())
    return Instance(prior, truth, items=ill, enumerated=E,
                    measures={"loo_confidence": conf, "zero_shot_confidence": zs_conf})


def predicted_confidence(x: int, eps: float) -> float:
    """LOO confidence on an ill-posed item when the other ``x - 1`` ill-posed items follow one
    persona: that persona's posterior is ``(1-eps)^(x-1) / ((1-eps)^(x-1) + eps^(x-1))``."""
    a, b = (1 - eps) ** (x - 1), eps ** (x - 1)
    post = a / (a + b)
    return post * (1 - eps) + (1 - post) * eps


def curves(p):
    return [{"x": p["xs"], "y": [predicted_confidence(x, p["eps"]) for x in p["xs"]],
             "label": "predicted LOO confidence (closed form)"},
            {"x": p["xs"], "y": [0.5] * len(p["xs"]), "label": "predicted accuracy 1/2"}]


# -- the figure ------------------------------------------------------------------------------------

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
    return verdict_of(ok)


EXPERIMENT = regime_experiment(
    id="R11-ill-posed", claims=["C5.R11"], module=__name__, params=params,
    boundaries=lambda p: [], curves=curves,
    finding=finding, verdict=verdict,
    measure_lines={"loo_confidence": "LOO confidence at the coherence argmax",
                   "zero_shot_confidence": "zero-shot confidence"},
    title="R11: ill-posed items (the truth is a coin flip there) still get confident answers (n = 12, eps 0.05)",
    prediction="coherence forces confident answers (confidence ~ 1 - eps) with expected accuracy 1/2 on ill-posed "
               "items",
    ylabel="accuracy or confidence on ill-posed items", xlabel="number of ill-posed items (items)")


# -- the check C5.R11.ill-posed-items --------------------------------------------------------------

CHECK_CONDITIONS = ("simulations.regimes.r11_ill_posed with 4 ill-posed items (n = 12, two personas eps 0.05, "
                    "equal weight, "
                    "disagreeing on the ill-posed items), its first instance; the truth is drawn from the same "
                    "prior; confidence within tolerance of the regime's closed form (-> 1 - eps)")


def check_result(quick: bool) -> CheckResult:
    """The first instance with 4 ill-posed items: LOO confidence at the argmax within 0.05 of
    :func:`predicted_confidence`, the exact expected accuracy there (the truth drawn from the
    prior) 1/2, and the gap between them above 0.4."""
    p, x = params(quick), 4
    inst = instance(p, x, p["seeds"][0])
    prior, ill, E = inst.prior, inst.items, inst.enumerated
    B, t = E.B, E.table
    top = tie_set(t)
    conf = float(np.mean([np.exp(prior.log_loo(B[c][None])[0][ill, B[c][ill]]).mean() for c in top]))
    post = np.exp(t)                                           # truth ~ P*: exact expected accuracy
    acc_ill = float(np.mean([(post[:, None] * (B[:, ill] == B[c][ill])).sum(0).mean() for c in top]))
    zs_conf = inst.measures["zero_shot_confidence"]
    predicted = predicted_confidence(x, p["eps"])
    ok = abs(conf - predicted) <= 0.05 and abs(acc_ill - 0.5) <= 1e-9 and conf - acc_ill > 0.4
    return CheckResult(verdict_of(ok), {"loo_confidence_on_ill_posed": conf, "predicted_loo_confidence": predicted,
                                           "expected_accuracy_on_ill_posed": acc_ill,
                                           "zero_shot_confidence_on_ill_posed": zs_conf,
                                           "calibration_gap": conf - acc_ill})
