"""R7 truth outside the prior's support: the prior holds the truth with a quarter of its items
flipped and a random map, never the truth itself. Labels then only choose among wrong concepts:
accuracy on unlabelled items never exceeds the best concept's agreement with the truth (3/4).

Misspecification by contamination, against the number of labels (the phase diagram
``phase-R7-C3-kl-vs-labels``, with claim C3): the task distribution ``P*`` is a 3-concept
mixture (noise ``eps``); the model is ``P_M = (1-delta) P*(b) + delta P*(1-b)`` (contaminated with
the flipped world), ``KL(P* || P_M)`` exact (nats). Expected accuracy on unlabelled items of the
MAP under ``P_M`` is computed exactly from the true posterior, averaged over tasks. Closed-form
boundary: each label agreeing with the truth's concept costs the flipped world
``log((1-eps)/eps)`` and a disagreeing one gains it as much, ``(1-2 eps) log((1-eps)/eps)`` per
label on average; the flipped world wins while ``log(delta/(1-delta)) > m (1-2eps) log((1-eps)/eps)``.

The regime's one home (:mod:`simulations.regimes`): the figure ``R7-misspecification`` sweeps the
number of labels at one ``n`` across seeds (:func:`params`, :func:`instance`); the check
``C5.R7.misspecification`` takes the same prior at several ``n``, with every label count drawn
from one random stream per ``n`` (:func:`check_params`, :func:`check_instances`,
:func:`check_result`); the phase diagram is :data:`PHASE`.
"""
from __future__ import annotations

import math

import numpy as np

from simulations.accuracy import METHODS, Enumerated
from simulations.experiments.base import fmt
from simulations.experiments.phase import grid, phase_experiment
from simulations.experiments.regime import regime_experiment, series
from theory import ConceptMixture, kl_divergence
from theory.decoders import tie_set
from theory.misspecification import contaminate
from theory.statistics import rng_for

from simulations.experiments.instance import Instance, map_with_agreement
from proofs_check.verdicts import verdict_of
from .decision_rule import CheckResult


def params(quick: bool) -> dict:
    """``n`` items, concept noise ``eps`` (flip probability), the flipped truth's weight
    ``w_flipped`` (probability) and agreement ``agree`` with the truth (fraction of items); the
    sweep ``xs`` is the number of gold labels (items)."""
    return {"n": 12, "eps": 0.05, "w_flipped": 0.6, "agree": 0.75, "xs": [0, 1, 2, 3, 4, 6, 8],
            "seeds": list(range(12 if quick else 32))}


def check_params(quick: bool) -> dict:
    """The check's settings: the figure's prior (``eps``, ``w_flipped``, ``agree``) at each ``n`` of
    ``ns``, labels on ``m = 0, label_step, ..., n/2`` items, the stream ``default_rng(seed)``."""
    p = params(quick)
    return {"ns": [8, 12] if quick else [8, 12, 16], "eps": p["eps"], "w_flipped": p["w_flipped"], "agree": p["agree"],
            "label_step": 2, "seed": 7}


def _prior_and_truth(rng: np.random.Generator, p: dict, n: int):
    """A random truth ``(n,)`` and the mixture of {truth with a fraction ``1 - agree`` flipped (weight
    ``w_flipped``), a random map}, both with noise ``eps``."""
    truth = rng.integers(0, 2, n)
    flipped = map_with_agreement(rng, truth, p["agree"])
    F = np.stack([flipped, rng.integers(0, 2, n)])
    return ConceptMixture(F=F, eps=[p["eps"], p["eps"]], w=[p["w_flipped"], 1 - p["w_flipped"]]), truth


def _labelled(rng: np.random.Generator, prior, truth, m: int) -> Instance:
    """Gold labels on ``m`` random items; accuracy on the rest, bounded by the best concept's agreement there."""
    n = truth.size
    S = rng.choice(n, int(m), replace=False)
    U = np.setdiff1d(np.arange(n), S)
    bound = float(max((prior.F[:, U] == truth[U]).mean(1)))
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, items=U,
                    methods=METHODS + ("few-shot",), measures={"best_concept_agreement": bound})


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 7)
    prior, truth = _prior_and_truth(rng, p, p["n"])
    return _labelled(rng, prior, truth, x)


def check_instances(p: dict, n: int) -> list:
    """The check's instances at ``n`` items (``p`` from :func:`check_params`): one prior and truth,
    then ``m = 0, label_step, ..., n/2`` labels, all drawn in turn from ``default_rng(p["seed"])``."""
    rng = np.random.default_rng(p["seed"])
    prior, truth = _prior_and_truth(rng, p, n)
    return [_labelled(rng, prior, truth, m) for m in range(0, n // 2 + 1, p["label_step"])]


# -- the figure R7-misspecification ----------------------------------------------------------------

def finding(d) -> str:
    ex = series(d, "exact")
    bound = np.array([r["mean"] for r in d["measures"]["best_concept_agreement"]])
    excess = max(float(np.nanmax(series(d, m) - bound)) for m in d["accuracy"])
    return (f"With the truth outside the support exact coherence stays at {fmt(np.nanmin(ex))}-{fmt(np.nanmax(ex))} "
            f"for 0 to {d['x'][-1]} labels, below the best in-support concept's agreement "
            f"({fmt(np.nanmin(bound))}-{fmt(np.nanmax(bound))}); "
            f"the best method exceeds that bound by at most {fmt(excess)}.")


def verdict(d) -> str:
    ex = series(d, "exact")
    bound = np.array([r["mean"] for r in d["measures"]["best_concept_agreement"]])
    return verdict_of(np.all(ex <= bound + 1e-9) and np.all(ex < 1))


EXPERIMENT = regime_experiment(
    id="R7-misspecification", claims=["C5.R7"], module=__name__, params=params,
    boundaries=lambda p: [],
    finding=finding, verdict=verdict, measure_lines={"best_concept_agreement": "bound: best concept's agreement"},
    title="R7: truth outside the prior's support -- labels only choose among wrong concepts (n = 12)",
    prediction="no amount of unlabelled coherence helps: accuracy <= best in-support concept's agreement with "
               "the truth",
    xlabel="number of gold labels m (items)")


# -- the phase diagram phase-R7-C3-kl-vs-labels ------------------------------------------------------

def phase_params(quick: bool) -> dict:
    """``n`` items, ``K`` concepts of noise ``eps`` (flip probability, equal weights) in ``P*``; ``xs``
    is the number of labels (items), ``ys`` the contamination ``delta`` (probability)."""
    return {"n": 10, "K": 3, "eps": 0.25, "xs": [0, 1, 2, 3, 4, 5, 6, 8] if quick else list(range(0, 10)),
            "ys": np.round(np.arange(0.05, 0.96, 0.1 if quick else 0.05), 3).tolist(),
            "seeds": list(range(6 if quick else 16))}


def phase_cell(p, x, y, seed):
    """Expected accuracy on the unlabelled items of the MAP under ``P_M`` (contamination ``y``) with
    ``x`` gold labels, and ``KL(P* || P_M)`` (nats)."""
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
    """Labels (items) at which the truth's concept overtakes the flipped world under contamination ``delta``."""
    e = p["eps"]
    return np.log(delta / (1 - delta)) / ((1 - 2 * e) * math.log((1 - e) / e))


def phase_boundary(p):
    d = np.linspace(0.5, p["ys"][-1], 100)
    return [{"x": m_star(p, d).tolist(), "y": d.tolist(),
             "label": "predicted: log(delta/(1-delta)) = m (1-2eps) log((1-eps)/eps)"}]


def crossings(d, p, level: float = 0.5):
    """Per row with delta > 1/2: (delta, measured first m with accuracy >= level, predicted m*)."""
    A = grid(d, "map_accuracy")
    out = []
    for y, row in zip(d["y"], A):
        if y <= 0.5:
            continue
        hit = [x for x, a in zip(d["x"], row) if a >= level]
        out.append((float(y), float(hit[0]) if hit else None, float(m_star(p, y))))
    return out


def _crossing_errors(d, p):
    rows = [(y, m, ms) for y, m, ms in crossings(d, p) if ms <= d["x"][-1]]
    return [abs(m - ms) if m is not None else math.inf for y, m, ms in rows]


def phase_finding(d, p):
    A, K = grid(d, "map_accuracy"), grid(d, "kl_nats")
    y = np.asarray(d["y"])
    errs = _crossing_errors(d, p)
    finite = [e for e in errs if math.isfinite(e)]
    return (f"With no labels the MAP under P_M loses once delta > 1/2 (accuracy {fmt(A[y < 0.5][:, 0].mean())} -> "
            f"{fmt(A[y > 0.5][:, 0].mean())}); the number of labels at which accuracy is back to 1/2 follows the "
            f"predicted m*(delta) within {fmt(max(finite) if finite else None, 1)} labels on {len(finite)} of "
            f"{len(errs)} rows, up to "
            f"KL = {fmt(K.max())} nats.")


def phase_verdict(d, p):
    A = grid(d, "map_accuracy")
    y = np.asarray(d["y"])
    errs = _crossing_errors(d, p)
    ok = bool(errs) and np.mean([e <= 1.5 for e in errs]) >= 0.8 and np.all(A[y < 0.5][:, 0] > 0.5)
    return verdict_of(ok)


_PHASE = phase_params(True)
PHASE = phase_experiment(
    id="phase-R7-C3-kl-vs-labels", claims=["C5.R7", "C3"], module=__name__, cell="phase_cell", params=phase_params,
    boundary=phase_boundary, finding=phase_finding, verdict=phase_verdict,
    panels=[{"value": "map_accuracy", "label": "expected accuracy of the MAP under P_M (unlabelled items)",
             "level": 0.5,
             "vmin": 0.2, "vmax": 0.85, "title": "accuracy against contamination delta and labels"},
            {"value": "kl_nats", "label": "KL(P* || P_M) (nats)", "level": None, "cmap": "viridis",
             "title": "the misspecification, exact KL (depends on delta only)"}],
    title="Phase diagram R7/C3: KL misspecification (contamination with the flipped world) against number of labels "
          f"(n = {_PHASE['n']})",
    prediction="the flipped world wins while log(delta/(1-delta)) > m (1-2eps) log((1-eps)/eps); more KL needs "
               "more labels",
    xlabel="number of labels m (items)", ylabel="contamination delta (probability of the flipped world)")


# -- the check C5.R7.misspecification --------------------------------------------------------------

def _check_conditions() -> str:
    quick, full = check_params(True), check_params(False)
    w = full["w_flipped"]
    return ("simulations.regimes.r07_misspecification check_params: prior = {truth with "
            f"{1 - full['agree']:.0%} flipped (eps {full['eps']:g}, w {w:g}), a random map (eps {full['eps']:g}, "
            f"w {1 - w:g})}}, truth itself absent; n = {', '.join(map(str, full['ns']))} "
            f"(quick {', '.join(map(str, quick['ns']))}); m = 0..n/2 labels")


CHECK_CONDITIONS = _check_conditions()


def check_result(quick: bool) -> CheckResult:
    """At every ``n`` and label count: exact accuracy on the unlabelled items at most the best
    concept's agreement there, and below 1."""
    p = check_params(quick)
    rows, ok = [], True
    for n in p["ns"]:
        instances = check_instances(p, n)
        E = Enumerated(instances[0].prior)          # one prior per n: its table serves every m
        for inst in instances:
            acc = E.accuracy(inst.truth, inst.items, inst.labels)
            bound = inst.measures["best_concept_agreement"]
            ok &= acc <= bound + 1e-12 and acc < 1
            rows.append({"n": n, "m": len(inst.labels), "unlabelled_accuracy": acc, "best_concept_agreement": bound})
    return CheckResult(verdict_of(ok), {"rows": rows})
