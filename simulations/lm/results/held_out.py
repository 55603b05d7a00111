"""The part of a table record its labels' Coh on the held-out evaluation orders decides.

:func:`held_out_part` scores a labelling on a landscape's evaluation orders (nats, with its
standard error), compares it paired with gold there, and says, for the searches that maximise
Coh, which references it lies below (:func:`failure`): a search failure.
"""
from __future__ import annotations

import numpy as np

from simulations.lm.searches.coherence_estimate import below_references, coh, paired, verdict
from simulations.lm.searches.methods import COHERENCE_SEARCHES


def held_out_part(prior, labels, gold, method: str, constraint: str, evaluation: dict) -> dict:
    """The part of a record that its labels' Coh on the evaluation orders decides: ``{labels,
    accuracy, coherence, coherence_per_order, coh, vs_gold, below_gold, search_failure, ...}``
    (nats; :func:`failure`)."""
    labels = np.asarray(labels, dtype=np.int64)
    held_out = coh(prior, labels, evaluation["orders"])
    cmp = paired(held_out["per_order"], evaluation["gold_per_order"])
    return {"labels": labels.tolist(), "accuracy": float(np.mean(labels == np.asarray(gold))),
            "coherence": held_out["mean"], "coherence_per_order": held_out["per_order"],
            "coh": {k: held_out[k] for k in ("mean", "se", "orders")}, "vs_gold": cmp,
            "below_gold": verdict(cmp) == "below", **failure(method, constraint, held_out["per_order"], evaluation)}


def failure(method: str, constraint: str, per_order, evaluation: dict) -> dict:
    """``{search_failure, below}`` of a record: the references its labels lie below (gold; with no
    constraint also the constants, in ``evaluation["constants"]``); ``search_failure`` is set for
    the searches that maximise Coh only (``None`` for the others, as in ``lm run``)."""
    if method not in COHERENCE_SEARCHES:
        return {"search_failure": None}
    below = below_references(per_order, evaluation["gold_per_order"], evaluation.get("constants", {}), constraint)
    return {"search_failure": bool(below), "below": below}
