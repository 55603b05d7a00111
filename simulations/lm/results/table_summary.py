"""The summary of a table file per (task, method), and the field's measure beside accuracy: the
fraction of the zero-shot -> golden gap a method recovers, under the task's constraint.

:func:`summary_rows` gives, per task and method, the accuracy's mean and t-interval over seeds,
the accuracy under the task's constraint, the gap recovered (:func:`gap_recovered`), Coh (nats),
search failures (:func:`~simulations.lm.results.predictions.search_failed`), tokens and seconds;
:func:`summary_markdown` prints them as the table ``coherence lm table`` shows.
"""
from __future__ import annotations

import numpy as np

from theory.statistics import mean_ci
from simulations.lm.results.predictions import search_failed


def _runs(data, task, method=None):
    return [r for r in data["runs"].values() if r["task"] == task and (method is None or r["method"] == method)]


#: the smallest zero-shot -> golden gap (accuracy) a recovered fraction is reported for
MIN_GAP = 0.05


def _constrained_accuracy(r) -> float:
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
    def mean_acc(m):
        rs = _runs(data, task, m)
        return float(np.mean([_constrained_accuracy(r) for r in rs])) if rs else None

    zs, golden = mean_acc("zero-shot"), mean_acc("golden-few-shot")
    return {m: fraction_recovered(mean_acc(m), golden, zs) for m in {r["method"] for r in _runs(data, task)}}


def summary_rows(data) -> list:
    """Per (task, method): accuracy mean and t-interval over seeds, the accuracy under the task's
    constraint, the fraction of the zero-shot -> golden gap recovered, Coh (nats), search
    failures, tokens, seconds."""
    out = []
    for t in sorted({r["task"] for r in data["runs"].values()}):
        gaps = gap_recovered(data, t)
        for m in sorted({r["method"] for r in _runs(data, t)}):
            rs = _runs(data, t, m)
            ci = mean_ci([r["accuracy"] for r in rs], bounds=(0, 1))
            out.append({"task": t, "method": m, "seeds": len(rs), "accuracy": ci,
                        "accuracy_under_constraint": float(np.mean([_constrained_accuracy(r) for r in rs])),
                        "gap_recovered": gaps.get(m),
                        "coherence": float(np.mean([r["coherence"] for r in rs])),
                        "search_failures": sum(search_failed(data, r) for r in rs),
                        "tokens": float(np.mean([r["forward_tokens"] for r in rs])),
                        "seconds": float(np.mean([r["seconds"] for r in rs])),
                        "leak": rs[0]["constraint_leak_accuracy"],
                        "constraint": rs[0].get("task_constraint", rs[0]["constraint"])
                        if m in ("zero-shot", "random-few-shot", "golden-few-shot") else rs[0]["constraint"]})
    return out


def summary_markdown(data) -> str:
    cfg = data["config"]
    lines = [f"Model `{cfg['model']}`, n = {cfg['n']}, chunk {cfg['chunk']}, sweeps {cfg['sweeps']}, "
             f"shots {cfg['shots']}.",
             "", "| task | method | constraint (leak) | accuracy (95% t-CI over seeds) | under constraint "
             "| gap recovered "
             "| Coh (nats) | search failures | tokens | s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary_rows(data):
        a = s["accuracy"]
        gap = "" if s["gap_recovered"] is None else f"{s['gap_recovered']:.2f}"
        lines.append(f"| {s['task']} | {s['method']} | {s['constraint']} ({s['leak']:.2f}) | {a['mean']:.3f} "
                     f"[{a['lo']:.2f}, {a['hi']:.2f}] (n={a['n']}) | {s['accuracy_under_constraint']:.3f} | {gap} | "
                     f"{s['coherence']:.1f} | {s['search_failures']} | {s['tokens']:.0f} | {s['seconds']:.0f} |")
    return "\n".join(lines) + "\n"
