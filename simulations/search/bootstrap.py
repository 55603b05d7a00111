"""Bootstrap: relabel items with their leave-one-out argmax and feed the labels back (C1).

* ``bootstrap`` (sequential): items one at a time, ``b_i <- argmax_y [log P_M(b_i = y | rest) -
  w I_i(y)]``, keeping the current value unless another is *strictly* better. For a joint prior
  and ``w = 0`` each move multiplies ``P(b)`` by ``P(y | rest) / P(b_i | rest) >= 1``: zero-temperature
  coordinate ascent, monotone in coherence, whose fixed points are exactly the single-flip local
  maxima. Stops after a sweep with no change.
* ``bootstrap-sync`` (the in-context recipe: one round's few-shot predictions are the next round's
  demonstrations): every item is relabelled from the previous round's labels at once; it can
  cycle (reported in ``extras["cycle_length"]``).
* ``bootstrap-train``: each round fits a parametric model to all current labels
  (:mod:`simulations.search.fitting`) and relabels every item with the fitted argmax.
"""
from __future__ import annotations

import numpy as np

from theory import validation as V
from theory.enumeration import encode

from .fitting import make_fitter
from .mixture_chains import MixtureChains
from .progress import Ticker
from .result import Evaluator, SearchResult, Trace, clamp, free_items, resolve, trace_interval

KEEP_TOL = 1e-12


def _init(model, init, rng, ev, labels):
    if isinstance(init, str):
        if init == "zero-shot":
            b = ev.zero_shot().argmax(axis=1).astype(np.int64)
        elif init == "random":
            b = rng.integers(0, model.k, size=model.n)
        else:
            raise ValueError(f"init must be 'zero-shot', 'random' or a behaviour vector, got {init!r}")
    else:
        b = V.behaviours(np.asarray(init), model.n, model.k, name="init").reshape(model.n).astype(np.int64).copy()
    return clamp(b, labels)


def _choose(lc: np.ndarray, current: int) -> int:
    """Argmax, keeping ``current`` unless another value is strictly better."""
    best = int(np.argmax(lc))
    return current if lc[current] >= lc[best] - KEEP_TOL else best


def _result(name, b, trace, ev, seed, p, accepted, extras):
    coh, sc, steps = trace.arrays()
    extras = {"trace_steps": steps, "trace_evaluations": ev.trace_count, **extras}
    return SearchResult(behaviours=b.astype(np.int64), coherence_trace=coh, score_trace=sc, accepted=accepted,
                        evaluations=ev.count, method=name, seed=seed, params=p, extras=extras)


def bootstrap(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Sequential bootstrap (params ``sweeps`` max 100, ``order`` "random"|"index", ``init``
    "zero-shot"|"random"|vector, ``constraint_weight`` 1, ``trace_every`` in moves, ``fast``).
    ``extras["fixed_point"]``: whether the last sweep changed nothing."""
    p = resolve("bootstrap", params, {"sweeps": 100, "order": "random", "init": "zero-shot",
                                      "constraint_weight": 1.0, "trace_every": None, "fast": True})
    rng = np.random.default_rng(seed)
    ev = Evaluator(model)
    b = _init(model, p["init"], rng, ev, labels)
    free = free_items(model.n, labels)
    w = V.non_negative("constraint_weight", p["constraint_weight"])
    cons = constraints if (constraints is not None and w != 0) else None
    every = trace_interval(model, p["trace_every"])
    trace = Trace(ev, every)
    score = (lambda v: -w * float(cons.violations(v))) if cons is not None else (lambda v: 0.0)
    trace.record(0, b, score(b), force=True)
    mixture = model.concept_structure() if p["fast"] else None
    chain = MixtureChains(mixture, b[None]) if mixture is not None else None
    moves = accepted = 0
    fixed = False
    sweep = -1
    sweeps = V.positive_int("sweeps", p["sweeps"], 0)
    ticker = Ticker(progress, sweeps)                       # one unit per sweep; a fixed point ends early
    for sweep in range(sweeps):
        if p["order"] == "random":
            order = rng.permutation(free)
        elif p["order"] == "index":
            order = free
        else:
            raise ValueError(f"order must be 'random' or 'index', got {p['order']!r}")
        changed = 0
        for i in order:
            if chain is not None:
                lc = chain.log_conditional(np.array([i]))[0]
                ev.count += 1
            else:
                lc = ev.loo_item(b[None], i)[0]
            if cons is not None:
                lc = lc - w * cons.item_violations(b[None], [i])[0]
            y = _choose(lc, int(b[i]))
            moves += 1
            if y != b[i]:
                b[i] = y
                changed += 1
                if chain is not None:
                    chain.set(np.array([i]), np.array([y]))
            trace.record(moves, b, score(b))
        accepted += changed
        ticker.advance()
        if changed == 0:
            fixed = True
            break
    ticker.finish()
    trace.finish(moves, b, score(b))
    extras = {"fixed_point": fixed, "sweeps_run": sweep + 1,
              "score": "-constraint_weight * violations (the coherence trace is the ascent objective)"}
    if constraints is not None:
        extras["violations"] = int(constraints.violations(b))
    return _result("bootstrap", b, trace, ev, seed, p, accepted, extras)


def _cycle_run(name, model, labels, seed, p, ev, b, relabel, progress):
    """Iterate ``b <- relabel(b)`` on the free items until a fixed point or a repeated state."""
    free = free_items(model.n, labels)
    every = trace_interval(model, p["trace_every"])
    trace = Trace(ev, every)
    trace.record(0, b, force=True)
    seen = {int(encode(b, model.k)) if model.n <= 62 else b.tobytes(): 0}
    accepted, cycle, r = 0, None, 0
    rounds = V.positive_int("rounds", p["rounds"], 0)
    ticker = Ticker(progress, rounds)                       # one unit per round; a fixed point or cycle ends early
    for r in range(1, rounds + 1):
        new = b.copy()
        new[free] = relabel(b)[free]
        accepted += int((new != b).sum())
        b = new
        trace.record(r, b)
        ticker.advance()
        key = int(encode(b, model.k)) if model.n <= 62 else b.tobytes()
        if key in seen:
            cycle = r - seen[key]
            break
        seen[key] = r
    ticker.finish()
    trace.finish(r, b)
    extras = {"rounds_run": r, "fixed_point": cycle == 1, "cycled": cycle is not None and cycle > 1,
              "cycle_length": cycle or 0, "score": "none (nan)"}
    return _result(name, b, trace, ev, seed, p, accepted, extras)


def bootstrap_sync(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Synchronous bootstrap: ``b <- argmax_y log P_M(b_i = y | previous round's other labels)``
    for every free item at once (params ``rounds`` 50, ``init``, ``trace_every``). Stops at a
    fixed point or the first repeated state; ``extras["cycle_length"]`` (1 = fixed point)."""
    p = resolve("bootstrap-sync", params, {"rounds": 50, "init": "zero-shot", "constraint_weight": 1.0,
                                           "trace_every": None})
    rng = np.random.default_rng(seed)
    ev = Evaluator(model)
    b = _init(model, p["init"], rng, ev, labels)
    w = V.non_negative("constraint_weight", p["constraint_weight"])

    def relabel(v):
        lc = ev.loo(v[None])[0]
        if constraints is not None and w:
            lc = lc - w * constraints.item_violations(np.broadcast_to(v, (model.n, model.n)), np.arange(model.n))
        return np.array([_choose(lc[i], int(v[i])) for i in range(model.n)])

    return _cycle_run("bootstrap-sync", model, labels, seed, p, ev, b, relabel, progress)


def bootstrap_train(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Training bootstrap: fit a parametric model (``features`` -> logistic regression with ``l2``;
    a concept mixture -> MAP concept; otherwise in-context) to every current label, relabel every
    free item with the fitted argmax; ``rounds`` 50, ``init`` "zero-shot"."""
    p = resolve("bootstrap-train", params, {"rounds": 50, "init": "zero-shot", "features": None, "l2": 1e-2,
                                            "trace_every": None})
    rng = np.random.default_rng(seed)
    ev = Evaluator(model)
    b = _init(model, p["init"], rng, ev, labels)
    fitter = make_fitter(model, ev, p["features"], p["l2"])
    everything = np.arange(model.n)

    def relabel(v):
        return fitter.fit(everything, v, rng=rng).log_proba().argmax(axis=1)

    res = _cycle_run("bootstrap-train", model, labels, seed, p, ev, b, relabel, progress)
    res.params = ({k: v for k, v in p.items() if k != "features"}
                  | {"features": None if p["features"] is None else "given"})
    res.extras["fitter"] = type(fitter).__name__
    return res
