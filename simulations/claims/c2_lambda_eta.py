"""C2: description-length regularisation. With 0-1 loss and symmetric label noise ``eta``,
``argmin_b [mismatches(b, labels) + lambda * DL_Q(b)]`` is the MAP under ``Q`` exactly when
``lambda* = 1 / log((1-eta)/eta)``; the MAP maximises the probability of recovering the whole
map, so that probability (computed exactly from the posterior) peaks at ``lambda = lambda*``.
"""
from __future__ import annotations

import numpy as np

from simulations.accuracy import Enumerated, label_loglik
from simulations.experiments.instance import Instance
from proofs_check.verdicts import verdict_of
from theory import ConceptMixture, map_lambda
from theory.decoders import tie_set
from theory.statistics import rng_for

from simulations.experiments.base import fmt
from simulations.experiments.regime import measure, regime_experiment


def params(quick: bool) -> dict:
    xs = np.round(np.arange(-3, 3.01, 0.5 if quick else 0.25), 3).tolist()
    return {"n": 10, "K": 4, "eps": 0.15, "m": 6, "eta": 0.2, "xs": xs, "seeds": list(range(12 if quick else 48))}


def random_task_prior(rng, n: int, K: int, eps: float) -> ConceptMixture:
    """A random task distribution (the model ``Q`` here; C3 contaminates it): ``K`` random concepts
    over ``n`` items with noise ``eps`` (flip probability) and Dirichlet(1) weights, drawn from
    ``rng``. Not the fixed ``P*`` of :func:`simulations.claims.c3_kl_optimality.task_prior`."""
    return ConceptMixture(F=rng.integers(0, 2, (K, n)), eps=np.full(K, eps), w=rng.dirichlet(np.ones(K)))


def instance(p: dict, x: float, seed: int) -> Instance:
    rng = rng_for(seed, 20)
    n = p["n"]
    prior = random_task_prior(rng, n, p["K"], p["eps"])
    truth = prior.sample(rng, 1)[0]
    S = rng.choice(n, p["m"], replace=False)
    y = np.where(rng.random(p["m"]) < p["eta"], 1 - truth[S], truth[S])
    labels = {int(i): int(v) for i, v in zip(S, y)}
    E = Enumerated(prior)
    lam = map_lambda(p["eta"]) * 2.0 ** x
    idx = np.fromiter(labels, dtype=np.int64)
    mism = (E.B[:, idx] != np.fromiter(labels.values(), dtype=np.int64)).sum(1)
    J = mism - lam * E.table                                 # SRM objective with DL = -Coh (nats)
    top = tie_set(-J)
    post = E.table + label_loglik(E.B, labels, p["eta"])
    post = np.exp(post - post.max())
    post /= post.sum()
    marg = post @ E.B
    acc = np.where(E.B[top] == 1, marg, 1 - marg).mean()
    return Instance(prior, truth, methods=(), measures={"p_recover": float(post[top].mean()),
                                                        "expected_accuracy": float(acc), "lambda": lam})


def boundaries(p):
    return [{"x": 0.0, "label": f"predicted optimum lambda* = 1/log((1-eta)/eta) = {map_lambda(p['eta']):.3f}"}]


def _peak(d):
    pr = measure(d, "p_recover")
    return d["x"][int(np.nanargmax(pr))], pr


def finding(d) -> str:
    x, pr = _peak(d)
    j0 = d["x"].index(0.0)
    return (f"The exact probability of recovering the whole map peaks at log2(lambda/lambda*) = {fmt(x)} "
            f"with {fmt(pr[j0], 3)} "
            f"(vs {fmt(pr[0], 3)} at lambda*/8 and {fmt(pr[-1], 3)} at 8 lambda*), as the MAP correspondence predicts.")


def verdict(d) -> str:
    x, pr = _peak(d)
    j0 = d["x"].index(0.0)
    return verdict_of(pr[j0] >= np.nanmax(pr) - 1e-9)


EXPERIMENT = regime_experiment(
    id="C2-lambda-eta", claims=["C2"], module=__name__, params=params, boundaries=boundaries, finding=finding,
    verdict=verdict, measure_lines={"p_recover": "P(whole map recovered) (exact posterior)",
                                    "expected_accuracy": "expected per-item accuracy (exact posterior)"},
    title="C2: SRM with a description-length regulariser is the MAP at lambda* (n = 10, 6 labels, noise eta = 0.2)",
    prediction="argmin J_lambda is the MAP exactly at lambda = 1/log((1-eta)/eta), where P(recover the map) is maximal",
    ylabel="probability or accuracy", ylim=(None, None),
    xlabel="regularisation weight log2(lambda / lambda*)")
