"""One-parameter regime sweeps: every method's accuracy against a parameter, with the closed-form
boundary drawn where docs/theory.md gives one.

A regime module (:mod:`simulations.regimes`) defines ``instance(params, x, seed) -> Instance``
(the same instance for every method) and builds its ``EXPERIMENT`` with :func:`regime_experiment`,
naming itself as the module (this module imports no regime: the regimes import it). The data file holds, for
every ``x`` and method, the mean accuracy with its 95% Student-t interval across seeds, the
optional per-instance measurements (``Instance.measures``), and the predicted boundaries.
"""
from __future__ import annotations

import importlib
import textwrap
from typing import Callable

import numpy as np

from simulations.accuracy import compare_methods
from theory.statistics import first_crossing, mean_ci

from .base import Experiment
from .style import COLOURS, LABELS, MARKERS

#: colours for measured extra quantities (Okabe-Ito, distinct from the method colours' order)
MEASURE_COLOURS = ["#CC79A7", "#009E73", "#D55E00", "#0072B2", "#E69F00"]


def evaluate_point(point: dict) -> dict:
    """Run every method on the instance ``point`` names (picklable: runs in sweep workers): the
    :class:`simulations.experiments.instance.Instance` built by ``instance(params, x, seed)`` of the
    module ``point["module"]``."""
    mod = importlib.import_module(point["module"])
    inst = mod.instance(point["params"], point["x"], point["seed"])
    acc = compare_methods(inst.prior, inst.truth, labels=inst.labels, eta=inst.eta, seed=point["seed"],
                          items=inst.items, methods=inst.methods, enumerated=inst.enumerated,
                          constraints=inst.constraints, constraint_mask=inst.constraint_mask)
    return {"accuracy": acc, "measures": {k: float(v) for k, v in inst.measures.items()}}


def summarize_regime(params: dict, results: list, boundaries: list, curves: list) -> dict:
    xs = list(params["xs"])
    seeds = list(params["seeds"])
    by_x = {j: results[j * len(seeds):(j + 1) * len(seeds)] for j in range(len(xs))}
    methods = sorted({m for r in results for m in r["accuracy"]}, key=lambda m: list(LABELS).index(m))
    acc = {m: [mean_ci([r["accuracy"].get(m) for r in by_x[j]], bounds=(0.0, 1.0)) for j in range(len(xs))]
           for m in methods}
    measure_names = sorted({k for r in results for k in r["measures"]})
    measures = {k: [mean_ci([r["measures"].get(k) for r in by_x[j]]) for j in range(len(xs))]
                for k in measure_names}
    return {"x": xs, "seeds": seeds, "accuracy": acc, "measures": measures,
            "boundaries": boundaries, "predicted_curves": curves}


def plot_regime(data: dict, xlabel: str, title: str, ylabel: str = "accuracy on unlabelled items",
                logx: bool = False, extra_panel: Callable | None = None, measure_lines: dict | None = None,
                ylim=(-0.03, 1.05)):
    import matplotlib.pyplot as plt

    ncols = 2 if extra_panel else 1
    fig, axes = plt.subplots(1, ncols, figsize=(7.6 if ncols == 1 else 12.5, 6.0), squeeze=False,
                             layout="constrained")
    ax = axes[0, 0]
    x = np.asarray(data["x"], dtype=float)
    for m in [m for m in LABELS if m in data["accuracy"]]:
        rows = data["accuracy"][m]
        mean = np.array([r["mean"] for r in rows], dtype=float)
        lo = np.array([r["lo"] for r in rows], dtype=float)
        hi = np.array([r["hi"] for r in rows], dtype=float)
        ax.plot(x, mean, marker=MARKERS.get(m, "o"), ms=4, lw=1.4, color=COLOURS.get(m, "grey"),
                label=LABELS.get(m, m), zorder=3 if m == "exact" else 2)
        if m == "exact":          # one band only, to keep the plot readable; every CI is in the data file
            ax.fill_between(x, lo, hi, color=COLOURS[m], alpha=0.15, lw=0, label="exact: 95% CI across seeds")
    for j, (name, label) in enumerate((measure_lines or {}).items()):
        rows = data["measures"].get(name)
        if not rows:
            continue
        mean = np.array([np.nan if r["mean"] is None else r["mean"] for r in rows], dtype=float)
        lo = np.array([np.nan if r["lo"] is None else r["lo"] for r in rows], dtype=float)
        hi = np.array([np.nan if r["hi"] is None else r["hi"] for r in rows], dtype=float)
        col = MEASURE_COLOURS[j % len(MEASURE_COLOURS)]
        ax.plot(x, mean, ls=("-.", ":", "--")[j % 3], marker=("x", "+", "1")[j % 3], ms=6, lw=1.6 + 0.8 * (j == 0),
                color=col, label=label)
        ax.fill_between(x, lo, hi, color=col, alpha=0.12, lw=0)
    for j, c in enumerate(data.get("predicted_curves", [])):
        ax.plot(c["x"], c["y"], ls=(":", (0, (5, 2, 1, 2)))[j % 2], lw=2.0, color=("#444444", "#999999")[j % 2],
                label=c["label"], zorder=4)
    ymin, ymax = ylim
    for j, b in enumerate(data.get("boundaries", [])):
        if b.get("x") is None:
            continue
        ax.axvline(b["x"], ls="--", lw=1.3, color=b.get("colour", "#555555"), label=b["label"])
    if logx:
        ax.set_xscale("log")
    if ymin is not None:
        ax.set_ylim(ymin, ymax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + " (fraction)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    ax.set_title(textwrap.fill(title, 64 if ncols == 1 else 60), fontsize=9.5)
    if extra_panel:
        extra_panel(axes[0, 1], data)
    return fig


def regime_experiment(*, id: str, claims: list, title: str, prediction: str, module: str,
                      params: Callable[[bool], dict], boundaries: Callable[[dict], list],
                      finding: Callable[[dict], str], verdict: Callable[[dict], str], xlabel: str,
                      curves: Callable[[dict], list] | None = None, logx: bool = False,
                      ylabel: str = "accuracy on unlabelled items", extra_panel: Callable | None = None,
                      measure_lines: dict | None = None, ylim=(-0.03, 1.05), version: str = "1") -> Experiment:
    """An :class:`Experiment` sweeping ``params["xs"]`` x ``params["seeds"]``."""

    def points(p):
        return [{"module": module, "params": p, "x": x, "seed": s} for x in p["xs"] for s in p["seeds"]]

    def summarize(p, results):
        return summarize_regime(p, results, boundaries(p), curves(p) if curves else [])

    def plot(data):
        return plot_regime(data, xlabel, title, ylabel, logx, extra_panel, measure_lines, ylim)

    return Experiment(id=id, claims=claims, title=title, prediction=prediction, params=params, points=points,
                      evaluate=evaluate_point, summarize=summarize, plot=plot, finding=finding,
                      verdict=verdict, version=version)


def series(data: dict, method: str, key: str = "mean") -> np.ndarray:
    """Per-x values of one method's accuracy (NaN where missing)."""
    rows = data["accuracy"].get(method)
    if rows is None:
        return np.full(len(data["x"]), np.nan)
    return np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=float)


def measure(data: dict, name: str, key: str = "mean") -> np.ndarray:
    return np.array([np.nan if r[key] is None else r[key] for r in data["measures"][name]], dtype=float)


def first_x(data: dict, flags) -> float | None:
    """First x at which ``flags`` is True (:func:`theory.statistics.first_crossing`)."""
    return first_crossing(data["x"], flags)
