"""The markdown report of table files still being filled (``figures/data/lm/in-progress/``): what
each holds so far, its accuracies, the fraction of the zero-shot -> golden gap each method recovers,
its search failures, debate's exact check (P8), and which verdicts changed from the committed
table of the same model and n on the cells both files hold (:func:`verdict_changes`). docs/lm.md
shows it as a generated block, so the numbers of a rerun in progress are read from its file,
never copied.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from simulations.io import atomic_write_json, file_lock

from simulations.lm.results.predictions import PREDICTIONS, p8
from simulations.lm.results.table_summary import summary_rows
from simulations.lm.results.report import accuracy_table, file_sections, verdict_cell
from simulations.lm.results.table_file import read_table_file
from simulations.lm.results.table_carry import MOVE_SETTINGS

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
    :data:`~simulations.lm.results.gap.MIN_GAP`: nothing to recover), and the search
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


def restricted(data, cells) -> dict:
    """``data`` with only the runs whose ``task|method|seed`` key is in ``cells``, and only the
    landscapes and exact debate checks of their ``task|seed``."""
    runs = {k: v for k, v in data["runs"].items() if k in cells}
    seeds = {f"{r['task']}|{r['seed']}" for r in runs.values()}
    return {**data, "runs": runs, "landscapes": {k: v for k, v in data["landscapes"].items() if k in seeds},
            "debate_checks": {k: v for k, v in data.get("debate_checks", {}).items() if k in seeds}}


def verdict_changes(old, new) -> dict:
    """Each table prediction judged on ``old`` and on ``new`` restricted to the cells (``task|method|
    seed``) both hold, so like is compared with like: ``{cells, rows: [{id, old, new, changed}]}``
    (``old``/``new`` the verdicts with their numbers, :func:`~simulations.lm.results.report.verdict_cell`)."""
    cells = set(old["runs"]) & set(new["runs"])
    a, b = restricted(old, cells), restricted(new, cells)
    rows = []
    for f in PREDICTIONS:
        pa, pb = f(a), f(b)
        rows.append({"id": pa["id"], "old": verdict_cell(pa), "new": verdict_cell(pb),
                     "changed": pa["verdict"] != pb["verdict"]})
    return {"cells": len(cells), "rows": rows}


def missing_cells(old, new) -> dict:
    """The cells (``task|method|seed``) ``old`` holds and ``new`` does not, grouped:
    ``{task: {method: [seeds]}}``, sorted. Empty when ``new`` can replace ``old``."""
    out: dict = {}
    for k in sorted(set(old["runs"]) - set(new["runs"])):
        r = old["runs"][k]
        out.setdefault(r["task"], {}).setdefault(r["method"], []).append(r["seed"])
    return {t: {m: sorted(s) for m, s in sorted(ms.items())} for t, ms in sorted(out.items())}


def missing_line(old, new) -> str:
    """Markdown naming what ``new`` still lacks of ``old``'s cells (:func:`missing_cells`): one
    bullet per task, its methods grouped by the seeds they lack."""
    miss = missing_cells(old, new)
    if not miss:
        return "It holds every cell of the committed table."
    n = sum(len(s) for ms in miss.values() for s in ms.values())
    lines = [f"Still to compute before it can replace the committed table ({n} cells):", ""]
    for t, ms in miss.items():
        by_seeds: dict = {}
        for m, s in ms.items():
            by_seeds.setdefault(tuple(s), []).append(m)
        lines.append(f"* {t}: " + "; ".join(f"seed{'s' if len(s) > 1 else ''} {', '.join(map(str, s))} of "
                                             + ", ".join(m) for s, m in by_seeds.items()))
    return "\n".join(lines)


def changes_table(old, new, old_name: str = "committed table") -> str:
    """The markdown table of :func:`verdict_changes`; ``old_name`` heads ``old``'s column."""
    ch = verdict_changes(old, new)
    lines = [f"| prediction | {old_name} | rerun | changed |", "|---|---|---|---|"]
    lines += [f"| {r['id']} | {r['old']} | {r['new']} | {'**yes**' if r['changed'] else 'no'} |" for r in ch["rows"]]
    return "\n".join(lines)


def rerun_block(folder) -> str:
    """One section per table file in ``folder``: its cells so far, accuracies, gaps and search
    failures, and P8 from its exact debate checks; ``(no table in progress)`` when there is none."""
    return file_sections(folder, "*.json", "(no table in progress)", _section)


def _section(p: Path) -> list:
    data = read_table_file(p)
    c = data["config"]
    seeds = "; ".join(f"{t} seeds {', '.join(map(str, s))}" for t, s in _seeds_by_task(data).items())
    rows = summary_rows(data)
    fails = sum(r["search_failures"] for r in rows)
    pr = p8(data)
    p8_line = (f"P8 on its {len(data.get('debate_checks', {}))} exact debate checks: {pr['verdict']}"
               + (f" ({pr['reason']})" if pr.get("reason") else ""))
    # files written before a move setting existed ran with its earlier value (table_carry.MOVE_SETTINGS)
    moves = {**MOVE_SETTINGS, **c}
    out = [f"`{p.parent.name}/{p.name}` ({c['model']}, n = {c['n']}, {c['polish_orders']} polish orders, moves "
           f"ranked {moves['move_rank']} and confirmed on {moves['confirm_orders']} fresh orders, "
           + (f"fresh check on up to {moves['fresh_orders']} orders" if moves["fresh_orders"] else "no fresh check")
           + f"): "
           f"{len(data['runs'])} cells ({seeds}); {fails} search failures in all. {p8_line}.", "",
           accuracy_table(data), "", "Fraction of the zero-shot -> golden gap recovered (under the task's "
           "constraint) and search failures:", "", gap_and_failures_table(data), ""]
    for q in sorted(p.parent.parent.glob(f"{c['model']}-n{c['n']}-*.json")):
        old = read_table_file(q)
        n_common = len(set(old["runs"]) & set(data["runs"]))
        out += [f"Verdicts on the {n_common} cells this file shares with the committed `{q.name}` (each file "
                "judged on those cells only):", "", changes_table(old, data), "", missing_line(old, data), ""]
    return out


def committed_tables(lm_folder, n: int = 64) -> list:
    """The committed table files of ``lm_folder`` at ``n`` items that a rerun wrote (their config
    holds ``confirm_orders``, which no older table has), then every file in ``lm_folder/in-progress``
    whatever its n: the files whose grown comparisons and exact debate checks the docs report."""
    lm_folder = Path(lm_folder)
    done = [p for p in sorted(lm_folder.glob(f"*-n{n}-*.json"))
            if "confirm_orders" in read_table_file(p)["config"]]
    return done + sorted((lm_folder / "in-progress").glob("*.json"))


def promote(path, lm_folder) -> Path:
    """Move the finished rerun at ``path`` (in ``lm_folder/in-progress``) into ``lm_folder``, in
    place of the committed table(s) of its model and n, which move to ``lm_folder/superseded``; the
    promoted file records their names under ``replaces``. ``ValueError`` (nothing moved) when
    ``path`` is not in ``lm_folder/in-progress``, when a file of its name is already committed, or
    while the rerun lacks a cell of a table it would replace (:func:`missing_cells`). The new
    table is written (atomically) before anything moves, so an interruption leaves at worst the
    rerun in both places, never a model without a committed table. Stop every table job writing
    to ``path`` first: a job's next save would write its file back into ``in-progress``.

    A file that extends a committed table by the fresh check (``carried_from.extended``,
    :mod:`simulations.lm.results.fresh_extension`) records that table under ``extends`` and
    inherits its ``replaces``: the verdicts it changed are still read against the table the
    rerun replaced."""
    path, lm_folder = Path(path), Path(lm_folder)
    if path.parent.resolve() != (lm_folder / "in-progress").resolve():
        raise ValueError(f"{path} is not in {lm_folder / 'in-progress'}")
    target = lm_folder / path.name
    if target.exists():
        raise ValueError(f"{target} exists: {path.name} was promoted already")
    with file_lock(path):
        data = read_table_file(path)
        c = data["config"]
        olds = sorted(lm_folder.glob(f"{c['model']}-n{c['n']}-*.json"))
        for q in olds:
            miss = missing_cells(read_table_file(q), data)
            if miss:
                n = sum(len(s) for ms in miss.values() for s in ms.values())
                raise ValueError(f"{path.name} lacks {n} cells of {q.name}; finish the rerun first")
        replaced = {"replaces": [q.name for q in olds]}
        if (data.get("carried_from") or {}).get("extended"):
            # a table extended by the fresh check is the table it extends, completed: it takes that
            # table's place in the line of reruns, so it replaces what that one replaced
            replaced = {"replaces": [n for q in olds for n in read_table_file(q).get("replaces", [])],
                        "extends": [q.name for q in olds]}
        atomic_write_json(target, {**data, **replaced})
        (lm_folder / "superseded").mkdir(exist_ok=True)
        for q in olds:
            os.replace(q, lm_folder / "superseded" / q.name)
        path.unlink()
    return target


def changes_block(lm_folder) -> str:
    """For each committed table of ``lm_folder`` that replaced others (:func:`promote`): the
    verdicts of the table it replaced and its own, judged on the cells both hold
    (:func:`changes_table`); ``(no table replaced)`` when none did."""
    lm_folder = Path(lm_folder)
    out = []
    for p in sorted(lm_folder.glob("*-n*-*.json")):
        new = read_table_file(p)
        for name in new.get("replaces", []):
            old = read_table_file(lm_folder / "superseded" / name)
            n_common = len(set(old["runs"]) & set(new["runs"]))
            out += [f"`{p.name}` replaced `superseded/{name}` ({new['config']['model']}): verdicts on the "
                    f"{n_common} cells both hold (the replaced table has {len(old['runs'])}, the rerun "
                    f"{len(new['runs'])}):", "",
                    changes_table(old, new, "replaced table"),
                    ""]
    return "\n".join(out).rstrip() or "(no table replaced)"


def p8_pooled_table(paths) -> str:
    """P8 pooled over each table file's exact debate checks, one row per file's model:
    the KL (nats) from a round's stationary law to the coherence softmax with its 95% interval, the
    KL to the best joint's softmax, the conditionals' incompatibility (rms, nats) and how often the
    stationary law's mode is the most coherent joint answer. ``paths``: table files, or a folder
    (its ``*.json``)."""
    rows = ["| model | items | KL(stationary law, coherence softmax), nats [95%] | KL to the best joint's softmax "
            "| incompatibility (rms, nats) | mode = most coherent joint answer |", "|---|---|---|---|---|---|"]
    for p in _paths(paths):
        d = read_table_file(p)
        r = p8(d)
        if "kl_coherence" not in r:
            continue
        k, b, i = r["kl_coherence"], r["kl_best_joint"], r["incompatibility_rms"]
        rows.append(f"| {d['config']['model']} | {r['items']} | {k['mean']:.2f} [{k['lo']:.2f}, {k['hi']:.2f}] | "
                    f"{b['mean']:.4f} | {i['mean']:.2f} | {r['mode_agrees']} |")
    return "\n".join(rows)


def _ascent_against_gold(model: str, rows) -> str:
    """One sentence: where the certified ascent's grown ends lie against gold (above, with their
    task, seed and accuracy; tied; below)."""
    mine = [r for r in rows if r["method"] == "coherence" and r["grown"]]
    by = {v: [r for r in mine if r["vs_gold"]["verdict"] == v] for v in ("above", "tied", "below")}
    above = "; ".join(f"{r['task']} seed {r['seed']} at accuracy {r['accuracy']:.2f}, "
                      f"{r['vs_gold']['diff']:+.2f} [{r['vs_gold']['ci'][0]:+.2f}, {r['vs_gold']['ci'][1]:+.2f}] nats"
                      for r in by["above"])
    return (f"{model}, the certified ascent's {len(mine)} grown ends against gold: {len(by['above'])} above"
            + (f" ({above})" if above else "") + f", {len(by['tied'])} tied, {len(by['below'])} below.")


def _paths(paths) -> list:
    """``paths`` as a list of files: a folder stands for its ``*.json``, in name order."""
    if isinstance(paths, (str, Path)):
        return sorted(Path(paths).glob("*.json"))
    return [Path(p) for p in paths]


def decisive_table(paths) -> str:
    """What growing P3's comparisons (``lm decide``, :mod:`~simulations.lm.results.decisive_orders`)
    changed in each table file of ``paths`` (files, or a folder: its ``*.json``) that holds
    them: per task, the search ends judged on
    grown comparisons, how many tied with the climb from gold on the landscape's orders and where
    those lie once grown (still tied, below the climb, above it, below gold), the median orders and how many
    comparisons met their target standard error, the forward tokens spent; then P3's verdict on
    the landscape's orders and on the grown ones. ``(no grown comparisons)`` when no file has any."""
    from simulations.lm.results.predictions import p3

    lines = ["| model | task | search ends grown | tied with the climb from gold on the landscape's orders | "
             "of those, grown: tied / below the climb / above it / below gold | orders (median) | "
             "comparisons at target | forward tokens |", "|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for p in _paths(paths):
        d = read_table_file(p)
        if not d.get("decisive"):
            continue
        model = d["config"]["model"]
        before, after = p3({k: v for k, v in d.items() if k != "decisive"}), p3(d)
        was = {(r["task"], r["method"], r["seed"]): r for r in before["rows"]}
        for t in sorted({r["task"] for r in after["rows"] if r["grown"]}):
            rows = [r for r in after["rows"] if r["task"] == t and r["grown"]]
            tied = [r for r in rows
                    if was[(r["task"], r["method"], r["seed"])].get("vs_gold_climb", {}).get("verdict") == "tied"]
            now = [r.get("vs_gold_climb", {}).get("verdict", "below gold") for r in tied]
            comps = [c for k, e in d["decisive"].items() if k.rsplit("|", 1)[0] == t for c in e["comparisons"].values()]
            tokens = sum(e.get("forward_tokens", 0) for k, e in d["decisive"].items() if k.rsplit("|", 1)[0] == t)
            k = int(np.median([c["orders"] for c in comps]))
            lines.append(f"| {model} | {t} | {len(rows)} | {len(tied)} | {now.count('tied')} / {now.count('below')} / "
                         f"{now.count('above')} / {now.count('below gold')} | {k} | "
                         f"{sum(c['se'] <= c['target_se'] for c in comps)}/{len(comps)} | {tokens} |")
        verdicts.append(f"{model}: P3 on the landscape's orders {verdict_cell(before)}; grown {verdict_cell(after)}.")
        verdicts.append(_ascent_against_gold(model, after["rows"]))
    if not verdicts:
        return "(no grown comparisons)"
    return "\n".join(lines + [""] + verdicts)
