"""Two-parameter phase diagrams: a measured quantity over a grid, with the measured contour
(solid) and the closed-form boundary (dashed) drawn on top.

The module owning a phase diagram (the regime whose boundary it maps, :mod:`simulations.regimes`)
defines its cell function ``cell(params, x, y, seed) -> {name: float}`` and builds the figure's
:class:`~simulations.experiments.base.Experiment` with :func:`phase_experiment`, naming the module
and the cell function. The data file holds the per-cell means over seeds (``grid[name][iy][ix]``)
and the predicted boundary as polylines. The finding and verdict of a phase diagram take
``(data, params)``: the closed-form margins they compare with are computed from the run's
parameters, never from copied numbers.
"""
from __future__ import annotations

import importlib
import math
import textwrap
from typing import Callable

import numpy as np

from .base import Experiment


def evaluate_cell(point: dict) -> dict:
    """The cell function ``point["cell"]`` of module ``point["module"]`` at one grid point and seed
    (picklable: runs in sweep workers); non-finite values become None."""
    mod = importlib.import_module(point["module"])
    out = getattr(mod, point["cell"])(point["params"], point["x"], point["y"], point["seed"])
    return {k: (float(v) if math.isfinite(v) else None) for k, v in out.items()}   # JSON has no NaN


def phase_experiment(*, id: str, claims: list, title: str, prediction: str, module: str, cell: str,
                     params: Callable[[bool], dict], panels: list, boundary: Callable[[dict], list],
                     finding: Callable[[dict, dict], str], verdict: Callable[[dict, dict], str], xlabel: str,
                     ylabel: str, version: str = "1") -> Experiment:
    """An :class:`Experiment` over the grid ``params["xs"]`` x ``params["ys"]`` x ``params["seeds"]``,
    each point evaluated by ``module.<cell>(params, x, y, seed)``. ``panels``: ``[{"value": name,
    "label": colourbar label, "level": contour level, "vmin": .., "vmax": .., "cmap": ..}]``;
    ``boundary(params)`` -> ``[{"x": [...], "y": [...], "label": ..., "panels": [panel indices]}]``;
    ``finding(data, params)`` and ``verdict(data, params)``."""

    def points(p):
        return [{"module": module, "cell": cell, "params": p, "x": x, "y": y, "seed": s}
                for y in p["ys"] for x in p["xs"] for s in p["seeds"]]

    def summarize(p, results):
        S, X, Y = len(p["seeds"]), len(p["xs"]), len(p["ys"])
        names = sorted(results[0])
        arr = {k: np.array([np.nan if r[k] is None else r[k] for r in results], dtype=float).reshape(Y, X, S)
               for k in names}
        return {"x": p["xs"], "y": p["ys"], "seeds": p["seeds"],
                "grid": {k: _mean_over_seeds(v).tolist() for k, v in arr.items()},
                "boundary": boundary(p), "panels": panels}

    def plot(d):
        return plot_phase(d, title, xlabel, ylabel)

    return Experiment(id=id, claims=claims, title=title, prediction=prediction, params=params, points=points,
                      evaluate=evaluate_cell, summarize=summarize, plot=plot, finding=finding, verdict=verdict,
                      version=version, reads_params=True)


def _mean_over_seeds(v: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring NaN (cells with no value stay NaN, without a warning)."""
    count = (~np.isnan(v)).sum(axis=2)
    total = np.where(np.isnan(v), 0.0, v).sum(axis=2)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _edges(v):
    v = np.asarray(v, dtype=float)
    mid = (v[1:] + v[:-1]) / 2
    return np.r_[v[0] - (mid[0] - v[0]), mid, v[-1] + (v[-1] - mid[-1])]


def plot_phase(d: dict, title: str, xlabel: str, ylabel: str):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    P = len(d["panels"])
    fig, axes = plt.subplots(1, P, figsize=(6.4 * P, 5.6), squeeze=False, layout="constrained")
    x, y = np.asarray(d["x"], dtype=float), np.asarray(d["y"], dtype=float)
    for j, panel in enumerate(d["panels"]):
        ax = axes[0, j]
        Z = np.asarray(d["grid"][panel["value"]], dtype=float)
        mesh = ax.pcolormesh(_edges(x), _edges(y), Z, cmap=panel.get("cmap", "cividis"), vmin=panel.get("vmin"),
                             vmax=panel.get("vmax"), shading="flat")
        cb = fig.colorbar(mesh, ax=ax, shrink=0.9)
        cb.set_label(panel["label"])
        handles = []
        if panel.get("level") is not None and np.nanmin(Z) < panel["level"] < np.nanmax(Z):
            ax.contour(x, y, Z, levels=[panel["level"]], colors="#FFFFFF", linewidths=2.2)
            ax.contour(x, y, Z, levels=[panel["level"]], colors="#000000", linewidths=0.8)
            handles.append(Line2D([], [], color="#000000", lw=1.6, label=f"measured contour at {panel['level']:g}"))
        for b in d["boundary"]:
            if j not in b.get("panels", [0]):
                continue
            ax.plot(b["x"], b["y"], ls="--", lw=2.2, color=b.get("colour", "#D55E00"))
            handles.append(Line2D([], [], ls="--", lw=2.2, color=b.get("colour", "#D55E00"), label=b["label"]))
        ax.set_xlim(_edges(x)[0], _edges(x)[-1])
        ax.set_ylim(_edges(y)[0], _edges(y)[-1])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(textwrap.fill(panel.get("title", ""), 60), fontsize=9.5)
        if handles:
            ax.legend(handles=handles, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1,
                      frameon=False)
    fig.suptitle(textwrap.fill(title, 62 * P), fontsize=10.5)
    return fig


def grid(d: dict, name: str) -> np.ndarray:
    return np.asarray(d["grid"][name], dtype=float)
