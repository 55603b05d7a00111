"""The fresh check: a local search's end tested again on orders it was not chosen on.

The certified ascent's polish (:mod:`simulations.lm.searches.certified`) and the climb from gold
(:func:`simulations.lm.results.landscape.gold_climb`) check their moves on one fixed set of
polish orders. Their end is flattered there: it was picked as the best of several starts on
those orders, and each move that led to it won on them. So a move the end's neighbourhood truly
rewards can read as a loss there. On Gemma-3-270m's ``polarity-random-pairs`` (n = 64, seed 1) the
certified end (accuracy 0.906, three pairs from gold) ranked the move towards gold first, yet it
read -0.30 +- 1.03 nats on the 8 polish orders and +1.26 +- 0.53 on 8 fresh ones; the end lay
2.78 [1.11, 4.45] nats below gold on 24 evaluation orders, a search failure (docs/lm.md; the
numbers are recomputed by ``tests/test_lm_fresh_check.py``).

:func:`fresh_climb` climbs from an end with the same moves in the same order
(:func:`~simulations.lm.searches.local_climb.moves`, ranked by ``odds``), judging each candidate
on fresh orders only, new at every step:

1. a **screen** (:func:`screen`) on the step's screen orders (stream 109): the candidate's paired
   gain over the current labelling, looked at on 4, 8, ... up to ``orders`` orders; it is
   refused as soon as its mean gain is not positive, and passes once the mean exceeds
   :data:`SCREEN_T` standard errors. The first look has 4 orders, not 2: on that Gemma cell the
   move towards gold read -0.58 +- 0.74 nats on the first 2 screen orders and +1.26 +- 0.53 on 8;
2. a **confirmation** of a candidate that passed, on ``confirm`` other fresh orders (stream 113,
   :func:`~simulations.lm.searches.certified.confirmation`): the first of several candidates to
   pass a screen on shared orders is flattered by them, as the polish's moves are.

The first candidate that passes both is taken. The climb ends when no checked candidate passes,
with a certificate: ``no candidate among M checked passes on fresh orders``.
"""
from __future__ import annotations

import numpy as np

from simulations.lm.searches.chunked import SCREEN_STREAM, confirmation_orders
from simulations.lm.searches.local_climb import CHECKS, STEPS, moves, rank

#: most screen orders a candidate is looked at on, by default (0: no fresh check)
FRESH_ORDERS = 16
#: screen orders of the first look (then doubled); with 2 a true gain of 1.5 nats at Gemma's
#: order-to-order spread (about 2 nats) reads as a loss one time in six
FIRST_LOOK = 4
#: a candidate passes the screen when its mean paired gain exceeds this many standard errors
SCREEN_T = 2.0
#: fresh orders confirming a candidate that passed its screen
FRESH_CONFIRM = 8


def check_fresh_orders(orders) -> int:
    """``orders`` if it is 0 (no fresh check) or a power of two from :data:`FIRST_LOOK` on, else a
    ``ValueError`` naming the setting and its range."""
    ok = not isinstance(orders, bool) and isinstance(orders, int) and (
        orders == 0 or (orders >= FIRST_LOOK and orders & (orders - 1) == 0))
    if not ok:
        raise ValueError(f"fresh orders must be 0 (no fresh check) or a power of two >= {FIRST_LOOK}, got {orders!r}")
    return orders


def screen(coherence, candidate, current: dict, orders) -> dict:
    """The sequential screen of one ``candidate`` against the current labelling on the rows of
    ``orders`` (the step's screen orders): looks at the first 4, 8, ... rows, refusing when the mean
    paired gain ``Coh(candidate) - Coh(current)`` (nats) is not positive and passing when it
    exceeds :data:`SCREEN_T` standard errors. ``coherence(b, orders)``: per-order Coh (nats);
    ``current``: ``{"labels", "per_order"}``, the current labelling and its per-order Coh on the
    first rows (extended here as the looks need, shared by the step's candidates). Returns
    ``{passed, gain, se, orders}``."""
    S = np.asarray(orders)
    cand = np.zeros(0)
    k = min(FIRST_LOOK, S.shape[0])
    while True:
        have = len(current["per_order"])
        if have < k:
            current["per_order"] = np.concatenate([current["per_order"], coherence(current["labels"], S[have:k])])
        cand = np.concatenate([cand, coherence(np.asarray(candidate, dtype=np.int64), S[cand.size:k])])
        d = cand - current["per_order"][:k]
        m, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(k))
        if m <= 0 or m > SCREEN_T * se or k >= S.shape[0]:
            return {"passed": bool(m > 0 and m > SCREEN_T * se), "gain": m, "se": se, "orders": k}
        k = min(2 * k, S.shape[0])


def fresh_climb(prior, b, constraint: str, groups=None, odds=None, *, seed: int = 0, orders: int = FRESH_ORDERS,
                confirm=None, max_checks: int = CHECKS, max_steps: int = STEPS) -> dict:
    """Climb from ``b`` over the moves that keep ``constraint``, each step taking the first of the
    ``max_checks`` best-ranked moves (``odds``: ``(n,)`` or a function of the current labelling, as
    :func:`~simulations.lm.searches.local_climb.climb` ranks them) that passes :func:`screen` on the
    step's ``orders`` fresh screen orders and is accepted by ``confirm`` (``(candidate, current,
    step) -> bool``, the confirmation on other fresh orders; ``None``: none; the certified search
    passes :data:`FRESH_CONFIRM` orders of stream 113,
    :func:`~simulations.lm.searches.certified.run_fresh_check`).

    Returns ``{labels, steps, certificate: {checked, total, improving, screened, unconfirmed,
    orders}}``: ``improving == 0`` says no checked candidate passed at the end (``screened`` of
    them passed the screen but not the confirmation); ``improving == 1`` says ``max_steps``
    stopped the climb. ``orders == 0`` returns ``b`` unchanged with no certificate."""
    b = np.asarray(b, dtype=np.int64).copy()
    if check_fresh_orders(orders) == 0:
        return {"labels": b, "steps": 0, "certificate": None}
    steps = 0
    while True:
        cand = moves(b, constraint, groups)
        total = int(cand.shape[0])
        rank_by = odds(b) if callable(odds) else (np.zeros(b.size) if odds is None else odds)
        picked = rank(cand, b, np.asarray(rank_by, dtype=float))[:max_checks] if total else np.zeros(0, np.int64)
        S = confirmation_orders(prior.n, orders, seed, steps, SCREEN_STREAM)
        current = {"labels": b, "per_order": np.zeros(0)}
        taken, passed, checked = None, 0, 0
        for checked, m in enumerate(picked, start=1):
            if not screen(prior.coherence_over_orders, cand[m], current, S)["passed"]:
                continue
            if confirm is not None and not confirm(cand[m], b, steps):
                passed += 1
                continue
            taken = cand[m].copy()
            break
        if taken is None or steps >= max_steps:
            cert = {"checked": int(checked), "total": total, "improving": 0 if taken is None else 1,
                    "screened": passed, "orders": orders}
            return {"labels": b, "steps": steps, "certificate": cert}
        b = taken
        steps += 1
