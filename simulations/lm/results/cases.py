"""The rules that turn intervals into the cases of a prediction (:mod:`simulations.lm.results.predictions`,
:mod:`simulations.lm.results.training_prediction`): a paired comparison of two labellings' Coh with
its verdict word, a case's outcome from an interval, and a prediction's verdict from its cases,
with the two intervals every verdict carries: the fraction of its cases that agree (Wilson) and
the case nearest to refuting it (a paired t-interval).
"""
from __future__ import annotations

from simulations.lm.searches.coherence_estimate import paired, verdict
from theory.statistics import wilson


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


def fraction(ok) -> dict:
    """``{mean, lo, hi, n}``: the fraction of a prediction's judged cases that agree with it
    (``ok``, booleans) and its Wilson 95% interval; ``mean`` ``None`` with no case (the interval
    is then ``[0, 1]``)."""
    ok = [bool(x) for x in ok]
    lo, hi = wilson(sum(ok), len(ok))
    return {"mean": sum(ok) / len(ok) if ok else None, "lo": lo, "hi": hi, "n": len(ok)}


def closest(cases: dict) -> dict | None:
    """``{diff, lo, hi, case}``: among the paired comparisons ``cases`` (name -> :func:`compare`,
    each a difference the prediction says is positive, nats), the one whose 95% interval reaches
    lowest, the case nearest to refuting it; ``None`` with no case."""
    if not cases:
        return None
    name, c = min(cases.items(), key=lambda kv: kv[1]["ci"][0])
    return {"diff": c["diff"], "lo": c["ci"][0], "hi": c["ci"][1], "case": name}
