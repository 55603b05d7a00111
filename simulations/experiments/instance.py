"""One instance of a regime: the pretrained prior, the truth and what the methods are told.

Every regime module builds its instances with ``instance(params, x, seed) -> Instance``; the
same instance is given to every method (:func:`simulations.accuracy.compare_methods`), and
:func:`scan` measures the exact decoders on the first seed's instances for the regime's check.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulations.accuracy import METHODS, Enumerated, zero_shot_accuracy
from theory import ConceptMixture


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


def truth_and_wrong(rng: np.random.Generator, n: int, agree: float, eps: list, w: list):
    """``(prior, truth)``: a random truth ``(n,)`` and a wrong map equal to it on a fraction
    ``agree`` of the items (:func:`map_with_agreement`), with noises ``eps = [eps_truth, eps_wrong]``
    (flip probabilities) and weights ``w`` (probabilities)."""
    truth = rng.integers(0, 2, n)
    wrong = map_with_agreement(rng, truth, agree)
    return ConceptMixture(F=np.stack([truth, wrong]), eps=eps, w=w), truth


def scan(build, p: dict, zero_shot: bool = True) -> list:
    """``[x, exact coherence accuracy, zero-shot accuracy]`` (fractions of all items) for every ``x``
    of ``p["xs"]``, on the instance ``build(p, x, p["seeds"][0])``: the exact argmax over ``{0,1}^n``
    and the per-item zero-shot argmax, ties averaged; zero-shot is None without ``zero_shot``."""
    rows = []
    for x in p["xs"]:
        inst = build(p, x, p["seeds"][0])
        z = zero_shot_accuracy(inst.prior, inst.truth, None) if zero_shot else None
        rows.append([float(x), Enumerated(inst.prior).accuracy(inst.truth, None), z])
    return rows
