"""The rules that turn intervals into the cases of a prediction (:mod:`simulations.lm.results.predictions`,
:mod:`simulations.lm.results.training_prediction`): a paired comparison of two labellings' Coh with
its verdict word, a case's outcome from an interval, and a prediction's verdict from its cases.
"""
from __future__ import annotations

from simulations.lm.searches.coherence_estimate import paired, verdict


def compare(a, b) -> dict:
    """Paired comparison of two per-order Coh lists (nats): the mean difference, its standard
    error and 95% t-interval (:func:`~simulations.lm.searches.coherence_estimate.paired`) with its
    verdict word (``above``, ``below`` or ``tied``)."""
    c = paired(a, b)
    return {**c, "verdict": verdict(c)}


def interval_outcome(lo, hi) -> str:
    """A case whose interval lies above 0 confirms, below 0 refutes; one that holds 0 (or has no
    interval: ``None`` bounds) is undecided."""
    if lo is None or hi is None:
        return "undecided"
    return "confirmed" if lo > 0 else "refuted" if hi < 0 else "undecided"


def judge(cases) -> tuple:
    """``(verdict, undecided)`` from per-case outcomes ``"confirmed"``, ``"refuted"`` or
    ``"undecided"`` (an interval that holds 0): any refuted case fails the prediction, all
    confirmed hold it; undecided cases and none refuted leave it ``not judged`` at this many orders
    or seeds (more would decide it), as does no case at all."""
    if not cases:
        return "not judged", 0
    undecided = sum(c == "undecided" for c in cases)
    if "refuted" in cases:
        return "fails", undecided
    return ("holds" if not undecided else "not judged"), undecided
