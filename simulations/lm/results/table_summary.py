"""The summary of a table file per (task, method), and the field's measure beside accuracy: the
fraction of the zero-shot -> golden gap a method recovers, under the task's constraint.

:func:`summary_rows` gives, per task and method, the accuracy's mean and t-interval over seeds,
the accuracy under the task's constraint, the gap recovered
(:func:`~simulations.lm.results.gap.gap_recovered`), Coh (nats, the mean over seeds with its
standard error from the held-out orders: :func:`~simulations.lm.searches.coherence_estimate.seed_mean`),
search failures (:func:`~simulations.lm.results.predictions.search_failed`), tokens and seconds;
:func:`summary_markdown` prints them as the table ``coherence lm table`` shows.
"""
from __future__ import annotations

import numpy as np

from theory.statistics import mean_ci
from simulations.lm.results.gap import constrained_accuracy, gap_recovered, task_runs
from simulations.lm.results.predictions import search_failed
from simulations.lm.searches.coherence_estimate import seed_mean


def summary_rows(data) -> list:
    """Per (task, method): accuracy mean and t-interval over seeds, the accuracy under the task's
    constraint, the fraction of the zero-shot -> golden gap recovered, Coh (``{mean, se}``, nats),
    search failures, tokens, seconds."""
    out = []
    for t in sorted({r["task"] for r in data["runs"].values()}):
        gaps = gap_recovered(data, t)
        for m in sorted({r["method"] for r in task_runs(data, t)}):
            rs = task_runs(data, t, m)
            ci = mean_ci([r["accuracy"] for r in rs], bounds=(0, 1))
            out.append({"task": t, "method": m, "seeds": len(rs), "accuracy": ci,
                        "accuracy_under_constraint": float(np.mean([constrained_accuracy(r) for r in rs])),
                        "gap_recovered": gaps.get(m),
                        "coherence": seed_mean(r.get("coh", {"mean": r["coherence"]}) for r in rs),
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
             "| Coh (nats, ± 95%) | search failures | tokens | s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary_rows(data):
        a = s["accuracy"]
        gap = "" if s["gap_recovered"] is None else f"{s['gap_recovered']:.2f}"
        c = s["coherence"]
        coh = f"{c['mean']:.1f}" + ("" if c["se"] is None else f" ± {1.96 * c['se']:.1f}")
        lines.append(f"| {s['task']} | {s['method']} | {s['constraint']} ({s['leak']:.2f}) | {a['mean']:.3f} "
                     f"[{a['lo']:.2f}, {a['hi']:.2f}] (n={a['n']}) | {s['accuracy_under_constraint']:.3f} | {gap} | "
                     f"{coh} | {s['search_failures']} | {s['tokens']:.0f} | {s['seconds']:.0f} |")
    return "\n".join(lines) + "\n"
