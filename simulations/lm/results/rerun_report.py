"""The markdown report of table files still being filled (``figures/data/lm/in-progress/``): what
each holds so far, its accuracies, the fraction of the zero-shot -> golden gap each method recovers,
its search failures and debate's exact check (P8). docs/lm.md shows it as a generated block, so
the numbers of a rerun in progress are read from its file, never copied.
"""
from __future__ import annotations

from pathlib import Path

from simulations.lm.results.predictions import p8, summary_rows
from simulations.lm.results.report import accuracy_table
from simulations.lm.results.table_file import read_table_file

#: the methods whose gap recovered is shown, in column order
GAP_METHODS = ("chunked-bootstrap", "chunked-icm", "coherence", "debate", "self-consistency")


def _seeds_by_task(data) -> dict:
    out: dict = {}
    for r in data["runs"].values():
        out.setdefault(r["task"], set()).add(r["seed"])
    return {t: sorted(s) for t, s in sorted(out.items())}


def _fraction(x) -> str:
    return "--" if x is None else f"{x:.2f}"


def gap_and_failures_table(data) -> str:
    """Task: the zero-shot -> golden gap (seed-mean accuracies under the task's constraint), the
    fraction of it each of :data:`GAP_METHODS` recovers (``--`` where the gap is below
    :data:`~simulations.lm.results.predictions.MIN_GAP`: nothing to recover), and the search
    failures among the task's search cells."""
    rows = summary_rows(data)
    head = ["task", "gap (golden - zero-shot)", *GAP_METHODS, "search failures / search cells"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in sorted({r["task"] for r in rows}):
        mine = {r["method"]: r for r in rows if r["task"] == t}
        searches = [r for r in mine.values() if r["method"].startswith(("chunked-", "coherence"))]
        fails = sum(r["search_failures"] for r in searches)
        cells = sum(r["seeds"] for r in searches)
        zs, golden = (mine[m]["accuracy_under_constraint"] if m in mine else None
                      for m in ("zero-shot", "golden-few-shot"))
        gap = "--" if zs is None or golden is None else f"{golden - zs:+.2f}"
        lines.append("| " + " | ".join([t, gap, *(_fraction(mine[m]["gap_recovered"]) if m in mine else "--"
                                              for m in GAP_METHODS), f"{fails} / {cells}"]) + " |")
    return "\n".join(lines)


def rerun_block(folder) -> str:
    """One section per table file in ``folder``: its cells so far, accuracies, gaps and search
    failures, and P8 from its exact debate checks; ``(no table in progress)`` when there is none."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        return "(no table in progress)"
    out = []
    for p in files:
        data = read_table_file(p)
        c = data["config"]
        seeds = "; ".join(f"{t} seeds {', '.join(map(str, s))}" for t, s in _seeds_by_task(data).items())
        rows = summary_rows(data)
        fails = sum(r["search_failures"] for r in rows)
        pr = p8(data)
        p8_line = (f"P8 on its {len(data.get('debate_checks', {}))} exact debate checks: {pr['verdict']}"
                   + (f" ({pr['reason']})" if pr.get("reason") else ""))
        out += [f"`{p.parent.name}/{p.name}` ({c['model']}, n = {c['n']}, {c['polish_orders']} polish orders): "
                f"{len(data['runs'])} cells ({seeds}); {fails} search failures in all. {p8_line}.", "",
                accuracy_table(data), "", "Fraction of the zero-shot -> golden gap recovered (under the task's "
                "constraint) and search failures:", "", gap_and_failures_table(data), ""]
    return "\n".join(out).rstrip()
