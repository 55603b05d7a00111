"""The decision rule by which a regime's sweep is judged, and what a regime's check measured.

The verdict words are those of every claim (:mod:`proofs_check.verdicts`). A regime predicts a
boundary ``x*`` in closed form, and the sweep measures the first grid point ``m`` where the exact
decoder's behaviour changes (:func:`theory.statistics.first_crossing`). The prediction holds when

    ``m`` exists and ``|m - x*| <= 2 * step``,

``step`` being the largest spacing of the grid: an exact closed form puts ``m`` within one
step past ``x*``, so the rule allows one step of grid placement and one of slack. Side
conditions (e.g. "coherence below zero-shot inside the window") are exact comparisons.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

def grid_step(xs) -> float:
    """The largest spacing of a sorted grid (1 for a single point)."""
    xs = np.asarray(xs, dtype=float)
    return float(np.diff(xs).max()) if xs.size > 1 else 1.0


def boundary_agrees(measured, predicted: float, step: float) -> bool:
    """The decision rule of the module docstring: ``|measured - predicted| <= 2 step``."""
    return measured is not None and abs(float(measured) - float(predicted)) <= 2 * step


@dataclass
class CheckResult:
    """What a regime's check measured (``check_result(quick)`` of a module of
    :mod:`simulations.regimes`): its verdict (:data:`proofs_check.verdicts.VERDICTS`), the measured values
    (JSON-able) and the counterexample (an instance outside the conditions, or None). The check in
    :mod:`proofs_check.c5_regimes` adds the claim's statement to it."""

    verdict: str
    measured: dict
    counterexample: object = None


__all__ = ["grid_step", "boundary_agrees", "CheckResult"]
