"""One instance of a regime: the pretrained prior, the truth and what the methods are told.

Every regime module builds its instances with ``instance(params, x, seed) -> Instance``; the
same instance is given to every method (:func:`simulations.accuracy.compare_methods`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulations.accuracy import METHODS


@dataclass
class Instance:
    """``prior``, ``truth`` ``(n,)``, observed ``labels`` ``{item: label}`` with flip rate ``eta``,
    the ``items`` accuracy is measured on (default: the unlabelled ones), optional constraints
    (and their admissibility mask over ``Y^n``), the ``methods`` to compare, extra per-instance
    numbers ``measures`` (floats) and a precomputed :class:`simulations.accuracy.Enumerated`."""

    prior: object
    truth: np.ndarray
    labels: dict = field(default_factory=dict)
    eta: float = 0.0
    items: np.ndarray | None = None
    constraints: object = None
    constraint_mask: np.ndarray | None = None
    methods: tuple = METHODS
    measures: dict = field(default_factory=dict)
    enumerated: object = None


def map_with_agreement(rng: np.random.Generator, truth, agree: float) -> np.ndarray:
    """A map equal to ``truth`` on a fraction ``agree`` of the items (the rest flipped)."""
    truth = np.asarray(truth, dtype=np.int64)
    other = truth.copy()
    flip = rng.choice(truth.size, int(round((1 - agree) * truth.size)), replace=False)
    other[flip] = 1 - other[flip]
    return other
