"""R2 label-flip symmetry: a prior with ``Coh(pi) = Coh(1 - pi)`` (truth and negation, and a
second map and its negation, with equal weights and noise) makes the truth and its negation
exactly tied, so unlabelled accuracy is 1/2 on average; one label breaks the tie.
"""
from __future__ import annotations

import numpy as np

from theory import ConceptMixture

from .base import fmt
from .common import map_with_agreement, rng_for
from .regime import Instance, regime_experiment, series


def params(quick: bool) -> dict:
    return {"n": 10, "eps_t": 0.1, "eps_o": 0.05, "w_t": 0.35, "w_o": 0.15, "xs": [0, 1, 2, 3, 4, 6],
            "seeds": list(range(6 if quick else 20))}


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 2)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    other = map_with_agreement(rng, truth, 0.6)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth, other, 1 - other]),
                           eps=[p["eps_t"], p["eps_t"], p["eps_o"], p["eps_o"]],
                           w=[p["w_t"], p["w_t"], p["w_o"], p["w_o"]])
    S = rng.choice(n, int(x), replace=False)
    gap = abs(float(prior.log_joint(truth)) - float(prior.log_joint(1 - truth)))
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, measures={"tie_gap_nats": gap})


def curves(p):
    return [{"x": p["xs"], "y": [0.5 if m == 0 else 1.0 for m in p["xs"]],
             "label": "predicted: 1/2 (exact tie) without labels, 1 with any label"}]


def finding(d) -> str:
    ex = series(d, "exact")
    gap = float(np.nanmax([r["mean"] for r in d["measures"]["tie_gap_nats"]]))
    return (f"Truth and negation are tied (largest |Coh(truth) - Coh(negation)| = {gap:.1e} nats), so exact coherence "
            f"scores {fmt(ex[0])} without labels and at least {fmt(np.nanmin(ex[1:]))} with one or more labels.")


def verdict(d) -> str:
    ex = series(d, "exact")
    ok = abs(ex[0] - 0.5) < 1e-9 and np.all(ex[1:] > 0.99)
    return "confirms" if ok else "refutes"


EXPERIMENT = regime_experiment(
    id="R2-symmetry", claims=["C5.R2"], module=__name__, params=params, boundaries=lambda p: [], curves=curves,
    title="R2: flip symmetry -- truth and negation tie without labels; one label breaks the tie (n = 10)",
    prediction="unlabelled accuracy exactly 1/2 under a flip-symmetric prior; a few labels break the tie",
    finding=finding, verdict=verdict, xlabel="number of gold labels m (items)")
