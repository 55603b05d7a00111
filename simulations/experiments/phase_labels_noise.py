"""Phase diagram for R2 and R13: number of labels ``m`` against label noise ``eta`` under the
flip-symmetric prior (truth and negation, equal weight, noise ``eps``; n = 12). Expectations over
the label noise are exact: a sum over the number ``j`` of flipped labels, ``j ~ Binomial(m, eta)``.

Closed form (R2): the MAP picks the truth's side iff most labels agree with it, so its accuracy on
unlabelled items is ``P(Bin(m, 1-eta) > m/2) + P(= m/2)/2``. R13: plain supervised fitting (the
labels, zero-shot = 1/2 elsewhere) catches up only where labels are many and clean.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from simulations.accuracy import Enumerated
from simulations.regimes.verdict import figure_verdict
from theory import ConceptMixture
from theory.statistics import rng_for

from .base import fmt
from .phase import grid, phase_experiment


def params(quick: bool) -> dict:
    return {"n": 12, "eps": 0.1, "xs": [0, 1, 2, 3, 4, 5, 6, 8, 10, 12] if quick else list(range(0, 13)),
            "ys": np.round(np.arange(0.0, 0.451, 0.05 if quick else 0.025), 4).tolist(), "seeds": [0]}


def majority(m: int, eta: float) -> float:
    """``P(Bin(m, 1-eta) > m/2) + P(Bin = m/2) / 2`` (1/2 when m = 0)."""
    if m == 0:
        return 0.5
    k = np.arange(m + 1)
    pm = stats.binom.pmf(k, m, 1 - eta)
    return float(pm[2 * k > m].sum() + 0.5 * pm[2 * k == m].sum())


def cell(p, x, y, seed):
    rng = rng_for(seed, 52)
    n, m, eta = p["n"], int(x), float(y)
    truth = rng.integers(0, 2, n)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[p["eps"]] * 2, w=[0.5, 0.5])
    E = Enumerated(prior)
    S = rng.choice(n, m, replace=False)
    U = np.setdiff1d(np.arange(n), S)
    acc_u = acc_all = sup_all = 0.0
    for j in range(m + 1):
        pj = stats.binom.pmf(j, m, eta) if m else 1.0
        if pj == 0:
            continue
        flipped = set(rng.choice(m, j, replace=False).tolist()) if j else set()
        labels = {int(i): int(1 - truth[i] if r in flipped else truth[i]) for r, i in enumerate(S)}
        decode_eta = eta if eta > 0 else 0.0
        acc_u += pj * (E.accuracy(truth, U, labels, decode_eta) if U.size else 0.0)
        acc_all += pj * E.accuracy(truth, np.arange(n), labels, decode_eta)
        sup_all += pj * ((m - j) + 0.5 * (n - m)) / n
    return {"unlabelled_accuracy": acc_u if U.size else float("nan"), "gain_over_supervised": acc_all - sup_all,
            "predicted_unlabelled": majority(m, eta)}


def boundary(p):
    # the closed-form 0.9 contour of majority(m, eta): for each eta the smallest m reaching 0.9
    etas = np.linspace(p["ys"][0], p["ys"][-1], 200)
    xs, ys = [], []
    for e in etas:
        for m in range(1, p["xs"][-1] + 1):
            if majority(m, e) >= 0.9:
                xs.append(m)
                ys.append(float(e))
                break
    return [{"x": xs, "y": ys, "label": "closed form: P(majority of labels right) = 0.9", "panels": [0]}]


def finding(d):
    A, P = grid(d, "unlabelled_accuracy"), grid(d, "predicted_unlabelled")
    G = grid(d, "gain_over_supervised")
    ok = ~np.isnan(A)
    return ("The exact MAP's unlabelled accuracy equals the majority-vote closed form to within "
            f"{np.nanmax(np.abs(A - P)[ok]):.3f} "
            "over the grid (0.5 with no labels, the tie of R2); its gain over supervised fitting is "
            f"{fmt(np.nanmax(G))} at best "
            f"and {fmt(G[0, -1])} with all {d['x'][-1]} labels clean (R13).")


def verdict(d):
    A, P = grid(d, "unlabelled_accuracy"), grid(d, "predicted_unlabelled")
    G = grid(d, "gain_over_supervised")
    ok = np.nanmax(np.abs(A - P)[~np.isnan(A)]) < 0.05 and abs(G[0, -1]) < 1e-6
    return figure_verdict(ok)


EXPERIMENT = phase_experiment(
    id="phase-R2-R13-labels-vs-noise", claims=["C5.R2", "C5.R13", "C2"], module=__name__, params=params,
    boundary=boundary, finding=finding, verdict=verdict,
    panels=[{"value": "unlabelled_accuracy",
             "label": "exact MAP accuracy on unlabelled items (expected over label noise)",
             "level": 0.9, "vmin": 0.4, "vmax": 1.0, "title": "R2: labels break the flip symmetry"},
            {"value": "gain_over_supervised", "label": "accuracy gain over supervised fitting (all items)",
             "level": 0.1, "vmin": -0.5, "vmax": 0.5, "cmap": "PuOr",
             "title": "R13: the regulariser's value shrinks with many clean labels"}],
    title="Phase diagram R2/R13: number of labels against label noise (flip-symmetric prior, n = 12, eps 0.1)",
    prediction="unlabelled accuracy = P(majority of the m labels is right); the gain over supervised fitting "
               "vanishes as m -> n",
    xlabel="number of labels m (items)", ylabel="label noise eta (flip probability)")
