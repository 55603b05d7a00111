"""Searches that scale on a CPU: chunked context exclusion over a shared cached prefix.

Every search here reads conditionals through :meth:`LMPrior.chunk_conditionals`: the items at
``chunk`` consecutive positions of a random order are scored together, each given the
demonstrations of every item *outside* the chunk (the paper's "randomized context exclusion").
A sweep costs about ``n^2 / (2 chunk)`` demonstration tokens instead of the ``n^2 / 2`` of
exact leave-one-out, and ``chunk = 1`` is exact single-site leave-one-out. A fresh order is drawn
each sweep, so no pair of items is hidden from each other for good.

The objective is the coherence itself: ``Coh(b) = mean_s sum_t log P_M(b_{s(t)} | x_{s(t)};
b_{s(<t)})`` over ``orders`` fixed random orders ``s`` (prequential codelength in nats, one
forward pass of ``n`` demonstrations per order).

Methods (``CHUNKED``):

* ``bootstrap`` -- each chunk's labels become their conditional argmax given the others, under
  the constraint (Gauss-Seidel over chunks), until a sweep changes nothing;
* ``gibbs`` -- each chunk's labels are drawn from ``P^(1/tau)`` (unconstrained; several chains
  from random starts: the persona lock-in experiment, C4);
* ``icm`` -- ICM's released score ``U = alpha * mean_i s_i (log P(1|.) - log P(0|.)) - I(b)``
  over all items, with each chunk's conditional argmax as the proposal, accepted by Metropolis
  at ICM's temperature schedule (the pool growth of the released code is left out: every item
  is in the pool from the start);
* ``coherence`` -- ascent on ``Coh`` itself: the chunk's constrained argmax is proposed and kept
  only when the coherence increases.

Constraints (``constraint``, :data:`simulations.lm.tasks.constraints.CONSTRAINTS`; the same names mean the
same sets in every search, chunked or faithful, and in the API): ``none``; ``free-groups`` (labels as ``none``);
``balance`` (exactly ``floor(n/2)`` items labelled 1: excludes the constant labellings); and the
grouped relations of :mod:`simulations.lm.tasks.relations`: ``groups`` (exactly one item labelled 1
per ``consistency_id``: contrast pairs), ``at-most-one``, ``mirror-pairs`` and
``same-answer:FIELD``. :func:`project` maps per-item log-odds to the best labelling allowed
(exactly, group by group).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulations.search.progress import StderrBar, Ticker

from simulations.lm.tasks import relations as R
from simulations.lm.tasks.constraints import allows_every_labelling, check_constraint

CHUNKED = ("bootstrap", "gibbs", "icm", "coherence")


@dataclass(frozen=True)
class ChunkConfig:
    """``chunk`` items per context pass; ``sweeps`` over all items; ``orders`` for Coh;
    ``tau`` Gibbs temperature; ``chains`` Gibbs chains; ICM's ``alpha``, ``T0``, ``T_min``,
    ``decay``."""

    chunk: int = 8
    sweeps: int = 4
    orders: int = 2
    tau: float = 1.0
    chains: int = 1
    alpha: float = 50.0
    T0: float = 10.0
    T_min: float = 0.01
    decay: float = 2.0

    def __post_init__(self):
        for name in ("chunk", "sweeps", "orders", "chains"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        for name in ("tau", "alpha", "T0", "T_min", "decay"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive finite number, got {v!r}")


def project(odds, constraint: str, groups=None) -> np.ndarray:
    """The labelling in the constraint set that maximises ``sum_i b_i * odds_i``:

    ``none`` / ``free-groups`` -> ``odds > 0``; ``balance`` -> the ``floor(n/2)`` largest odds get
    1 (ties by index); a grouped relation -> in each group, the allowed pattern with the largest
    gain (:func:`simulations.lm.tasks.relations.project`: for ``groups`` the largest odds gets 1, for
    ``at-most-one`` the largest when it is positive)."""
    z = np.asarray(odds, dtype=float)
    check_constraint(constraint)
    if R.is_grouped(constraint):
        return R.project(z, constraint, groups)
    b = np.zeros(z.size, dtype=np.int64)
    if constraint == "balance":
        b[np.argsort(-z, kind="stable")[: z.size // 2]] = 1
    else:
        b[z > 0] = 1
    return b


def initial_labels(n: int, constraint: str, groups, rng) -> np.ndarray:
    """A random labelling allowed by the constraint (the projection of Gaussian log-odds)."""
    return project(rng.standard_normal(n), constraint, groups)


def violations(b, constraint: str, groups=None) -> int:
    """``I(b)``: how far ``b`` is from the constraint set (items over/under the balance count, or
    groups whose pattern the relation does not allow)."""
    b = np.asarray(b)
    check_constraint(constraint)
    if R.is_grouped(constraint):
        return R.violations(b, constraint, groups)
    if constraint == "balance":
        return int(abs(int(b.sum()) - b.size // 2))
    return 0


def coherence_orders(n: int, orders: int, seed: int) -> np.ndarray:
    """``orders`` random orders of ``n`` items, fixed by ``seed`` (the objective's orders)."""
    rng = np.random.default_rng([seed, 99])
    return np.stack([rng.permutation(n) for _ in range(orders)])


def polish_orders(n: int, orders: int, seed: int) -> np.ndarray:
    """``orders`` random orders of ``n`` items for the certified ascent's final selection and
    polish, and for the climb from gold (:mod:`simulations.lm.searches.certified`): a stream of their
    own (101), neither the chunked searches' orders nor the evaluation orders."""
    rng = np.random.default_rng([seed, 101])
    return np.stack([rng.permutation(n) for _ in range(orders)])


def rank_orders(n: int, orders: int, seed: int) -> np.ndarray:
    """``(orders, n)``: the orders of :func:`in_context_odds` in the polish and the climb from
    gold, fixed by ``seed``: a stream of their own (103)."""
    rng = np.random.default_rng([seed, 103])
    return np.stack([rng.permutation(n) for _ in range(orders)])


#: the random streams of the fresh orders: the polish's confirmations, and the fresh check's
#: screen and confirmations (:mod:`simulations.lm.searches.fresh_check`)
CONFIRM_STREAM, SCREEN_STREAM, FRESH_CONFIRM_STREAM = 107, 109, 113


def confirmation_orders(n: int, orders: int, seed: int, step: int, stream: int = CONFIRM_STREAM) -> np.ndarray:
    """``(orders, n)``: the fresh orders on which step ``step`` of a polish or a climb from gold
    confirms a move (:func:`simulations.lm.searches.certified.confirmation`): a stream of their own
    (``stream``, 107 by default) and new orders at every step, so no move is confirmed on the orders
    it was chosen on. The rows are prefix-stable: the first ``k`` of ``orders`` rows do not depend
    on ``orders``."""
    rng = np.random.default_rng([seed, stream, step])
    return np.stack([rng.permutation(n) for _ in range(orders)])


def in_context_odds(prior, b, chunk: int, orders) -> np.ndarray:
    """``(n,)`` in-context log-odds (nats) of every item at labelling ``b``: ``log P(1) - log
    P(0)`` of each chunk of ``chunk`` consecutive items of an order given the demonstrations of
    every item outside it, labelled by ``b`` (one pass over the chunks, as a sweep of the chunked
    searches computes them), averaged over the rows of ``orders`` (one order: a 1-d array). They
    rank a local search's moves by what the context favours at ``b``, where the zero-shot
    log-odds know nothing of ``b``; one order's chunks make them noisy, so several are averaged."""
    b = np.asarray(b, dtype=np.int64)
    S = np.atleast_2d(np.asarray(orders))
    c = max(1, min(int(chunk), S.shape[1]))
    out = np.zeros(S.shape)
    for r, s in enumerate(S):
        for a in range(0, s.size, c):
            lc = prior.chunk_conditionals(b, s, a, c)
            out[r, s[a:a + c]] = lc[:, 1] - lc[:, 0]
    return out.mean(axis=0)


def run_chunked(method: str, prior, *, constraint: str = "none", groups=None, seed: int = 0,
                config: ChunkConfig = ChunkConfig(), quiet: bool = True, init=None) -> dict:
    """Run one chunked search; returns ``{labels, coherence, trace, accepted, sweeps_run,
    chains_final}`` (coherence in nats over :func:`coherence_orders`). ``init`` is the start of
    every chain (a labelling allowed by the constraint; default: random allowed labellings)."""
    if method not in CHUNKED:
        raise ValueError(f"method must be one of {CHUNKED}, got {method!r}")
    check_constraint(constraint)
    if R.is_grouped(constraint) and groups is None:
        raise ValueError(f"constraint {constraint!r} needs the task's consistency groups")
    if method == "gibbs" and not allows_every_labelling(constraint):
        raise ValueError("gibbs samples the unconstrained conditionals; use constraint 'none'")
    n, c = prior.n, min(config.chunk, prior.n)
    rng = np.random.default_rng(seed)
    S = coherence_orders(n, config.orders, seed)

    def coh(b):
        return float(prior.coherence_over_orders(b, S).mean())

    chains = config.chains if method == "gibbs" else 1
    B = np.stack([initial_labels(n, constraint, groups, rng) for _ in range(chains)])
    if init is not None:
        init = np.asarray(init, dtype=np.int64)
        if init.shape != (n,) or not np.isin(init, (0, 1)).all() or violations(init, constraint, groups):
            raise ValueError(f"init must be a 0/1 labelling of the {n} items allowed by constraint {constraint!r}")
        B[:] = init
    odds = np.zeros((chains, n))
    cur = [coh(B[0])] if method in ("coherence", "icm") else [None]
    icm_U = None
    accepted, flips, trace, steps = 0, 0, [], 0
    bar = None if quiet else StderrBar(f"lm {method}")
    ticker = Ticker(bar, config.sweeps * math.ceil(n / c) * chains)   # one unit per chunk pass
    sweeps_run = 0
    for sweep in range(config.sweeps):
        changed = 0
        for ch in range(chains):
            order = rng.permutation(n)
            for a in range(0, n, c):
                items = order[a:a + c]
                lc = prior.chunk_conditionals(B[ch], order, a, c)
                odds[ch, items] = lc[:, 1] - lc[:, 0]
                old = B[ch].copy()
                if method == "gibbs":
                    z = lc / config.tau
                    p1 = 1.0 / (1.0 + np.exp(z[:, 0] - z[:, 1]))
                    B[ch, items] = (rng.random(items.size) < p1).astype(np.int64)
                else:
                    free = allows_every_labelling(constraint)
                    prop = project(odds[ch], constraint, groups) if not free else old.copy()
                    if free:
                        prop[items] = (odds[ch, items] > 0).astype(np.int64)
                    if method == "bootstrap":
                        B[ch] = prop
                    elif not np.array_equal(prop, old):
                        if method == "coherence":
                            new = coh(prop)
                            if new > cur[0]:
                                B[ch], cur[0] = prop, new
                                accepted += 1
                        else:  # icm: released score over all items, Metropolis at ICM's schedule
                            if icm_U is None:
                                icm_U = _icm_score(prior, B[ch], order, c, config.alpha, constraint, groups)
                            U = _icm_score(prior, prop, order, c, config.alpha, constraint, groups)
                            T = max(config.T_min, config.T0 / (1 + config.decay * math.log1p(steps)))
                            if U >= icm_U or rng.random() < math.exp((U - icm_U) / T):
                                B[ch], icm_U = prop, U
                                accepted += 1
                        steps += 1
                changed += int(np.sum(B[ch] != old))
                ticker.advance()
            trace.append(B[0].copy().tolist() if ch == 0 else None)
        flips += changed
        sweeps_run = sweep + 1
        if method in ("bootstrap", "coherence") and changed == 0:
            break
    ticker.finish()
    if bar is not None:
        bar.close()
    final = coh(B[0])
    return {"labels": B[0].copy(), "coherence": final, "accepted": accepted, "sweeps_run": sweeps_run,
            "flips": flips, "trace": [t for t in trace if t is not None], "chains_final": B.copy(),
            "orders": S}


def _icm_score(prior, b, order, c, alpha, constraint, groups) -> float:
    """ICM's released score on all items, with chunked conditionals: ``alpha * mean_i s_i
    (log P(1|.) - log P(0|.)) - I(b)`` (nats per item, minus violations)."""
    lc = prior.context_conditionals(b, order, c)
    s = np.where(np.asarray(b) == 1, 1.0, -1.0)
    return float(alpha * np.mean(s * (lc[:, 1] - lc[:, 0])) - violations(b, constraint, groups))
