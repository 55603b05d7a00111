"""The training figure: in-context Coh against Coh_train, one point per labelling, from training table files.

:func:`produce_training_figure` ``(files, out)`` reads training table files
(:mod:`simulations.lm.results.training_table`) and writes ``OUT/LM-training-coherence.png`` and ``.pdf``,
``OUT/data/LM-training-coherence.json`` (the numbers drawn, the files' settings, P7's verdict,
the code version) and its entry in ``OUT/manifest.json`` (other entries kept); ``coherence lm
figures`` calls it for the training table files it is given.

The figure has one panel per model: for each labelling of each (task, seed), its order-averaged
in-context ``Coh`` (x, nats) against its ``Coh_train`` (y, nats), error bars one standard error
over the evaluation orders, and the identity line. P7 says the two order the labellings alike,
not that they are equal: the points need not lie on the line.
"""
from __future__ import annotations

import json
from pathlib import Path

from proofs_check.verdicts import combine
from simulations.io import atomic_write_bytes, check_writable
from simulations.lm.results.training_file import SEARCH_END

FIGURE_ID = "LM-training-coherence"
TITLE = "Real models: in-context coherence against coherence through training"
PREDICTION = "training and in-context coherence order the landscape's labellings the same way (P7)"
#: marker and colour of each landscape labelling (others: a dot)
MARKS = {"gold": ("o", "tab:green"), "negation": ("x", "tab:red"), "all-0": ("v", "grey"), "all-1": ("^", "grey"),
         "zero-shot": ("D", "tab:blue"), "random": ("s", "tab:orange"), SEARCH_END: ("*", "tab:purple")}


def _se(v) -> float:
    se = v.get("se")
    return 0.0 if se is None else float(se)


def figure_data(trainings) -> dict:
    """model -> list of points ``{task, seed, labelling, accuracy, in_context, in_context_se,
    train, train_se}`` (means and standard errors in nats), one per labelling per record."""
    res: dict = {}
    for data in trainings:
        pts = res.setdefault(data["config"]["model"], [])
        for key in sorted(data["records"]):
            r = data["records"][key]
            for name, v in r["labellings"].items():
                pts.append({"task": r["task"], "seed": r["seed"], "labelling": name, "accuracy": v["accuracy"],
                            "in_context": v["in_context"]["mean"], "in_context_se": _se(v["in_context"]),
                            "train": v["train"]["mean"], "train_se": _se(v["train"])})
    return res


def _plot(d):
    import matplotlib.pyplot as plt

    models = list(d)
    fig, axes = plt.subplots(1, max(1, len(models)), figsize=(5.2 * max(1, len(models)), 4.6), squeeze=False)
    for ax, model in zip(axes[0], models):
        pts = d[model]
        seen = set()
        for p in pts:
            kind = "random" if p["labelling"].startswith("random-") else p["labelling"]
            mk, col = MARKS.get(kind, (".", "black"))
            ax.errorbar(p["in_context"], p["train"], xerr=p["in_context_se"], yerr=p["train_se"], fmt=mk, color=col,
                        ms=5, capsize=2, lw=0.8, label=None if kind in seen else kind, zorder=3)
            seen.add(kind)
        if pts:
            vals = [p[k] for p in pts for k in ("in_context", "train")]
            lo, hi = min(vals), max(vals)
            pad = 0.05 * (hi - lo or 1.0)
            ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", ls=":", lw=1, label="identity")
        ax.set_xlabel("in-context coherence Coh (nats)")
        ax.set_ylabel("coherence through training Coh_train (nats)")
        ax.set_title(model)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def _finding(preds: dict) -> str:
    parts = []
    for model, pr in preds.items():
        tau = "n/a" if pr["kendall_tau"] is None else f"{pr['kendall_tau']:.2f}"
        parts.append(f"{model}: P7 {pr['verdict']} ({pr['cases_ok']} gold-vs-other pairs ordered alike, "
                     f"{pr['undecided']} undecided; Kendall tau {tau}, {pr['discordant_pairs']} discordant of "
                     f"{pr['pairs']} pairs)")
    return "; ".join(parts) or "no training records"


def produce_training_figure(files, out) -> dict:
    """Write the figure, its data file and its manifest entry (module docstring); returns the entry."""
    import matplotlib

    matplotlib.use("Agg")
    from simulations.figures import code_version, data_bytes, read_manifest, save_figure
    from simulations.lm.results.training_prediction import p7
    from simulations.lm.results.training_file import read_training_file

    out = check_writable(Path(out), argument="--out")
    trainings = [read_training_file(f) for f in files]  # a bad file: ValueError naming it and the field
    params = {"tables": [Path(f).name for f in files], "configs": [t["config"] for t in trainings]}
    full = {t["config"]["model"]: p7(t) for t in trainings}
    preds = {m: {"P7": pr["verdict"]} for m, pr in full.items()}
    data = figure_data(trainings)
    finding = _finding(full)
    record = {"id": FIGURE_ID, "claims": ["P7"], "title": TITLE, "prediction": PREDICTION, "finding": finding,
              "params": params, "predictions": preds, "data": data, "code_version": code_version()}
    atomic_write_bytes(out / "data" / f"{FIGURE_ID}.json", data_bytes(record))
    names = save_figure(_plot(data), out, FIGURE_ID)
    verdict = combine([v["P7"] for v in preds.values()])
    entry = {"id": FIGURE_ID, "files": names, "claims": ["P7"], "title": TITLE, "finding": finding,
             "prediction": PREDICTION, "verdict": verdict, "seed": 0, "params": params,
             "data": f"data/{FIGURE_ID}.json", "code_version": code_version()}
    man = out / "manifest.json"
    keep = [e for e in read_manifest(man) if e["id"] != FIGURE_ID]
    atomic_write_bytes(man, (json.dumps({"figures": keep + [entry]}, indent=1, sort_keys=True) + "\n").encode())
    return entry

