"""Phase diagram for R7 and C3: misspecification against number of labels. The task distribution
``P*`` is a 3-concept mixture (noise ``eps``); the model is ``P_M = (1-delta) P*(b) + delta P*(1-b)``
(contaminated with the flipped world), ``KL(P* || P_M)`` exact. Expected accuracy on unlabelled
items of the MAP under ``P_M`` is computed exactly from the true posterior, averaged over tasks.

Closed-form boundary: each label agreeing with the truth's concept costs the flipped world
``log((1-eps)/eps)`` and a disagreeing one gains it as much, ``(1-2 eps) log((1-eps)/eps)`` per
label on average; the flipped world wins while ``log(delta/(1-delta)) > m (1-2eps) log((1-eps)/eps)``.
"""
from __future__ import annotations

import math

import numpy as np

from simulations.accuracy import Enumerated
from simulations.regimes.verdict import figure_verdict
from theory import ConceptMixture, kl_divergence
from theory.decoders import tie_set
from theory.misspecification import contaminate
from theory.statistics import rng_for

from .base import fmt
from .phase import grid, phase_experiment


EPS = 0.25


def params(quick: bool) -> dict:
    return {"n": 10, "K": 3, "eps": EPS, "xs": [0, 1, 2, 3, 4, 5, 6, 8] if quick else list(range(0, 10)),
            "ys": np.round(np.arange(0.05, 0.96, 0.1 if quick else 0.05), 3).tolist(),
            "seeds": list(range(6 if quick else 16))}


def cell(p, x, y, seed):
    rng = rng_for(seed, 53)
    n, m = p["n"], int(x)
    true = ConceptMixture(F=rng.integers(0, 2, (p["K"], n)), eps=np.full(p["K"], p["eps"]),
                          w=np.full(p["K"], 1 / p["K"]))
    model = contaminate(true, y)
    truth = true.sample(rng, 1)[0]
    S = rng.choice(n, m, replace=False)
    labels = {int(i): int(truth[i]) for i in S}
    U = np.setdiff1d(np.arange(n), S)
    Et, Em = Enumerated(true), Enumerated(model)
    post = Et.scores(labels)
    post = np.exp(post - post.max())
    marg = (post / post.sum()) @ Et.B
    top = tie_set(Em.scores(labels))
    acc = float(np.where(Em.B[top][:, U] == 1, marg[U], 1 - marg[U]).mean())
    return {"map_accuracy": acc, "kl_nats": kl_divergence(true, model)}


def m_star(p, delta):
    e = p["eps"]
    return np.log(delta / (1 - delta)) / ((1 - 2 * e) * math.log((1 - e) / e))


def boundary(p):
    d = np.linspace(0.5, p["ys"][-1], 100)
    return [{"x": m_star(p, d).tolist(), "y": d.tolist(),
             "label": "predicted: log(delta/(1-delta)) = m (1-2eps) log((1-eps)/eps)"}]


def crossings(d, level: float = 0.5):
    """Per row with delta > 1/2: (delta, measured first m with accuracy >= level, predicted m*)."""
    A = grid(d, "map_accuracy")
    out = []
    for y, row in zip(d["y"], A):
        if y <= 0.5:
            continue
        hit = [x for x, a in zip(d["x"], row) if a >= level]
        out.append((float(y), float(hit[0]) if hit else None, float(m_star({"eps": EPS}, y))))
    return out


def _crossing_error(d):
    rows = [(y, m, ms) for y, m, ms in crossings(d) if ms <= d["x"][-1]]
    errs = [abs(m - ms) if m is not None else math.inf for y, m, ms in rows]
    return errs


def finding(d):
    A, K = grid(d, "map_accuracy"), grid(d, "kl_nats")
    y = np.asarray(d["y"])
    errs = _crossing_error(d)
    finite = [e for e in errs if math.isfinite(e)]
    return (f"With no labels the MAP under P_M loses once delta > 1/2 (accuracy {fmt(A[y < 0.5][:, 0].mean())} -> "
            f"{fmt(A[y > 0.5][:, 0].mean())}); the number of labels at which accuracy is back to 1/2 follows the "
            f"predicted m*(delta) within {fmt(max(finite) if finite else None, 1)} labels on {len(finite)} of "
            f"{len(errs)} rows, up to "
            f"KL = {fmt(K.max())} nats.")


def verdict(d):
    A = grid(d, "map_accuracy")
    y = np.asarray(d["y"])
    errs = _crossing_error(d)
    ok = bool(errs) and np.mean([e <= 1.5 for e in errs]) >= 0.8 and np.all(A[y < 0.5][:, 0] > 0.5)
    return figure_verdict(ok)


EXPERIMENT = phase_experiment(
    id="phase-R7-C3-kl-vs-labels", claims=["C5.R7", "C3"], module=__name__, params=params, boundary=boundary,
    finding=finding, verdict=verdict,
    panels=[{"value": "map_accuracy", "label": "expected accuracy of the MAP under P_M (unlabelled items)",
             "level": 0.5,
             "vmin": 0.2, "vmax": 0.85, "title": "accuracy against contamination delta and labels"},
            {"value": "kl_nats", "label": "KL(P* || P_M) (nats)", "level": None, "cmap": "viridis",
             "title": "the misspecification, exact KL (depends on delta only)"}],
    title="Phase diagram R7/C3: KL misspecification (contamination with the flipped world) against number of labels "
          "(n = 10)",
    prediction="the flipped world wins while log(delta/(1-delta)) > m (1-2eps) log((1-eps)/eps); more KL needs "
               "more labels",
    xlabel="number of labels m (items)", ylabel="contamination delta (probability of the flipped world)")
