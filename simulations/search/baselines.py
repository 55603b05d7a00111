"""Baselines a reviewer asks for, on the same interface as the coherence searches.

* ``zero-shot``: ``b_i = argmax_y log P_M(y | x_i)`` (no demonstrations);
* ``self-consistency``: per-item majority over ``samples`` joint samples drawn from the model's
  sequential conditionals (a random order, tempered by ``tau``): a Monte Carlo marginal decoder;
* ``supervised``: fit on the labelled items only (:mod:`simulations.search.fitting`), predict the rest;
* ``self-training``: pseudo-labelling -- refit on labels plus predictions whose probability is at
  least ``threshold``, until no item is added;
* ``entropy-min``: fit minimising label NLL ``+ lam * sum_{unlabelled} H(p_theta(. | x_u))``;
* ``ccs``: a CCS-like linear probe ``p_i = sigmoid(theta . phi_i + c)`` trained only for negation
  consistency and confidence on contrast pairs, ``mean (p_i - (1 - p_j))^2 + min(p_i, p_j)^2``;
  flip-symmetric, so without labels its sign is arbitrary (``extras["flipped_loss"]``).

Features ``phi`` default to the model's zero-shot log-probabilities (its own "hidden state").
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from theory import validation as V
from theory.decoders import TIE_ATOL, item_ties, tied_items
from theory.markov import tempered

from .fitting import LogisticFit, MixtureFit, make_fitter
from .progress import Ticker
from .result import Evaluator, SearchResult, clamp, clamp_ties, free_items, resolve
from .sampling import draw


def _one_shot(progress) -> None:
    """The progress of a method that is one unit of work: ``(0, 1)`` then ``(1, 1)``."""
    Ticker(progress, 1).finish()


def _done(name, b, ev, seed, p, extras) -> SearchResult:
    b = np.asarray(b, dtype=np.int64)
    coh = float(ev.joint(b[None])[0])
    extras = {"trace_evaluations": ev.trace_count, **extras}
    return SearchResult(behaviours=b, coherence_trace=np.array([coh]), score_trace=np.array([np.nan]), accepted=0,
                        evaluations=ev.count, method=name, seed=seed, params=p, extras=extras)


def _need_labels(name, labels):
    if not labels:
        raise ValueError(f"{name} needs labels: a non-empty dict {{item: behaviour}}")
    return np.array(list(labels), dtype=np.int64), np.array(list(labels.values()), dtype=np.int64)


def _fitter(model, ev, p, entropy: bool = False):
    feats = p.get("features")
    if feats is None and entropy and not hasattr(model, "log_components"):
        feats = ev.zero_shot()
    return make_fitter(model, ev, feats, p.get("l2", 1e-2))


def _public(p):
    return {k: ("given" if k == "features" and v is not None else v) for k, v in p.items()}


def zero_shot(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Zero-shot argmax (labelled items keep their labels; params ``tie_atol`` 1e-9). Exact ties
    go to the smaller behaviour in ``behaviours``; ``extras["item_ties"]`` ``(n, k)`` marks every
    tied maximiser and ``extras["tied_items"]`` lists the items with more than one, so
    :meth:`SearchResult.accuracy` is the expected accuracy under a uniform tie-break."""
    p = resolve("zero-shot", params, {"tie_atol": TIE_ATOL})
    atol = V.non_negative("tie_atol", p["tie_atol"])
    ev = Evaluator(model)
    zs = ev.zero_shot()
    _one_shot(progress)
    ties = clamp_ties(item_ties(zs, atol), labels)
    b = clamp(zs.argmax(axis=1).astype(np.int64), labels)
    return _done("zero-shot", b, ev, seed, p, {"item_ties": ties, "tied_items": tied_items(ties)})


def self_consistency(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Majority over ``samples`` (16) ancestral samples at temperature ``tau`` (1); labelled items
    come first in the order and are fixed. ``extras["frequencies"]``: ``(n, k)`` vote shares."""
    p = resolve("self-consistency", params, {"samples": 16, "tau": 1.0})
    S = V.positive_int("samples", p["samples"], 1)
    tau = V.non_negative("tau", p["tau"])
    rng = np.random.default_rng(seed)
    ev = Evaluator(model)
    B = clamp(np.zeros((S, model.n), dtype=np.int64), labels)
    lab = np.array(list(labels or {}), dtype=np.int64)
    order = np.concatenate([lab, rng.permutation(free_items(model.n, labels or {}))])
    ticker = Ticker(progress, model.n - lab.size)           # one unit per sampled position (all samples)
    for t in range(lab.size, model.n):
        i = int(order[t])
        prob = tempered(ev.conditional(B, i, order[:t]), tau)
        B[:, i] = draw(prob, rng) if tau > 0 else prob.argmax(axis=-1)
        ticker.advance()
    ticker.finish()
    freq = np.stack([(B == y).mean(axis=0) for y in range(model.k)], axis=1)
    b = clamp(freq.argmax(axis=1).astype(np.int64), labels)
    return _done("self-consistency", b, ev, seed, p, {"frequencies": freq, "order": order})


def supervised(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Fit on the labelled set only (``features`` -> logistic, mixture -> MAP concept, otherwise
    in-context with the labelled items as demonstrations), predict every other item."""
    p = resolve("supervised", params, {"features": None, "l2": 1e-2})
    idx, ys = _need_labels("supervised", labels)
    ev = Evaluator(model)
    f = _fitter(model, ev, p).fit(idx, ys, rng=np.random.default_rng(seed))
    _one_shot(progress)
    b = clamp(f.log_proba().argmax(axis=1).astype(np.int64), labels)
    return _done("supervised", b, ev, seed, _public(p), {"fitter": type(f).__name__})


def self_training(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Pseudo-labelling with ``threshold`` (0.9) on the fitted probability, at most ``rounds`` (20).

    The rule is scikit-learn's ``SelfTrainingClassifier(criterion="threshold")``: while some item
    is unlabelled and fewer than ``rounds`` fits were made, fit on the labelled set (logistic fits
    start from zero each time, as a fresh estimator does) and pseudo-label every unlabelled item
    whose largest fitted probability is **strictly greater** than ``threshold``; stop when none
    is. Then fit once more on the final set; ``b`` is that fit's argmax (labels clamped).
    ``threshold`` 1 never adds an item.
    """
    p = resolve("self-training", params, {"features": None, "l2": 1e-2, "threshold": 0.9, "rounds": 20})
    idx, ys = _need_labels("self-training", labels)
    thr = float(p["threshold"])
    if not 0 <= thr <= 1:
        raise ValueError(f"threshold must lie in [0, 1], got {thr}")
    rounds = V.positive_int("rounds", p["rounds"], 1)
    ev = Evaluator(model)
    rng = np.random.default_rng(seed)
    f = _fitter(model, ev, p)

    def fit(train):
        kw = {"init": np.zeros_like(f.W)} if isinstance(f, LogisticFit) else {}
        return f.fit(np.array(list(train)), np.array(list(train.values())), rng=rng, **kw).log_proba()

    train = dict(labels)
    added_by_round = []
    ticker = Ticker(progress, rounds + 1)                   # one unit per fit; ends early when no item is added
    while len(train) < model.n and len(added_by_round) < rounds:
        lp = fit(train)
        ticker.advance()
        conf = np.exp(lp.max(axis=1))
        new = [i for i in range(model.n) if i not in train and conf[i] > thr]
        added_by_round.append(len(new))
        if not new:
            break
        for i in new:
            train[i] = int(lp[i].argmax())
    lp = fit(train)
    ticker.finish()
    b = clamp(lp.argmax(axis=1).astype(np.int64), labels)
    return _done("self-training", b, ev, seed, _public(p), {"added_by_round": added_by_round,
                                                          "pseudo_labelled": len(train) - len(labels),
                                                          "pseudo_labels": {int(i): int(y) for i, y in train.items()
                                                                            if i not in labels}})


def entropy_min(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Grandvalet-Bengio entropy minimisation: minimise ``NLL(labels) + lam * sum_u H(p(. | x_u))``
    (``lam`` 1); without labels it picks the most confident fit (which may be any sharp concept)."""
    p = resolve("entropy-min", params, {"features": None, "l2": 1e-2, "lam": 1.0})
    lam = float(p["lam"])
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    ev = Evaluator(model)
    rng = np.random.default_rng(seed)
    idx = np.array(list(labels or {}), dtype=np.int64)
    ys = np.array(list((labels or {}).values()), dtype=np.int64)
    f = _fitter(model, ev, p, entropy=True)
    unl = free_items(model.n, labels or {})
    if isinstance(f, LogisticFit):
        f.W = rng.normal(0, 0.1, f.W.shape)                 # entropy is non-convex: seed-dependent start
    f.fit(idx, ys, unlabelled=unl, entropy_weight=lam, rng=rng)
    _one_shot(progress)
    lp = f.log_proba()
    b = clamp(lp.argmax(axis=1).astype(np.int64), labels)
    H = float(-(np.exp(lp[unl]) * lp[unl]).sum()) if unl.size else 0.0
    extras = {"fitter": type(f).__name__, "unlabelled_entropy": H}
    if isinstance(f, MixtureFit):
        extras["concept"] = f.concept
    return _done("entropy-min", b, ev, seed, _public(p), extras)


def _ccs_loss(theta, X, idx_i, idx_j):
    z = X @ theta[:-1] + theta[-1]
    pr = 1.0 / (1.0 + np.exp(-z))
    pi, pj = pr[idx_i], pr[idx_j]
    return float(np.mean((pi - (1 - pj)) ** 2 + np.minimum(pi, pj) ** 2))


def ccs(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """CCS-like probe on contrast pairs (``pairs`` ``(P, 2)`` or the ``exclusive`` pairs of
    ``constraints``); ``features`` default the zero-shot log-probabilities; ``restarts`` (4) random
    starts, the lowest loss kept. Labels, if given, only orient the probe's sign."""
    p = resolve("ccs", params, {"features": None, "pairs": None, "restarts": 4})
    if model.k != 2:
        raise ValueError(f"ccs needs binary behaviours (k = 2), got k = {model.k}")
    ev = Evaluator(model)
    rng = np.random.default_rng(seed)
    if p["pairs"] is not None:
        P = np.asarray(p["pairs"], dtype=np.int64).reshape(-1, 2)
    elif constraints is not None:
        P = constraints.pairs[[kd == "exclusive" for kd in constraints.kinds]]
    else:
        P = np.zeros((0, 2), dtype=np.int64)
    if P.size == 0:
        raise ValueError("ccs needs contrast pairs: pass pairs=(P, 2) or constraints with 'exclusive' pairs")
    V.index_array("pairs", np.unique(P), model.n)
    X = ev.zero_shot() if p["features"] is None else V.as_float_array("features", p["features"], ndim=2)
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-12)
    best = None
    restarts = V.positive_int("restarts", p["restarts"], 1)
    ticker = Ticker(progress, restarts)                     # one unit per random start
    for _ in range(restarts):
        res = minimize(_ccs_loss, rng.normal(0, 1, X.shape[1] + 1), args=(X, P[:, 0], P[:, 1]), method="L-BFGS-B")
        if best is None or res.fun < best.fun:
            best = res
        ticker.advance()
    ticker.finish()
    theta = best.x
    pr = 1.0 / (1.0 + np.exp(-(X @ theta[:-1] + theta[-1])))
    score = pr.copy()
    score[P[:, 0]] = 0.5 * (pr[P[:, 0]] + 1 - pr[P[:, 1]])
    score[P[:, 1]] = 0.5 * (pr[P[:, 1]] + 1 - pr[P[:, 0]])
    b = (score > 0.5).astype(np.int64)
    oriented = False
    if labels:
        idx, ys = _need_labels("ccs", labels)
        if (b[idx] == ys).mean() < ((1 - b[idx]) == ys).mean():
            b, oriented = 1 - b, True
    b = clamp(b, labels)
    return _done("ccs", b, ev, seed, _public(p), {"loss": float(best.fun),
                                                 "flipped_loss": _ccs_loss(-theta, X, P[:, 0], P[:, 1]),
                                                 "oriented_by_labels": oriented, "pairs": int(P.shape[0])})
