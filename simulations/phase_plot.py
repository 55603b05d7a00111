"""Phase diagrams of a user's own sweep: one measured value over a grid of two parameters.

:func:`plot_phase` takes the records of a sweep (each a dict holding the two swept parameters and
the measured value, e.g. ``dict(point, **result)`` for the points and results of
:func:`simulations.sweep.sweep`), arranges them on the grid of distinct ``x`` and ``y`` values,
colours each cell by the mean of ``value`` over the records in it (several seeds per cell are
averaged; an empty cell stays blank), and draws a predicted boundary ``y = boundary(x)`` over it.
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np


def phase_grid(records: Iterable[dict], x: str, y: str, value: str) -> tuple:
    """``(xs, ys, Z)``: the sorted distinct values of ``x`` and ``y`` and the ``(len(ys), len(xs))``
    array of per-cell means of ``value`` (NaN where no record falls)."""
    rows = list(records)
    if not rows:
        raise ValueError("records must hold at least one sweep record")
    for key in (x, y, value):
        missing = [j for j, r in enumerate(rows) if key not in r]
        if missing:
            raise ValueError(f"record {missing[0]} has no key {key!r} (keys: {sorted(rows[missing[0]])})")
    try:
        xv = np.array([float(r[x]) for r in rows])
        yv = np.array([float(r[y]) for r in rows])
        vv = np.array([np.nan if r[value] is None else float(r[value]) for r in rows])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"x, y and value must be numbers in every record: {exc}") from None
    xs, xi = np.unique(xv, return_inverse=True)
    ys, yi = np.unique(yv, return_inverse=True)
    total = np.zeros((len(ys), len(xs)))
    count = np.zeros((len(ys), len(xs)))
    ok = ~np.isnan(vv)
    np.add.at(total, (yi[ok], xi[ok]), vv[ok])
    np.add.at(count, (yi[ok], xi[ok]), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        Z = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return xs, ys, Z


def _edges(v: np.ndarray) -> np.ndarray:
    """Cell edges halfway between grid values (one unit wide around a single value)."""
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])


def plot_phase(records: Iterable[dict], x: str, y: str, value: str, boundary: Callable | None = None,
               ax=None, cmap: str = "viridis", vmin: float | None = None, vmax: float | None = None,
               boundary_label: str = "predicted boundary"):
    """Draw the phase diagram of ``value`` over ``(x, y)`` and return the matplotlib figure.

    ``boundary``, when given, maps an array of ``x`` values to the predicted ``y`` values and is
    drawn as a line across the grid's ``x`` range (points outside the grid's ``y`` range are
    clipped by the axes). ``ax`` is an existing axes to draw into; otherwise a new figure is made.
    """
    import matplotlib.pyplot as plt

    xs, ys, Z = phase_grid(records, x, y, value)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 4.0))
    else:
        fig = ax.figure
    mesh = ax.pcolormesh(_edges(xs), _edges(ys), np.ma.masked_invalid(Z), cmap=cmap, vmin=vmin, vmax=vmax,
                         shading="flat")
    fig.colorbar(mesh, ax=ax, label=value)
    if boundary is not None:
        bx = np.linspace(xs[0], xs[-1], 200) if len(xs) > 1 else xs.astype(float)
        by = np.asarray(boundary(bx), dtype=float)
        if by.shape != bx.shape:
            raise ValueError(f"boundary must map an array of {len(bx)} x values to as many y values, "
                             f"got shape {by.shape}")
        ax.plot(bx, by, color="white", lw=2, ls="--", label=boundary_label)
        ax.legend(loc="best", fontsize=8)
    ye = _edges(ys)
    ax.set_ylim(ye[0], ye[-1])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    return fig
