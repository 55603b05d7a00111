"""R7 truth outside the prior's support: the prior holds the truth with a quarter of its items
flipped and a random map, never the truth itself. Labels then only choose among wrong concepts:
accuracy on unlabelled items never exceeds the best concept's agreement with the truth (3/4).
"""
from __future__ import annotations

import numpy as np

from theory import ConceptMixture

from .base import fmt
from .common import METHODS, map_with_agreement, rng_for
from .regime import Instance, regime_experiment, series


def params(quick: bool) -> dict:
    return {"n": 12, "eps": 0.05, "w_flipped": 0.6, "agree": 0.75, "xs": [0, 1, 2, 3, 4, 6, 8],
            "seeds": list(range(12 if quick else 32))}


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 7)
    n = p["n"]
    truth = rng.integers(0, 2, n)
    flipped = map_with_agreement(rng, truth, p["agree"])
    F = np.stack([flipped, rng.integers(0, 2, n)])
    prior = ConceptMixture(F=F, eps=[p["eps"], p["eps"]], w=[p["w_flipped"], 1 - p["w_flipped"]])
    S = rng.choice(n, int(x), replace=False)
    U = np.setdiff1d(np.arange(n), S)
    bound = float(max((F[:, U] == truth[U]).mean(1)))
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, items=U,
                    methods=METHODS + ("few-shot",), measures={"best_concept_agreement": bound})


def finding(d) -> str:
    ex = series(d, "exact")
    bound = np.array([r["mean"] for r in d["measures"]["best_concept_agreement"]])
    excess = max(float(np.nanmax(series(d, m) - bound)) for m in d["accuracy"])
    return (f"With the truth outside the support exact coherence stays at {fmt(np.nanmin(ex))}-{fmt(np.nanmax(ex))} for 0 to "
            f"{d['x'][-1]} labels, below the best in-support concept's agreement ({fmt(np.nanmin(bound))}-{fmt(np.nanmax(bound))}); "
            f"the best method exceeds that bound by at most {fmt(excess)}.")


def verdict(d) -> str:
    ex = series(d, "exact")
    bound = np.array([r["mean"] for r in d["measures"]["best_concept_agreement"]])
    return "confirms" if np.all(ex <= bound + 1e-9) and np.all(ex < 1) else "refutes"


EXPERIMENT = regime_experiment(
    id="R7-misspecification", claims=["C5.R7"], module=__name__, params=params, boundaries=lambda p: [],
    finding=finding, verdict=verdict, measure_lines={"best_concept_agreement": "bound: best concept's agreement"},
    title="R7: truth outside the prior's support -- labels only choose among wrong concepts (n = 12)",
    prediction="no amount of unlabelled coherence helps: accuracy <= best in-support concept's agreement with the truth",
    xlabel="number of gold labels m (items)")
