"""Exact accuracies of the C5 checks: the most coherent map (ties averaged) and zero-shot
answers (ties averaged), on a regime's instances."""
from __future__ import annotations

import numpy as np

from theory import all_behaviours
from theory.decoders import item_accuracy, item_ties, joint_accuracy
from theory.softmax import log_coherence_table



def coherence_accuracy(prior, truth, labeled=(), labels=(), items=None, table=None) -> float:
    """Accuracy of the most coherent map consistent with the labels (exact, ties averaged)."""
    B = all_behaviours(prior.n, prior.k)
    t = log_coherence_table(prior) if table is None else table
    if len(labeled):
        ok = (B[:, list(labeled)] == np.asarray(labels)).all(axis=1)
        t = np.where(ok, t, -np.inf)
    return joint_accuracy(B, t, truth, items)


def zero_shot_accuracy(prior, truth, items=None) -> float:
    """Per-item zero-shot argmax, ties averaged (:mod:`theory.decoders`)."""
    return item_accuracy(item_ties(prior.log_zero_shot()), truth, items)


def scan(regime, p, zero_shot: bool = True) -> list:
    """``[x, exact coherence accuracy, zero-shot accuracy]`` for every ``x`` of the regime's grid, on
    the regime's first instance (``p["seeds"][0]``); exact over ``{0,1}^n``, ties averaged."""
    rows = []
    for x in p["xs"]:
        inst = regime.instance(p, x, p["seeds"][0])
        z = zero_shot_accuracy(inst.prior, inst.truth) if zero_shot else None
        rows.append([float(x), coherence_accuracy(inst.prior, inst.truth), z])
    return rows
