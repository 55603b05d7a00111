"""The regimes ``coherence lm diagnose`` reports, read from paired comparisons with gold.

Every comparison is ``paired(Coh(x), Coh(gold))`` over the same held-out orders
(:func:`~simulations.lm.searches.coherence_estimate.paired`): ``x`` is *above* gold when its interval lies
above 0, *below* when it lies below, *tied* otherwise. Two regimes, each with its reason in numbers:

**Unconstrained** (is the objective itself degenerate, R6): ``R6-constant`` when a constant
labelling, or the free search's end when it is at least ``near_constant`` one label, is above
gold; ``constant-tied`` when the best of them is tied with gold; else ``gold-above-constants``.

**Under the constraint**, in this order:

* ``no-knowledge`` -- the zero-shot AUC interval holds 1/2 and gold is not above every random
  allowed labelling: the model does not know the task, and no search can find what it lacks;
* ``reversed-knowledge`` -- the zero-shot AUC interval lies below 1/2 and the negation is above
  gold: a coherence search will find the negation of the truth;
* ``search-failure`` -- the search's end is below gold: the search failed, not the theory;
* ``R2-symmetry`` -- gold and its negation are tied;
* ``R3-salient-wrong`` -- the end is above gold yet agrees with gold on less than ``good`` of
  the items;
* ``success`` -- the end is not below gold and agrees with it on at least ``good`` of the items;
* ``partial`` -- otherwise (the end ties gold at a lower accuracy: the objective is flat there).
"""
from __future__ import annotations

import numpy as np

from simulations.lm.searches.coherence_estimate import below_references, verdict


def _fmt(cmp: dict) -> str:
    return f"{cmp['diff']:+.2f} [{cmp['ci'][0]:+.2f}, {cmp['ci'][1]:+.2f}] nats"


def unconstrained_regime(land: dict, found_free: dict, cmp: dict, *, near_constant: float = 0.9) -> dict:
    """R6 or not, from the constants and the free search's end (see the module docstring)."""
    cands = [(k, 1.0) for k in ("all-0", "all-1") if k in land]
    labels = np.asarray(found_free["labels"])
    share = max(labels.mean(), 1 - labels.mean())
    if share >= near_constant:
        cands.append(("found (none)", share))
    best = max(cands, key=lambda kv: cmp[kv[0]]["diff"])
    c = cmp[best[0]]
    what = f"{best[0]} ({best[1]:.0%} one label) minus gold: {_fmt(c)}"
    v = verdict(c)
    if v == "above":
        return {"regime": "R6-constant", "reason": f"a near-constant labelling is more coherent than gold: {what}"}
    if v == "tied":
        return {"regime": "constant-tied", "reason": f"gold and the best near-constant labelling are tied: {what}"}
    return {"regime": "gold-above-constants", "reason": f"gold is more coherent than every constant: {what}"}


def constrained_regime(constraint: str, knowledge: dict, land: dict, found: dict, cmp: dict, gold_climb: dict,
                       *, good: float = 0.75) -> dict:
    """The regime under ``constraint`` (see the module docstring); ``found`` is the search's end
    under it (the free search's end when the constraint is ``none``)."""
    key = f"found ({constraint})"
    lo, hi = knowledge["auc_interval"]
    randoms = [k for k in cmp if k.startswith("random-")]
    gold_above_random = bool(randoms) and all(verdict(cmp[k]) == "below" for k in randoms)
    end, acc = cmp[key], found["accuracy"]
    climb = f"; the climb from gold ends at accuracy {gold_climb['accuracy']:.2f}"
    if lo <= 0.5 <= hi and not gold_above_random:
        return {"regime": "no-knowledge",
                "reason": f"the model does not know this task: its zero-shot AUC {knowledge['auc']:.2f} "
                          f"[{lo:.2f}, {hi:.2f}] includes chance, and gold is no more coherent than random "
                          "labellings; no search can find what the model lacks"}
    if hi < 0.5 and verdict(cmp["negation"]) == "above":
        return {"regime": "reversed-knowledge",
                "reason": f"the model's knowledge is reversed: zero-shot AUC {knowledge['auc']:.2f} "
                          f"[{lo:.2f}, {hi:.2f}] "
                          f"lies below chance and the negation is more coherent than gold ({_fmt(cmp['negation'])}); "
                          "a coherence search will find the negation of the truth"}
    if verdict(end) == "below":
        return {"regime": "search-failure",
                "reason": f"the search stopped below gold ({key} minus gold: {_fmt(end)}, accuracy {acc:.2f}): the "
                          f"search failed, not the theory{climb}"}
    if verdict(cmp["negation"]) == "tied":
        return {"regime": "R2-symmetry",
                "reason": f"gold and its negation are tied: negation minus gold {_fmt(cmp['negation'])}"}
    if verdict(end) == "above" and acc < good:
        return {"regime": "R3-salient-wrong",
                "reason": f"a labelling with accuracy {acc:.2f} is more coherent than gold: {_fmt(end)}{climb}"}
    if acc >= good:
        return {"regime": "success", "reason": f"the search's end ({_fmt(end)} against gold) has accuracy {acc:.2f}"}
    return {"regime": "partial",
            "reason": f"the search's end ties gold ({_fmt(end)}) at accuracy {acc:.2f}: "
                      f"the objective is flat there{climb}"}


def end_below(land: dict, end: dict) -> list:
    """The labellings a diagnosis's search end (``found_free`` or ``found_constrained``) lies
    below on its held-out orders, by the table's rule
    (:func:`~simulations.lm.searches.coherence_estimate.below_references`): gold, and the
    constants where its constraint allows every labelling. Non-empty: a search failure."""
    constants = {c: land[c]["per_order"] for c in ("all-0", "all-1")}
    return below_references(end["coherence"]["per_order"], land["gold"]["per_order"], constants, end["constraint"])
