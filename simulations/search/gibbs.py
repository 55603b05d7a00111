"""Gibbs sampling over behaviour vectors with the model's leave-one-out conditionals (C1, C4).

One update of item ``i`` draws ``b_i ~ P_tau(y) oc exp((log P_M(b_i = y | x_i; D_i) - w * I_i(y)) / tau)``
where ``D_i`` is every other item (``gibbs``, ``annealed-gibbs``) or a uniformly random fraction
``rho`` of them (``gibbs-rho``: the training-friendly variant with randomized context exclusion),
``I_i(y)`` counts the constraint violations involving ``i`` if ``b_i = y`` and ``w`` is
``constraint_weight``. For compatible conditionals (a joint prior) and ``w = 0`` the stationary
law is ``Q_tau(b) oc exp(Coh(b) / tau)`` (Theorem 4.2); :func:`theory.markov.transition_matrix`
builds the exact kernel for small ``n``. ``tau -> 0`` turns the update into the argmax (bootstrap).

Fast path: a prior that offers ``gibbs_chains(B)`` (:class:`~theory.concept_mixture.ConceptMixture`
does, through :class:`~simulations.search.mixture_chains.MixtureChains`) is updated incrementally,
``O(K)`` per update, vectorised over parallel chains.
"""
from __future__ import annotations

import numpy as np

from theory import validation as V
from theory.markov import context_size, tempered

from .result import Evaluator, SearchResult, Trace, clamp, free_items, resolve, trace_interval
from .mixture_chains import MixtureChains
from .progress import Ticker
from .sampling import draw, initial_state, schedule


DEFAULTS = {"sweeps": 50, "tau": 1.0, "scan": "random", "chains": 1, "init": "random", "rho": 1.0,
             "constraint_weight": 1.0, "trace_every": None, "fast": True}


def _run(name, model, labels, constraints, seed, p, tau_of, progress) -> SearchResult:
    rng = np.random.default_rng(seed)
    n = model.n
    sweeps = V.positive_int("sweeps", p["sweeps"], 0)
    C = V.positive_int("chains", p["chains"], 1)
    if p["scan"] not in ("random", "systematic"):
        raise ValueError(f"scan must be 'random' or 'systematic', got {p['scan']!r}")
    size = context_size(p["rho"], n)
    w = V.non_negative("constraint_weight", p["constraint_weight"])
    ev = Evaluator(model)
    B = clamp(initial_state(model, p["init"], C, rng, ev), labels)
    free = free_items(n, labels)
    every = trace_interval(model, p["trace_every"])
    trace = Trace(ev, every)
    cons = constraints if (constraints is not None and w != 0) else None

    def score(b):
        return float(ev.joint(b[None])[0]) - (w * float(cons.violations(b)) if cons is not None else 0.0)

    trace.record(0, B[0], score(B[0]), force=True)
    mixture = model.concept_structure() if p["fast"] and size == n - 1 else None
    fast = mixture is not None
    chains = MixtureChains(mixture, B) if fast else None
    accepted = 0
    ticker = Ticker(progress, sweeps)                                             # one unit per sweep
    for sweep in range(sweeps):
        tau = tau_of(sweep)
        if free.size == 0:
            break
        if p["scan"] == "systematic":
            items = np.broadcast_to(rng.permutation(free)[:, None], (free.size, C))
        elif fast:
            items = free[rng.integers(0, free.size, size=(free.size, C))]
        else:
            items = np.broadcast_to(free[rng.integers(0, free.size, size=free.size)][:, None], (free.size, C))
        us = rng.random((free.size, C))
        for t in range(free.size):
            it = items[t]
            extra = None
            if cons is not None:
                cur = chains.B if fast else B
                extra = -w * cons.item_violations(cur, it)                        # (C, k)
            if fast:
                accepted += chains.step(np.ascontiguousarray(it), tau, us[t], extra)
                ev.count += C
                continue
            i = int(it[0])
            others = np.delete(np.arange(n), i)
            demos = others if size == n - 1 else np.sort(rng.choice(others, size=size, replace=False))
            lc = ev.conditional(B, i, demos)
            if extra is not None:
                lc = lc + extra
            prob = tempered(lc, tau)
            new = draw(prob, rng) if tau > 0 else prob.argmax(axis=-1)
            accepted += int((new != B[:, i]).sum())
            B[:, i] = new
        if every and (sweep + 1) % every == 0:
            b0 = chains.B[0].astype(np.int64) if fast else B[0]
            trace.record(sweep + 1, b0, score(b0))
        ticker.advance()
    ticker.finish()
    if fast:
        B = chains.B.astype(np.int64)
    trace.finish(sweeps, B[0], score(B[0]))
    coh, sc, steps = trace.arrays()
    extras = {"trace_steps": steps, "trace_evaluations": ev.trace_count, "fast_path": bool(fast),
              "score": "Coh - constraint_weight * violations (chain 0, nats)",
              "final_tau": tau_of(max(sweeps - 1, 0)), "updates": int(sweeps * free.size * C)}
    if C > 1:
        extras["chains_final"] = B
    if constraints is not None:
        extras["violations"] = int(constraints.violations(B[0]))
    return SearchResult(behaviours=B[0].astype(np.int64), coherence_trace=coh, score_trace=sc, accepted=accepted,
                        evaluations=ev.count, method=name, seed=seed, params=p, extras=extras)


def gibbs(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Tempered Gibbs at fixed ``tau`` (params: ``sweeps`` (each = #free items updates), ``tau``,
    ``scan`` "random"|"systematic", ``chains`` (parallel; chain 0 is reported, all in
    ``extras["chains_final"]``), ``init``, ``constraint_weight``, ``trace_every`` (sweeps; None =
    every sweep for closed-form priors, else only start and end), ``fast``)."""
    p = resolve("gibbs", params, {**DEFAULTS})
    if float(p["rho"]) != 1.0:
        raise ValueError("gibbs uses every other item as context; use method 'gibbs-rho' for rho < 1")
    tau = V.non_negative("tau", p["tau"])
    return _run("gibbs", model, labels, constraints, seed, p, lambda t: tau, progress)


def annealed_gibbs(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Gibbs with ``tau`` following ``schedule`` "log" (``tau0 / (1 + rate log(1 + t))``) or "exp"
    (``tau0 rate^t``), floored at ``tau_min``; the last sweep is run at ``tau = 0`` (greedy) when
    ``finish_greedy`` so the result is a single-flip local maximum."""
    d = {**DEFAULTS, "sweeps": 100, "schedule": "exp", "tau0": 2.0, "tau_min": 0.01, "rate": None,
         "finish_greedy": True}
    d.pop("tau")
    p = resolve("annealed-gibbs", params, d)
    sweeps = V.positive_int("sweeps", p["sweeps"], 1)
    sched = schedule(p["schedule"], p["tau0"], p["tau_min"], sweeps, p["rate"])
    greedy = bool(p["finish_greedy"])
    def tau_of(t):
        return 0.0 if (greedy and t == sweeps - 1) else sched(t)
    return _run("annealed-gibbs", model, labels, constraints, seed, p, tau_of, progress)


def gibbs_rho(model, *, labels=None, constraints=None, seed=0, progress=None, **params) -> SearchResult:
    """Training-friendly Gibbs: each update conditions on a fresh uniformly random subset of
    ``ceil(rho (n - 1))`` other items (index order kept), at temperature ``tau``."""
    p = resolve("gibbs-rho", params, {**DEFAULTS, "rho": 0.5})
    tau = V.non_negative("tau", p["tau"])
    return _run("gibbs-rho", model, labels, constraints, seed, p, lambda t: tau, progress)
