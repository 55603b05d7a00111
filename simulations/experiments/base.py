"""The shape of an experiment: parameters -> sweep points -> per-point results -> data -> figure.

Every figure is an :class:`Experiment` (:func:`simulations.experiments.REGISTRY` lists them).
``evaluate`` is a picklable top-level function of one point (it runs in sweep workers);
``summarize`` turns the per-point results into the figure's data (JSON, deterministic);
``finding`` and ``verdict`` are computed from that data, never written by hand; an experiment
whose finding also needs the run's parameters (a phase diagram's closed-form margin) sets
``reads_params`` and gets them as a second argument (:meth:`Experiment.judge`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from proofs_check.verdicts import VERDICTS


@dataclass
class Experiment:
    id: str
    claims: list
    title: str
    #: the prediction under test, in words (README and manifest)
    prediction: str
    params: Callable[[bool], dict]
    points: Callable[[dict], list]
    evaluate: Callable[[dict], dict]
    summarize: Callable[[dict, list], dict]
    plot: Callable[[dict], object]
    finding: Callable[[dict], str]
    #: a word of :data:`proofs_check.verdicts.VERDICTS`, computed from the data
    verdict: Callable[[dict], str]
    #: bump when the meaning of ``evaluate`` changes (enters every cache key)
    version: str = "1"
    extras: dict = field(default_factory=dict)
    #: ``finding`` and ``verdict`` take ``(data, params)`` instead of ``(data)``
    reads_params: bool = False

    def judge(self, data: dict, params: dict) -> tuple:
        """``(finding, verdict)`` of ``data``, the summary of a run at ``params``."""
        args = (data, params) if self.reads_params else (data,)
        verdict = self.verdict(*args)
        if verdict not in VERDICTS:
            # one vocabulary for checks and figures: a figure cannot invent a verdict word
            raise ValueError(f"{self.id}: verdict {verdict!r} is not one of {VERDICTS}")
        return self.finding(*args), verdict


def rounded(obj, digits: int = 6):
    """``obj`` with every float rounded to ``digits`` significant decimals (deterministic JSON);
    non-finite floats become None."""
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        return float(f"{obj:.{digits}g}") if obj != 0 else 0.0
    if isinstance(obj, dict):
        return {str(k): rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v, digits) for v in obj]
    if hasattr(obj, "tolist"):
        return rounded(obj.tolist(), digits)
    if hasattr(obj, "item"):
        return rounded(obj.item(), digits)
    return obj


def fmt(x, digits: int = 2) -> str:
    """A number for a finding sentence (None -> 'n/a')."""
    if x is None:
        return "n/a"
    return f"{x:.{digits}f}"
