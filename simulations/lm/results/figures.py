"""Real-model figures from table files: the salience figure (P4) and the coherence landscape.

``coherence lm figures FILE ... [--out figures]`` reads table files written by ``coherence lm
table`` and writes, for each figure, ``OUT/ID.png``, ``OUT/ID.pdf``, ``OUT/data/ID.json`` (the
numbers drawn, with the table settings, seeds and code version) and its entry in
``OUT/manifest.json`` (other entries are kept).

* ``LM-salience`` -- accuracy against the salience ``|mean valence|`` of the words (items of
  the salience-bin tasks pooled, binned), for zero-shot, golden few-shot (under the task's balance
  constraint) and the coherence searches, one panel per model; chance is 1/2.
* ``LM-landscape`` -- order-averaged ``Coh`` (nats) of gold, its negation, the constants, random
  balanced labellings, the climb from gold's end and the labellings the coherence ascent found
  with and without the task's constraint, per task, one panel per model, with 95% intervals from
  the order-to-order spread.
* ``LM-debate-rounds`` (tables with ``debate`` runs only) -- the majority's accuracy after each
  debate round against the no-interaction baseline at matched samples (the majority of ``K (r +
  1)`` independent zero-shot answers), mean over seeds, one panel per model and task.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from proofs_check.verdicts import combine
from simulations.io import atomic_write_bytes, check_writable
from theory.statistics import mean_ci

from simulations.lm.results.predictions import evaluate
from simulations.lm.searches.coherence_estimate import seed_mean
from simulations.lm.results.table_file import read_table_file
from simulations.lm.tasks.registry import SALIENCE_TASKS

SAL_EDGES = (0.5, 0.9, 1.25, 2.0, 2.6, 4.0)  # the low task is [0.5, 1.2], the high [2, 4]
CURVES = {"zero-shot": "zero-shot", "golden-few-shot": "golden 8-shot (balanced)",
          "coherence": "coherence ascent (balanced)", "chunked-bootstrap": "bootstrap (balanced)",
          "chunked-icm": "ICM score (balanced)"}


def _item_correct(data, method):
    """Per-item (salience, correct) pairs of one method over every polarity task and seed."""
    from simulations.lm.searches.chunked import project

    out = []
    for key, r in data["runs"].items():
        # the salience bins and their balance constraint only: the controls have no concept to
        # find, and contrast pairs run under another constraint (one positive word per pair)
        if r["method"] != method or r["task"] not in SALIENCE_TASKS:
            continue
        land = data["landscapes"][f"{r['task']}|{r['seed']}"]
        sal, gold = np.asarray(land["salience"]), np.asarray(land["gold"])
        lab = np.asarray(r["labels"])
        if method == "golden-few-shot":
            lab = project(np.asarray(r["log_odds"]), "balance")
        out += list(zip(sal, lab == gold))
    return out


def salience_data(tables) -> dict:
    """Binned accuracy per model and method: for each salience bin ``[bin_lo, bin_hi)`` the mean
    over items and its 95% t-interval ``[lo, hi]``."""
    res = {}
    for data in tables:
        model = data["config"]["model"]
        res[model] = {}
        for m in CURVES:
            pairs = _item_correct(data, m)
            if not pairs:
                continue
            s = np.array([p[0] for p in pairs])
            c = np.array([p[1] for p in pairs], dtype=float)
            bins = []
            for lo, hi in zip(SAL_EDGES[:-1], SAL_EDGES[1:]):
                sel = (s >= lo) & (s < hi) if hi < SAL_EDGES[-1] else (s >= lo) & (s <= hi)
                ci = mean_ci(c[sel].tolist(), bounds=(0, 1))
                bins.append({"bin_lo": lo, "bin_hi": hi, "items": int(sel.sum()), **ci})
            res[model][m] = bins
    return res


def _seed_mean(name: str, cohs) -> dict:
    """``{name: m, name + " se": se}`` of :func:`~simulations.lm.searches.coherence_estimate.seed_mean`
    (nats); ``se`` only where every Coh has one."""
    m = seed_mean(cohs)
    return {name: m["mean"]} | ({} if m["se"] is None else {name + " se": m["se"]})


def landscape_data(tables) -> dict:
    """Per model and task: the mean over seeds of each labelling's Coh (nats) and, as ``NAME se``,
    its standard error from the order-to-order spread (:func:`_seed_mean`): gold, its negation,
    the constants, the climb from gold's end, the coherence ascent's ends (with their accuracy);
    the random labellings' mean Coh (with its standard error where the file holds each random
    labelling), the zero-shot AUC and the number of seeds."""
    res = {}
    for data in tables:
        model = data["config"]["model"]
        res[model] = {}
        tasks = sorted({k.split("|")[0] for k in data["landscapes"]})
        for t in tasks:
            lands = [v for k, v in data["landscapes"].items() if k.split("|")[0] == t]
            row = {}
            for name in ("gold", "negation", "all-0", "all-1"):
                row.update(_seed_mean(name, [land["labellings"][name] for land in lands]))
            if all("gold_climb" in land for land in lands):
                row.update(_seed_mean("gold climb", [land["gold_climb"]["coh"] for land in lands]))
                row["gold climb accuracy"] = float(np.mean([land["gold_climb"]["accuracy"] for land in lands]))
            rand = [v for land in lands for k, v in land["labellings"].items() if k.startswith("random-")]
            if rand:  # every random labelling of every seed, each over its own seed's orders
                row.update(_seed_mean("random", rand))
            else:  # files that kept only the random labellings' mean
                row["random"] = float(np.mean([land["random_mean"] for land in lands]))
            row["zero_shot_auc"] = float(np.mean([land["zero_shot_auc"] for land in lands]))
            for m, name in (("coherence", "found (constrained)"), ("coherence-free", "found (free)")):
                rs = [r for r in data["runs"].values() if r["task"] == t and r["method"] == m]
                if rs:
                    row[name] = float(np.mean([r["coherence"] for r in rs]))
                    if all("coh" in r for r in rs):  # held-out records: the same mean, with its error
                        row.update(_seed_mean(name, [r["coh"] for r in rs]))
                    row[name + " accuracy"] = float(np.mean([r["accuracy"] for r in rs]))
            row["seeds"] = len(lands)
            res[model][t] = row
    return res


def debate_rounds_data(tables) -> dict:
    """Per model and task: ``{debate, independent}``, the mean over seeds of each debate run's
    ``accuracy_by_round`` and ``independent_majority_by_round`` (rounds ``0..R``), with ``seeds``;
    tables or tasks without debate runs are left out."""
    res = {}
    for data in tables:
        runs = [r for r in data["runs"].values() if r["method"] == "debate" and "debate" in r
                and r["debate"].get("accuracy_by_round") and None not in r["debate"]["accuracy_by_round"]]
        for t in sorted({r["task"] for r in runs}):
            rs = [r["debate"] for r in runs if r["task"] == t]
            res.setdefault(data["config"]["model"], {})[t] = {
                "debate": np.mean([r["accuracy_by_round"] for r in rs], axis=0).tolist(),
                "independent": np.mean([r["independent_majority_by_round"] for r in rs], axis=0).tolist(),
                "agents": rs[0]["agents"], "seeds": len(rs)}
    return res


def _plot_debate_rounds(d):
    import matplotlib.pyplot as plt

    # one row per model, one column per task (the union of the models' tasks, in order), so the
    # two models' panels of a task sit one above the other
    models = list(d)
    tasks = sorted({t for model in d for t in d[model]})
    fig, grid = plt.subplots(len(models), len(tasks), figsize=(3.2 * len(tasks), 2.9 * len(models) + 0.5),
                             squeeze=False, sharey=True)
    drawn = []
    for i, model in enumerate(models):
        for j, t in enumerate(tasks):
            if t in d[model]:
                drawn.append((grid[i][j], model, t))
            else:
                grid[i][j].axis("off")
    for ax, model, t in drawn:
        row = d[model][t]
        r = np.arange(len(row["debate"]))
        ax.plot(r, row["debate"], marker="o", label=f"debate ({row['agents']} agents)")
        ax.plot(r, row["independent"], marker="s", ls="--", label="independent majority, matched samples")
        ax.axhline(0.5, color="grey", ls=":", lw=1)
        ax.set_title(f"{model}: {t}", fontsize=9)
        ax.set_xlabel("round")
        ax.set_xticks(r)
    for i, model in enumerate(models):  # each row's first drawn panel carries the accuracy axis
        first = grid[i][min(tasks.index(t) for t in d[model])]
        first.set_ylabel("accuracy (mean over seeds)")
        first.tick_params(labelleft=True)
    handles, labels = drawn[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=max(1, len(labels)), frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _plot_salience(d):
    import matplotlib.pyplot as plt

    models = list(d)
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 3.8), squeeze=False, sharey=True)
    for ax, model in zip(axes[0], models):
        for m, label in CURVES.items():
            bins = d[model].get(m)
            if not bins:
                continue
            x = [(b["bin_lo"] + b["bin_hi"]) / 2 for b in bins if b["mean"] is not None]
            y = [b["mean"] for b in bins if b["mean"] is not None]
            lo = [b["mean"] - b["lo"] for b in bins if b["mean"] is not None]
            hi = [b["hi"] - b["mean"] for b in bins if b["mean"] is not None]
            ax.errorbar(x, y, yerr=[lo, hi], marker="o", capsize=3, label=label)
        ax.axhline(0.5, color="grey", ls=":", lw=1)
        ax.set_title(model)
        ax.set_xlabel("salience |mean valence| of the word (bin centre)")
        ax.set_ylim(0.3, 1.02)
    axes[0][0].set_ylabel("accuracy (95% t-interval over items)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=max(1, len(labels)), frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _plot_landscape(d):
    import matplotlib.pyplot as plt

    models = list(d)
    fig, axes = plt.subplots(1, len(models), figsize=(5.6 * len(models), 4.2), squeeze=False)
    marks = {"gold": ("o", "tab:green"), "negation": ("x", "tab:red"), "all-0": ("v", "grey"),
             "all-1": ("^", "grey"), "random": ("s", "tab:orange"), "gold climb": ("D", "tab:olive"),
             "found (constrained)": ("*", "tab:blue"), "found (free)": ("P", "tab:purple")}
    for ax, model in zip(axes[0], models):
        tasks = list(d[model])
        for j, t in enumerate(tasks):
            for name, (mk, col) in marks.items():
                row = d[model][t]
                if name in row:
                    ax.scatter(row[name], j, marker=mk, color=col, s=45, label=name if j == 0 else None, zorder=3)
                if name + " se" in row:  # 95% interval from the order-to-order spread
                    ax.errorbar(row[name], j, xerr=1.96 * row[name + " se"], fmt="none", color=col, lw=1,
                                capsize=2, zorder=2)
        ax.set_yticks(range(len(tasks)))
        ax.set_yticklabels(tasks, fontsize=8)
        ax.set_xlabel("Coh (nats), mean over seeds; bars: 95% over orders")
        ax.set_title(model)
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=max(1, len(labels)), frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


#: the figures :func:`produce` draws from table files, in order
TABLE_FIGURES = ("LM-salience", "LM-landscape", "LM-debate-rounds")


def produce(files, out, only=None) -> list:
    """Write the figures (``LM-debate-rounds`` only when some table has debate runs), their data
    files and manifest entries; returns the entries. ``only``: the ids of :data:`TABLE_FIGURES` to
    draw (None: all); the manifest keeps every other entry. Naming ``LM-debate-rounds`` when no
    table has debate runs is a ``ValueError``."""
    import matplotlib

    matplotlib.use("Agg")
    from simulations.figures import code_version, data_bytes, read_manifest, save_figure

    out = check_writable(Path(out), argument="--out")
    tables = [read_table_file(f) for f in files]     # a bad file: ValueError naming it and the field
    params = {"tables": [Path(f).name for f in files], "configs": [t["config"] for t in tables]}
    preds = {t["config"]["model"]: {p["id"]: p["verdict"] for p in evaluate(t)} for t in tables}
    sal, land, rounds = salience_data(tables), landscape_data(tables), debate_rounds_data(tables)
    figures = [
        ("LM-salience", sal, _plot_salience, ["P4"], "Real models: accuracy against the salience of the word",
         "accuracy of the coherence searches falls toward chance as |valence| falls",
         _salience_finding(sal, preds)),
        ("LM-landscape", land, _plot_landscape, ["P1", "P2", "P3"],
         "Real models: the coherence landscape of each task",
         "on tasks the model knows gold beats its negation and random labellings; constants beat gold (R6)",
         _landscape_finding(land, preds))]
    if only is not None and "LM-debate-rounds" in only and not rounds:
        raise ValueError("--only LM-debate-rounds: none of the table files has a debate run with its rounds")
    if rounds:
        figures.append(("LM-debate-rounds", rounds, _plot_debate_rounds, ["P8"],
                        "Real models: debate's accuracy round by round, against independent answers",
                        "debate moves the agents toward the most coherent consensus (P8); reading the others "
                        "helps where the model knows the task", _debate_rounds_finding(rounds, preds)))
    if only is not None:
        figures = [f for f in figures if f[0] in only]
    entries = []
    for fid, data, plot, claims, title, prediction, finding in figures:
        record = {"id": fid, "claims": claims, "title": title, "prediction": prediction, "finding": finding,
                  "params": params, "predictions": preds, "data": data, "code_version": code_version()}
        atomic_write_bytes(out / "data" / f"{fid}.json", data_bytes(record))
        files_ = save_figure(plot(data), out, fid)
        verdict = combine([preds[m].get(c, "not judged") for m in preds for c in claims])
        entries.append({"id": fid, "files": files_, "claims": claims, "title": title, "finding": finding,
                        "prediction": prediction, "verdict": verdict, "seed": 0, "params": params,
                        "data": f"data/{fid}.json", "code_version": code_version()})
    man = out / "manifest.json"
    current = read_manifest(man)
    keep = [e for e in current if e["id"] not in {x["id"] for x in entries}]
    atomic_write_bytes(man, (json.dumps({"figures": keep + entries}, indent=1, sort_keys=True) + "\n").encode())
    return entries


def _debate_rounds_finding(rounds, preds) -> str:
    parts = []
    for model, tasks in rounds.items():
        for t, row in tasks.items():
            parts.append(f"{model} {t}: debate {row['debate'][0]:.2f} -> {row['debate'][-1]:.2f} over "
                         f"{len(row['debate']) - 1} rounds, independent majority {row['independent'][-1]:.2f} "
                         f"at matched samples")
    p8 = ", ".join(f"{m} {p.get('P8')}" for m, p in preds.items())
    return "; ".join(parts) + f" (P8: {p8})"


def _salience_finding(sal, preds) -> str:
    parts = []
    for model, curves in sal.items():
        c = curves.get("coherence")
        if c and c[0]["mean"] is not None and c[-1]["mean"] is not None:
            parts.append(f"{model}: coherence ascent {c[-1]['mean']:.2f} on the most salient words vs "
                         f"{c[0]['mean']:.2f} on the least (P4 {preds[model].get('P4')})")
    return "; ".join(parts) or "no polarity runs"


def _landscape_finding(land, preds) -> str:
    parts = []
    for model, tasks in land.items():
        t = tasks.get("polarity-high")
        if t:
            parts.append(f"{model} polarity-high: Coh gold {t['gold']:.1f}, negation {t['negation']:.1f}, "
                         f"best constant {max(t['all-0'], t['all-1']):.1f} nats (P1 {preds[model].get('P1')}, "
                         f"P2 {preds[model].get('P2')})")
    return "; ".join(parts) or "no landscapes"
