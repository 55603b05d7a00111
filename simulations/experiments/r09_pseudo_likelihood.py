"""R9 pseudo-likelihood versus joint coherence: with a heavy noisy truth (``w_t``, ``eps_t``) and a
light but sharp negation (``w_n``, ``eps_n``), joint coherence picks the truth while
log w_t/w_n > n log((1-eps_n)/(1-eps_t)), but ICM's pseudo-likelihood (and the released code's
signed log-odds) prefer the internally sharper negation as soon as ``eps_n < eps_t``.
"""
from __future__ import annotations

import math

import numpy as np

from theory import ConceptMixture, pseudo_likelihood, signed_logodds

from .base import fmt
from .common import Enumerated, decode_accuracy, rng_for
from .regime import Instance, measure, regime_experiment, series


def params(quick: bool) -> dict:
    xs = np.round(np.arange(0.01, 0.32, 0.02 if quick else 0.01), 4).tolist()
    return {"n": 10, "w_t": 0.95, "eps_t": 0.2, "xs": xs, "seeds": list(range(4 if quick else 12))}


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 9)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[p["eps_t"], x], w=[p["w_t"], 1 - p["w_t"]])
    E = Enumerated(prior)
    items = np.arange(n)
    meas = {"pl_argmax": decode_accuracy(E.B, pseudo_likelihood(prior, E.B), truth, items),
            "signed_logodds_argmax": decode_accuracy(E.B, signed_logodds(prior, E.B), truth, items)}
    return Instance(prior, truth, enumerated=E, measures=meas)


def boundaries(p):
    out = [{"x": p["eps_t"], "label": "predicted PL switch: eps_n = eps_t", "colour": "#D55E00"}]
    # joint switch: log(w_t/w_n) = n log((1-eps_n)/(1-eps_t)), if it lies in (0, 1)
    e = 1 - (1 - p["eps_t"]) * math.exp(math.log(p["w_t"] / (1 - p["w_t"])) / p["n"])
    if 0 < e < 1:
        out.append({"x": e, "label": "predicted joint switch"})
    return out


def finding(d) -> str:
    ex, pl = series(d, "exact"), measure(d, "pl_argmax")
    below = [j for j, x in enumerate(d["x"]) if x < d["boundaries"][0]["x"]]
    icm = series(d, "icm-paper")
    return (f"For eps_n < eps_t = {fmt(d['boundaries'][0]['x'])} the exact PL argmax scores {fmt(np.nanmean(pl[below]))} (the negation) "
            f"while joint coherence scores {fmt(np.nanmean(ex[below]))}; ICM (paper) reaches {fmt(np.nanmean(icm[below]))} there.")


def verdict(d) -> str:
    ex, pl, sl = series(d, "exact"), measure(d, "pl_argmax"), measure(d, "signed_logodds_argmax")
    below = [j for j, x in enumerate(d["x"]) if x < d["boundaries"][0]["x"] - 0.01]
    above = [j for j, x in enumerate(d["x"]) if x > d["boundaries"][0]["x"] + 0.01]
    ok = np.all(ex > 0.999) and np.all(pl[below] < 1e-9) and np.all(sl[below] < 1e-9) and np.all(pl[above] > 0.999)
    return "confirms" if ok else "refutes"


EXPERIMENT = regime_experiment(
    id="R9-pseudo-likelihood", claims=["C5.R9"], module=__name__, params=params, boundaries=boundaries,
    finding=finding, verdict=verdict,
    measure_lines={"pl_argmax": "exact argmax of pseudo-likelihood", "signed_logodds_argmax": "exact argmax of signed log-odds"},
    title="R9: ICM's pseudo-likelihood prefers a light but sharp negation that joint coherence rejects (n = 10, w_t 0.95, eps_t 0.2)",
    prediction="joint coherence picks the truth; PL and signed log-odds pick the negation whenever eps_n < eps_t",
    xlabel="noise of the negation concept eps_n (flip probability per item)")
