"""R4 competing wrong modes: three sharp wrong concepts, each the truth with a different third of
the items flipped, make the truth their per-item consensus but not the mode. Joint coherence
(accuracy 2/3) loses to per-item zero-shot (accuracy 1) until
``log w_t + n log(1 - eps_t) > log((1 - w_t)/3) + n log(1 - eps_w)``.
"""
from __future__ import annotations

import math

import numpy as np

from theory import ConceptMixture

from .base import fmt
from .common import rng_for
from .regime import Instance, first_x, regime_experiment, series


def params(quick: bool) -> dict:
    xs = np.round(np.arange(0.01, 0.6, 0.02 if quick else 0.01), 4).tolist()
    return {"n": 12, "eps_t": 0.1, "eps_w": 0.02, "xs": xs, "seeds": list(range(4 if quick else 12))}


def switch(p) -> float:
    r = math.exp(p["n"] * math.log((1 - p["eps_w"]) / (1 - p["eps_t"]))) / 3
    return r / (1 + r)


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 4)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    perm = rng.permutation(n)
    wrong = np.stack([truth.copy() for _ in range(3)])
    for j, part in enumerate(np.array_split(perm, 3)):
        wrong[j, part] = 1 - wrong[j, part]
    prior = ConceptMixture(F=np.vstack([truth, wrong]), eps=[p["eps_t"]] + [p["eps_w"]] * 3,
                           w=np.r_[x, np.full(3, (1 - x) / 3)])
    return Instance(prior, truth)


def boundaries(p):
    return [{"x": switch(p), "label": "predicted switch: log w_t + n log(1-eps_t) = log((1-w_t)/3) + n log(1-eps_w)"}]


def curves(p):
    s = switch(p)
    return [{"x": p["xs"], "y": [2 / 3 if x < s else 1.0 for x in p["xs"]], "label": "predicted exact accuracy (2/3, then 1)"}]


def finding(d) -> str:
    ex, zs = series(d, "exact"), series(d, "zero-shot")
    m = first_x(d, ex >= 0.999)
    below = [j for j, x in enumerate(d["x"]) if x < d["boundaries"][0]["x"]]
    return (f"Below w_t = {fmt(d['boundaries'][0]['x'], 3)} exact coherence scores {fmt(np.nanmean(ex[below]))} while zero-shot "
            f"scores {fmt(np.nanmean(zs[below]))}; coherence recovers the truth from w_t = {fmt(m)}.")


def verdict(d) -> str:
    ex, zs = series(d, "exact"), series(d, "zero-shot")
    m = first_x(d, ex >= 0.999)
    step = float(np.diff(d["x"]).max())
    below = [j for j, x in enumerate(d["x"]) if x < d["boundaries"][0]["x"] - step]
    ok = m is not None and abs(m - d["boundaries"][0]["x"]) <= 2 * step and np.all(ex[below] < zs[below])
    return "confirms" if ok else "refutes"


EXPERIMENT = regime_experiment(
    id="R4-competing-modes", claims=["C5.R4"], module=__name__, params=params, boundaries=boundaries, curves=curves,
    finding=finding, verdict=verdict,
    title="R4: the truth is the consensus of three sharp wrong modes but not the mode (n = 12)",
    prediction="joint coherence (2/3) loses to per-item zero-shot (1) until the truth's score beats each wrong mode's",
    xlabel="weight of the true concept w_t (probability)")
