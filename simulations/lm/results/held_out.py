"""The part of a run record its labels' Coh on the held-out evaluation orders decides.

:func:`held_out_part` scores a labelling on the evaluation orders (nats, with its standard
error), compares it paired with gold there, and says, for the searches that maximise Coh, which
references it lies below (:func:`failure`): a search failure. ``lm run`` and every table cell
call it, so the two report the same quantity under the same names
(:mod:`simulations.lm.results.run_record`).
"""
from __future__ import annotations

import numpy as np

from simulations.lm.searches.coherence_estimate import below_references, coh, paired, verdict
from simulations.lm.searches.methods import COHERENCE_SEARCHES
from simulations.lm.tasks.constraints import allows_every_labelling


def held_out_part(prior, labels, gold, method: str, constraint: str, evaluation: dict) -> dict:
    """The part of a record that its labels' Coh on the evaluation orders decides: ``{labels,
    accuracy, coherence, coherence_per_order, coh, vs_gold, below_gold, search_failure, ...}``
    (nats; :func:`failure`). ``evaluation``: ``{orders, gold_per_order, constants}``, with
    ``gold_per_order`` ``None`` when some gold label is unknown (``-1``): then ``accuracy`` counts
    the labelled items only (``None`` when there is none) and ``vs_gold``, ``below_gold`` are
    ``None``."""
    labels = np.asarray(labels, dtype=np.int64)
    gold = np.asarray(gold, dtype=np.int64)
    known = gold >= 0
    held_out = coh(prior, labels, evaluation["orders"])
    gold_per_order = evaluation.get("gold_per_order")
    cmp = None if gold_per_order is None else paired(held_out["per_order"], gold_per_order)
    return {"labels": labels.tolist(),
            "accuracy": float(np.mean(labels[known] == gold[known])) if known.any() else None,
            "coherence": held_out["mean"], "coherence_per_order": held_out["per_order"],
            "coh": {k: held_out[k] for k in ("mean", "se", "orders")}, "vs_gold": cmp,
            "below_gold": None if cmp is None else verdict(cmp) == "below",
            **failure(method, constraint, held_out["per_order"], evaluation)}


def failure(method: str, constraint: str, per_order, evaluation: dict) -> dict:
    """``{search_failure, below}`` of a record: the references its labels lie below (gold; under a
    constraint that allows every labelling also the constants, in ``evaluation["constants"]``);
    ``search_failure`` is set for the searches that maximise Coh only (``None`` for the others),
    and ``None`` too when there is no reference to judge by (gold unknown and no constants)."""
    if method not in COHERENCE_SEARCHES:
        return {"search_failure": None}
    gold_per_order = evaluation.get("gold_per_order")
    constants = evaluation.get("constants", {}) if allows_every_labelling(constraint) else {}
    if gold_per_order is None and not constants:
        return {"search_failure": None}
    below = below_references(per_order, gold_per_order, constants, constraint)
    return {"search_failure": bool(below), "below": below}
