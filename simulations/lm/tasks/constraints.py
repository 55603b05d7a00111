"""The constraint names of ``coherence lm`` and what each gives away on its own.

A constraint is named by one of :data:`CONSTRAINTS`; the same name means the same set of
labellings in every search, chunked or faithful, and in the API: ``none``; ``free-groups``
(labels as ``none``); ``balance`` (exactly ``floor(n/2)`` items labelled 1: excludes the constant
labellings); and the grouped relations of :mod:`simulations.lm.tasks.relations`: ``groups``
(exactly one item labelled 1 per ``consistency_id``: contrast pairs), ``at-most-one``,
``mirror-pairs`` and ``same-answer:FIELD``. The searches' projection onto a constraint set is
:func:`simulations.lm.searches.chunked.project`; which constraint a run uses is decided in
:mod:`simulations.lm.tasks.constraint_choice`.
"""
from __future__ import annotations

import numpy as np

from simulations.lm.tasks import relations as R

CONSTRAINTS = ("none", "free-groups", "balance", "groups", "at-most-one", "mirror-pairs", "same-answer:FIELD")
#: the constraints that read the consistency groups (by base name: ``same-answer`` takes a field)
GROUPED = R.GROUPED_RELATIONS


def allows_every_labelling(constraint: str) -> bool:
    """Whether ``constraint`` allows every labelling (``none``, and ``free-groups``, whose groups
    only name items): then the constants ``all-0`` and ``all-1`` are reachable, so they are starts
    of the certified ascent and a search that ends below one has failed (R6)."""
    return check_constraint(constraint) in ("none", "free-groups")


def check_constraint(constraint: str) -> str:
    """``constraint`` itself when it names one of :data:`CONSTRAINTS` (``same-answer`` with a
    non-empty field); ValueError naming the choices otherwise."""
    b, field = R.base(constraint), R.field_of(constraint)
    if constraint in ("none", "free-groups", "balance") or (
            b in GROUPED and (bool(field) if b == "same-answer" else field is None)):
        return constraint
    raise ValueError(f"constraint must be one of {list(CONSTRAINTS)}, got {constraint!r}")


def constraint_leak(constraint: str, gold, groups=None) -> float:
    """Accuracy the constraint gives on its own: the expected accuracy against ``gold`` of a
    labelling drawn uniformly from the constraint set (a uniform prior restricted to it, R12).

    ``none`` / ``free-groups``: 1/2. ``balance`` (``m = floor(n/2)`` ones): each item is 1 with
    probability ``m/n``. A grouped relation: each item is 1 with the fraction of its group's
    allowed patterns that make it 1 (``groups``: ``1/s``; ``at-most-one``: ``1/(s + 1)``),
    :func:`simulations.lm.tasks.relations.leak_probs`. The expected accuracy is
    ``mean_i [g_i p_i + (1 - g_i)(1 - p_i)]`` over the labelled items."""
    g = np.asarray(gold)
    known = g >= 0
    check_constraint(constraint)
    if R.is_grouped(constraint):
        p = R.leak_probs(constraint, groups)
    elif constraint == "balance":
        p = np.full(g.size, (g.size // 2) / g.size)
    else:
        p = np.full(g.size, 0.5)
    return float(np.mean((g * p + (1 - g) * (1 - p))[known])) if known.any() else float("nan")
