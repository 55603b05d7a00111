"""The field's measure beside accuracy: the fraction of the zero-shot -> golden few-shot gap a
method recovers, under the task's constraint, on a table file's seed-mean accuracies.

:func:`fraction_recovered` is the formula, :func:`gap_recovered` applies it to one task of a
table file and :func:`gaps_recovered` to every task (``coherence lm predictions --json``).
"""
from __future__ import annotations

import numpy as np


def task_runs(data, task: str, method: str | None = None) -> list:
    """The run records of a table file's content for ``task`` (and ``method``, if given)."""
    return [r for r in data["runs"].values() if r["task"] == task and (method is None or r["method"] == method)]


#: the smallest zero-shot -> golden gap (accuracy) a recovered fraction is reported for
MIN_GAP = 0.05


def constrained_accuracy(r) -> float:
    """A record's accuracy under the task's constraint: a search's own, a baseline's decision
    projected onto the constraint (the decision the field compares)."""
    return r.get("accuracy_under_task_constraint", r["accuracy"])


def fraction_recovered(a, b, c, min_gap: float | None = None):
    """``(a - c) / (b - c)``: the fraction of the zero-shot (``c``) -> golden (``b``) gap that
    ``a`` recovers (accuracies); ``None`` when one is missing or ``b - c < min_gap`` (default
    :data:`MIN_GAP`: nothing to recover)."""
    gap = MIN_GAP if min_gap is None else min_gap
    if a is None or b is None or c is None or b - c < gap:
        return None
    return (a - c) / (b - c)


def gap_recovered(data, task: str) -> dict:
    """``{method: fraction}``: ``(acc_m - acc_zs) / (acc_golden - acc_zs)`` on seed-mean accuracies
    under the task's constraint, zero-shot and golden few-shot decided under it too; ``None``
    where the gap is below :data:`MIN_GAP` (nothing to recover)."""
    zs, golden = gap_ends(data, task)
    return {m: fraction_recovered(mean_accuracy(data, task, m), golden, zs)
            for m in {r["method"] for r in task_runs(data, task)}}


def mean_accuracy(data, task: str, method: str):
    """Seed-mean accuracy of ``method`` on ``task`` under the task's constraint
    (:func:`constrained_accuracy`); None without runs."""
    rs = task_runs(data, task, method)
    return float(np.mean([constrained_accuracy(r) for r in rs])) if rs else None


def gap_ends(data, task: str) -> tuple:
    """``(zero-shot, golden few-shot)``: the gap's two ends, seed-mean accuracies under the task's
    constraint."""
    return mean_accuracy(data, task, "zero-shot"), mean_accuracy(data, task, "golden-few-shot")


def gaps_recovered(data) -> dict:
    """``{task: {method: fraction or None}}``: :func:`gap_recovered` for every task of a table
    file's content."""
    return {t: dict(sorted(gap_recovered(data, t).items())) for t in sorted({r["task"] for r in data["runs"].values()})}
