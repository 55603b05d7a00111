"""R13 many labels: with the truth drawn from the prior, the gain of coherence + labels over plain
supervised fitting (the labels, zero-shot elsewhere) shrinks as labels accumulate and is exactly
0 once every item is labelled.

The regime's one home (:mod:`simulations.regimes`): the figure ``R13-many-labels`` draws a
random prior per seed (:func:`params`, :func:`instance`); the check ``C5.R13.many-labels`` draws
many truths from the one task distribution ``P*`` of claim C3
(:func:`simulations.claims.c3_kl_optimality.task_prior`) at ``m = 0, 2, ..., n`` labels
(:func:`check_params`, :func:`check_instances`, :func:`check_result`).
Accuracies and gains are fractions of all items.
"""
from __future__ import annotations

import numpy as np

from scipy.special import logsumexp

from simulations.accuracy import METHODS
from simulations.experiments.base import fmt
from simulations.experiments.regime import regime_experiment, series
from simulations.claims.c3_kl_optimality import task_prior
from theory import ConceptMixture, all_behaviours
from theory.decoders import tie_set
from theory.softmax import log_coherence_table
from theory.statistics import mean_ci, rng_for

from simulations.experiments.instance import Instance
from proofs_check.verdicts import under_conditions, verdict_of
from .decision_rule import CheckResult


def params(quick: bool) -> dict:
    """``n`` items, ``K`` random concepts of noise ``eps`` (flip probability, Dirichlet(1)
    weights); the sweep ``xs`` is the number of gold labels (items)."""
    return {"n": 10, "K": 4, "eps": 0.1, "xs": [1, 2, 3, 4, 6, 8, 10], "seeds": list(range(8 if quick else 24))}


def check_params(quick: bool) -> dict:
    """The check's settings: ``draws`` truths ``pi* ~ P*`` over the figure's ``n`` items for each
    ``m`` of ``ms`` labels, from the stream ``default_rng(seed)``; the gain may rise by at most
    ``slack`` from one ``m`` to the next (from the second ``m`` on)."""
    n = params(quick)["n"]
    return {"n": n, "ms": list(range(0, n + 1, 2)), "draws": 300 if quick else 1500, "seed": 13, "slack": 0.01}


def _labelled(rng: np.random.Generator, prior, m) -> Instance:
    """A truth ``pi* ~ prior`` with noiseless gold labels on ``m`` random items; accuracy on every item."""
    truth = prior.sample(rng, 1)[0]
    S = rng.choice(prior.n, int(m), replace=False)
    return Instance(prior, truth, labels={int(i): int(truth[i]) for i in S}, items=np.arange(prior.n),
                    methods=METHODS + ("supervised", "few-shot"))


def instance(p: dict, x, seed: int) -> Instance:
    rng = rng_for(seed, 13)
    n = p["n"]
    prior = ConceptMixture(F=rng.integers(0, 2, (p["K"], n)), eps=np.full(p["K"], p["eps"]),
                           w=rng.dirichlet(np.ones(p["K"])))
    return _labelled(rng, prior, x)


def check_instances(p: dict) -> dict:
    """The check's instances (``p`` from :func:`check_params`): ``m -> draws`` instances on
    ``P* = task_prior(n)``, drawn in turn (``m`` ascending) from ``default_rng(p["seed"])``."""
    prior, rng = task_prior(p["n"]), np.random.default_rng(p["seed"])
    return {m: [_labelled(rng, prior, m) for _ in range(p["draws"])] for m in p["ms"]}


# -- the figure ------------------------------------------------------------------------------------

def _gain(d):
    return series(d, "exact") - series(d, "supervised")


def finding(d) -> str:
    g = _gain(d)
    top = int(np.nanargmax(g))
    return (f"The accuracy gain of exact coherence + labels over supervised fitting peaks at {fmt(g[top])} "
            f"with {d['x'][top]} "
            f"label(s) and falls to {fmt(g[-1])} with {d['x'][-1]} labels (all items labelled).")


def verdict(d) -> str:
    g = _gain(d)
    top = int(np.nanargmax(g))
    return verdict_of(abs(g[-1]) < 1e-9 and g[top] > 0 and np.all(np.diff(g[top:]) <= 0.03))


EXPERIMENT = regime_experiment(
    id="R13-many-labels", claims=["C5.R13"], module=__name__, params=params,
    boundaries=lambda p: [],
    finding=finding, verdict=verdict,
    title="R13: with many labels the regularizer's value shrinks (truth drawn from a 4-concept prior, n = 10)",
    prediction="the gain of coherence over plain supervised fitting falls with m and is 0 at m = n (with no labels the "
               "per-item zero-shot marginal is already Bayes-optimal per item when pi* ~ P*)",
    ylabel="accuracy on all items", xlabel="number of gold labels m (items)")


# -- the check C5.R13.many-labels ------------------------------------------------------------------

CHECK_CONDITIONS = (f"simulations.regimes.r13_many_labels check_params: P* = the C3 task prior over n = "
                    f"{check_params(False)['n']} items, pi* ~ P*, noiseless labels on m random items; exact "
                    "posterior-expected accuracy per draw (Rao-Blackwellised); gain non-increasing within tolerance "
                    "from m = 2 on; at m = 0 the gain is negative (counterexample)")


def check_result(quick: bool) -> CheckResult:
    """Per ``m``: the mean over draws of the exact posterior-expected accuracy gain of the joint MAP
    (ties averaged) over supervised fitting. Inside: 0 at ``m = n`` and non-increasing within
    ``slack`` from the second ``m`` on; the counterexample is the first ``m`` whose gain is
    surely negative."""
    p = check_params(quick)
    n, rows, by_m = p["n"], [], check_instances(p)
    prior = by_m[p["ms"][0]][0].prior                      # every draw shares P*: enumerate it once
    B = all_behaviours(n, 2).astype(np.int64)
    logp = log_coherence_table(prior)
    zs = prior.log_zero_shot().argmax(1)
    for m, instances in by_m.items():
        gains = []
        for inst in instances:
            S_idx = np.fromiter(inst.labels, dtype=np.int64, count=len(inst.labels))
            labels = np.fromiter(inst.labels.values(), dtype=np.int64, count=len(inst.labels))
            cons = (B[:, S_idx] == labels).all(1)
            lp = np.where(cons, logp, -np.inf)
            post = np.exp(lp - logsumexp(lp))
            marg1 = post @ B

            def acc(b):
                return float(np.where(b == 1, marg1, 1 - marg1).mean())
            coh_map = B[tie_set(lp)]
            sup = zs.copy()
            sup[S_idx] = labels
            gains.append(np.mean([acc(b) for b in coh_map]) - acc(sup))
        rows.append({"m": m, "gain": mean_ci(gains)})
    g = [r["gain"]["mean"] for r in rows]
    inside = abs(g[-1]) <= 1e-12 and all(b <= a + p["slack"] for a, b in zip(g[1:], g[2:]))
    neg = [r for r in rows if r["gain"]["hi"] < 0]
    cex = None if not neg else {"m": neg[0]["m"], "gain": neg[0]["gain"],
                                "why": "with no labels the zero-shot answers are P*'s per-item marginal decoder, "
                                       "which beats joint MAP on per-item accuracy (C3.marginal-beats-map)"}
    return CheckResult(under_conditions(inside, cex), {"n": n, "draws_per_m": p["draws"], "by_m": rows},
                       counterexample=cex)
