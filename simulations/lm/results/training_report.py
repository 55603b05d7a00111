"""The markdown report of the committed training tables (``figures/data/lm/training/``): per model,
P7 and, per task and seed, where gold and the constants sit in each coherence, the in-context
search's end beside the training bootstrap's, and the held-out accuracies. docs/lm.md shows it as
a generated block, so its numbers are read from the files, never copied.
"""
from __future__ import annotations

from pathlib import Path

from simulations.lm.results.training_prediction import p7
from simulations.lm.results.report import file_sections
from simulations.lm.results.training_file import SEARCH_END, read_training_file

HEAD = ["task", "seed", "gold Coh / Coh_train", "best constant Coh / Coh_train", "in-context search end",
        "training bootstrap: accuracy, rounds, Coh_train of its end",
        "held-out: bootstrap-tuned / gold-tuned / untouched", "gap recovered"]


def _num(x, fmt=".1f") -> str:
    return "--" if x is None else format(x, fmt)


def _pair(v) -> str:
    return f"{_num(v['in_context']['mean'])} / {_num(v['train']['mean'])}"


def _search_end(r) -> str:
    b = r["bootstrap"]
    if "in_context" not in b:
        return "--"
    same = "= training end" if b["equals_in_context"] else "differs from training end"
    return f"{_num(b['in_context']['accuracy'], '.2f')} ({same})"


def record_row(r) -> list:
    """One row of :data:`HEAD` for a training record: Coh means in nats, accuracies."""
    L = r["labellings"]
    const = max(("all-0", "all-1"), key=lambda c: L[c]["in_context"]["mean"])
    b = r["bootstrap"]
    boot = f"{_num(b['accuracy'], '.2f')} after {b['rounds_run']} round(s){', fixed point' if b['fixed_point'] else ''}"
    last = b["rounds"][-1] if b.get("rounds") else {}
    if "coh_train" in last:
        boot += f", Coh_train {_num(last['coh_train']['mean'])}"
    g = r["generalisation"]
    held = "--" if g is None else " / ".join(_num(g[k]["accuracy"], ".2f") for k in ("bootstrap", "golden",
                                                                                     "untouched"))
    gap = "--" if g is None else _num(g["gap_recovered"], ".2f")
    return [r["task"], str(r["seed"]), _pair(L["gold"]), f"{const}: {_pair(L[const])}", _search_end(r), boot, held,
            gap]


def training_block(folder) -> str:
    """One section per training table file in ``folder``: its settings, P7, and a row per record
    (:func:`record_row`); ``(no training table)`` when there is none."""
    return file_sections(folder, "train-*.json", "(no training table)", _section)


def _section(p: Path) -> list:
    data = read_training_file(p)
    c = data["config"]
    pr = p7(data)
    done = sum(SEARCH_END in r["labellings"] for r in data["records"].values())
    out = [f"`{p.name}` ({c['model']}, n = {c['n']}, block {c['block']}, {c['coh_orders']} orders, "
           f"{len(data['records'])} records, {done} with the in-context search's end): P7 {pr['verdict']} "
           f"({pr['cases_ok']} gold-vs-other cases ordered alike, {pr['undecided']} undecided; Kendall tau "
           f"{_num(pr['kendall_tau'], '.2f')}, {pr['discordant_pairs']} discordant pairs of {pr['pairs']}).", "",
           "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for key in sorted(data["records"], key=lambda k: (data["records"][k]["task"], data["records"][k]["seed"])):
        out.append("| " + " | ".join(record_row(data["records"][key])) + " |")
    return out + [""]
