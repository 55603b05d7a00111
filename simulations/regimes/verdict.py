"""The one verdict vocabulary and decision rule shared by the regime checks and figures.

Vocabulary. A check (``coherence check``) states a claim and returns ``holds``, ``fails``,
``holds-under-conditions`` (true inside stated conditions, with a counterexample outside) or
``not judged`` (the data cannot decide; the real-model predictions only); a
figure (:mod:`simulations.experiments`) tests the same prediction on its sweep and returns
``confirms`` (the data agree with the prediction), ``confirms-under-conditions`` or ``refutes``. The two sets name the
same outcome at two levels -- a proposition and the evidence for it -- and :data:`FIGURE_TO_CHECK`
maps one to the other; no other verdict word is used anywhere.

Decision rule. A regime predicts a boundary ``x*`` in closed form, and the sweep measures the
first grid point ``m`` where the exact decoder's behaviour changes
(:func:`theory.statistics.first_crossing`).
The prediction is confirmed when

    ``m`` exists and ``|m - x*| <= 2 * step``,

``step`` being the largest spacing of the grid: an exact closed form puts ``m`` within one
step past ``x*``, so the rule allows one step of grid placement and one of slack. Side
conditions (e.g. "coherence below zero-shot inside the window") are exact comparisons.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHECK_VERDICTS = ("holds", "fails", "holds-under-conditions", "not judged")
FIGURE_VERDICTS = ("confirms", "refutes", "confirms-under-conditions")
#: a figure verdict as the check verdict it supports
FIGURE_TO_CHECK = {"confirms": "holds", "refutes": "fails", "confirms-under-conditions": "holds-under-conditions"}


def grid_step(xs) -> float:
    """The largest spacing of a sorted grid (1 for a single point)."""
    xs = np.asarray(xs, dtype=float)
    return float(np.diff(xs).max()) if xs.size > 1 else 1.0


def boundary_agrees(measured, predicted: float, step: float) -> bool:
    """The decision rule of the module docstring: ``|measured - predicted| <= 2 step``."""
    return measured is not None and abs(float(measured) - float(predicted)) <= 2 * step


def figure_verdict(ok: bool) -> str:
    return "confirms" if ok else "refutes"


def check_verdict(ok: bool) -> str:
    return "holds" if ok else "fails"


def under_conditions(holds_inside: bool, counterexample_outside) -> str:
    """Verdict for a claim true inside its conditions: ``holds-under-conditions`` when a
    counterexample outside was found, ``holds`` when none was, ``fails`` when it fails inside."""
    if not holds_inside:
        return "fails"
    return "holds" if counterexample_outside is None else "holds-under-conditions"


@dataclass
class CheckResult:
    """What a regime's check measured (``check_result(quick)`` of a module of
    :mod:`simulations.regimes`): its check verdict (:data:`CHECK_VERDICTS`), the measured values
    (JSON-able) and the counterexample (an instance outside the conditions, or None). The check in
    :mod:`proofs_check.c5_regimes` adds the claim's statement to it."""

    verdict: str
    measured: dict
    counterexample: object = None


__all__ = ["CHECK_VERDICTS", "FIGURE_VERDICTS", "FIGURE_TO_CHECK", "grid_step", "boundary_agrees",
           "figure_verdict", "check_verdict", "under_conditions", "CheckResult"]
