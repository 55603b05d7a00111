"""Which items of a user's file a run measures: a seeded subset of whole consistency groups.

:func:`draw_subset` takes ``size`` items made of whole groups (a group is never split: its
relation would break), in a seeded random order, each next group chosen among those that still
fit as the one that keeps the labels most balanced (ties: the random order), so the subset is
balanced where the data allows. :func:`read_eval_ids` reads a published evaluation subset: a JSON
list of consistency ids, or an object with a ``consistency_ids`` list (LLG's ``eval_sets`` files).
Items are matched on their file's own ``consistency_id`` (``Item.source_id``).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np


def read_eval_ids(path) -> dict:
    """``{ids: [canonical id strings], file, sha256}`` of an evaluation-subset file."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"--eval-ids: no such file {p}")
    raw = p.read_bytes()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"--eval-ids {p}: not valid JSON ({exc})") from None
    ids = data.get("consistency_ids") if isinstance(data, dict) else data
    if not isinstance(ids, list) or not ids or not all(isinstance(i, (int, str)) and not isinstance(i, bool)
                                                       for i in ids):
        raise ValueError(f"--eval-ids {p}: expected a non-empty JSON list of consistency ids (integers or strings), "
                         "or an object with such a list under 'consistency_ids'")
    return {"ids": [json.dumps(i) for i in ids], "file": p.name, "sha256": hashlib.sha256(raw).hexdigest()}


def _groups(items) -> dict:
    out: dict = {}
    for i, it in enumerate(items):
        out.setdefault(it.source_id or f"item {i}", []).append(i)  # an item without an id is its own group
    return out


def keep_ids(items, ids: list) -> list:
    """The items whose consistency id is in ``ids`` (file order); every id must occur."""
    present = _groups(items)
    missing = [i for i in ids if i not in present]
    if missing:
        raise ValueError(f"--eval-ids: {len(missing)} of its {len(ids)} consistency ids are not in the task file "
                         f"(first: {json.loads(missing[0])!r})")
    wanted = set(ids)
    return [it for it in items if it.source_id in wanted]


def draw_subset(items, size: int, seed: int) -> list:
    """Indices (file order) of ``size`` items made of whole groups, balanced by label where the
    data allows (unlabelled items count for neither label)."""
    groups = list(_groups(items).values())
    if size > len(items):
        raise ValueError(f"--subset {size} is more than the {len(items)} items of the task file")
    rng = np.random.default_rng([int(seed), 13])
    remaining = [groups[k] for k in rng.permutation(len(groups))]
    chosen, total, balance = [], 0, 0  # groups chosen; items; #true - #false so far
    while total < size:
        fits = [g for g in remaining if total + len(g) <= size]
        if not fits:
            sizes = sorted({len(g) for g in groups})
            raise ValueError(f"--subset {size} cannot be made of whole consistency groups (sizes {sizes}); "
                             f"{total} items fit, choose a size they add up to")

        best = min(fits, key=lambda g: abs(balance + _tilt(items, g)))  # the first of equals: the seeded order
        remaining.remove(best)
        chosen.append(best)
        total += len(best)
        balance += _tilt(items, best)
    # a greedy pick cannot look ahead: swap a chosen group for an unchosen one of the same size
    # while that brings the labels closer to balance (first such swap in the seeded order)
    improved = True
    while improved and balance:
        improved = False
        for a, g in enumerate(chosen):
            for h in remaining:
                if len(h) == len(g) and abs(balance - _tilt(items, g) + _tilt(items, h)) < abs(balance):
                    balance += _tilt(items, h) - _tilt(items, g)
                    remaining[remaining.index(h)] = g
                    chosen[a] = h
                    improved = True
                    break
            if improved:
                break
    return sorted(i for g in chosen for i in g)


def _tilt(items, g) -> int:
    """``#true - #false`` among the items of group ``g`` (unlabelled items count for neither)."""
    return sum(1 if items[i].label == 1 else -1 if items[i].label == 0 else 0 for i in g)
