"""Local search on Coh that keeps a constraint, and the certificate of its end point.

A *move* changes a labelling ``b`` into another labelling of the same constraint set:

* ``none`` -- flip one item;
* ``balance`` -- swap one item labelled 1 with one labelled 0 (the count stays ``floor(n/2)``);
* a grouped relation (``groups``, ``at-most-one``, ``mirror-pairs``, ``same-answer:FIELD``) --
  replace one group's pattern by another the relation allows (for ``groups``: move the group's
  single 1; for ``at-most-one``: that, or clear the 1, or set one in a group that has none).

:func:`climb` takes the first improving move among the ``max_checks`` most promising ones (ranked
by the per-item log-odds ``odds``: a move whose new ones have high odds and whose new zeros have
low odds first) until none improves. ``odds`` may be fixed (the zero-shot log-odds) or a function
of the current labelling, evaluated at every step: the in-context log-odds of each item given the
others' current labels (:func:`simulations.lm.searches.chunked.in_context_odds`), which rank the
moves the objective itself favours there. Its end carries a **certificate**: ``no improving move among
M checked`` of the ``total`` moves there are (all of them when ``M = total``). The objective is
any ``f(b) -> float`` (nats); :func:`simulations.lm.results.diagnose` uses Coh over the search's orders.
"""
from __future__ import annotations

import numpy as np

from simulations.lm.tasks.constraints import check_constraint
from simulations.lm.tasks.relations import is_grouped
from simulations.lm.tasks.relations import moves as grouped_moves

#: moves checked per climbing step, by default (the certificate's sample when moves are many)
CHECKS = 8
#: moves a climb takes at most, by default: each costs a full Coh evaluation per check, about
#: 1,300 tokens (4 s on one CPU core) at n = 64, so an uncapped climb from gold can take an hour
STEPS = 8


def moves(b, constraint: str, groups=None) -> np.ndarray:
    """``(M, n)``: every labelling one move away from ``b`` within ``constraint``: a flip (``none``,
    ``free-groups``), a swap of a 1 and a 0 (``balance``), or another allowed pattern of one group
    (the grouped relations, :func:`simulations.lm.tasks.relations.moves`)."""
    b = np.asarray(b, dtype=np.int64)
    n = b.size
    check_constraint(constraint)
    if is_grouped(constraint):
        return grouped_moves(b, constraint, groups)
    out = []
    if constraint == "balance":
        ones, zeros = np.flatnonzero(b == 1), np.flatnonzero(b == 0)
        for i in ones:
            for j in zeros:
                c = b.copy()
                c[i], c[j] = 0, 1
                out.append(c)
    else:
        out = [np.where(np.arange(n) == i, 1 - b, b) for i in range(n)]
    return np.array(out, dtype=np.int64).reshape(-1, n)


def rank(candidates, b, odds) -> np.ndarray:
    """Indices of ``candidates`` by their linear gain ``sum_i (c_i - b_i) odds_i``, largest first
    (ties by index): the moves the per-item conditionals favour come first."""
    gain = (np.asarray(candidates) - np.asarray(b)[None, :]) @ np.asarray(odds, dtype=float)
    return np.argsort(-gain, kind="stable")


def climb(objective, b, constraint: str, groups=None, odds=None, *, max_checks: int = CHECKS, max_steps: int = STEPS,
          tol: float = 1e-9, confirm=None) -> dict:
    """Hill-climb ``objective`` from ``b`` over moves that keep ``constraint``.

    Each step evaluates the ``max_checks`` best-ranked moves (:func:`rank` by ``odds``, an ``(n,)``
    array or a function ``b -> (n,)`` called with the step's current labelling; all moves when
    there are fewer) in rank order and takes the **first** that improves by more than ``tol`` nats (the
    ranking puts likely improvements first, so a step usually costs a few evaluations, not
    ``max_checks``). The climb ends when a whole pass finds no improving move, or after
    ``max_steps`` moves. Returns ``{labels, value, start_value, steps, certificate: {checked,
    total, improving}}``: when ``improving == 0``, none of the ``checked`` moves improves at the
    end, which covers every move when ``checked == total``; ``improving == 1`` (with ``steps ==
    max_steps``) says the step cap stopped the climb, so the end is not certified.

    ``confirm`` (``(candidate, current, step) -> bool``), when given, must also accept a move that
    improves ``objective`` before it is taken: the first improving move among several checked on
    the same orders is flattered by them (the winner's curse), so a second opinion on other
    orders keeps noise from being climbed. A move it refuses counts as not improving; the
    certificate then also gives ``unconfirmed``, the moves of the last pass that improved
    ``objective`` but were refused."""
    b = np.asarray(b, dtype=np.int64).copy()
    fixed = None if callable(odds) else (np.zeros(b.size) if odds is None else np.asarray(odds, dtype=float))

    def odds_at(current):
        return fixed if fixed is not None else np.asarray(odds(current), dtype=float)

    value = start = float(objective(b))
    steps = 0
    while True:
        cand = moves(b, constraint, groups)
        total = int(cand.shape[0])
        picked = rank(cand, b, odds_at(b))[:max_checks] if total else np.zeros(0, dtype=np.int64)
        better, refused = None, 0
        for checked, m in enumerate(picked, start=1):
            v = float(objective(cand[m]))
            if v > value + tol:
                if confirm is not None and not confirm(cand[m], b, steps):
                    refused += 1
                    continue
                better = (cand[m].copy(), v)
                break
        if better is None or steps >= max_steps:
            cert = {"checked": int(picked.size) if better is None else checked, "total": total,
                    "improving": 0 if better is None else 1}
            if confirm is not None:
                cert["unconfirmed"] = refused
            return {"labels": b, "value": value, "start_value": start, "steps": steps, "certificate": cert}
        b, value = better
        steps += 1
