"""Held-out items of a task: the same family's items that share no prompt with a task's items.

The training table (:mod:`simulations.lm.results.training_table`) fine-tunes on a task's ``n``
items and scores these zero-shot, so no held-out prompt may be a training prompt, and whole
consistency groups are kept (a group is scored together or not at all).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from simulations.lm.tasks.registry import Task, make_task


def split_heldout(name: str, n: int, heldout: int, seed: int) -> tuple:
    """``(train, held)``: the table's task ``make_task(name, n, seed)`` and ``heldout`` other items
    of the same family (``None`` for 0). The held-out items come from ``make_task(name, n +
    heldout, seed)``: every consistency group holding an item whose prompt is a training item's
    prompt is dropped, and whole groups are kept in order until ``heldout`` items, so no held-out
    prompt is a training prompt. ``ValueError`` naming ``--heldout`` when the task cannot give
    that many."""
    train = make_task(name, n, seed)
    if heldout == 0:
        return train, None
    try:
        pool = make_task(name, n + heldout, seed)
    except ValueError as exc:
        raise ValueError(f"--heldout {heldout}: task {name} cannot give {n} + {heldout} items at seed {seed} "
                         f"({exc})") from None
    seen = set(train.queries())
    queries = pool.queries()
    tainted = {it.consistency_id for it, q in zip(pool.items, queries) if q in seen}
    groups: dict = {}
    for i, it in enumerate(pool.items):
        if it.consistency_id not in tainted:
            groups.setdefault(it.consistency_id, []).append(i)
    keep: list = []
    for members in groups.values():
        if len(keep) + len(members) <= heldout:
            keep += members
        if len(keep) == heldout:
            break
    if len(keep) < heldout:
        raise ValueError(f"--heldout {heldout}: task {name} at seed {seed} has only {len(keep)} items in whole "
                         f"groups outside the {n} training items; use a smaller --heldout")
    idx = np.array(sorted(keep))
    held = replace(pool, items=[pool.items[i] for i in idx],
                   salience=None if pool.salience is None else np.asarray(pool.salience)[idx],
                   params={**pool.params, "n": int(idx.size), "heldout_of": n + heldout})
    return train, held


def joined(train, held):
    """One task holding the training items (first) and the held-out items (after), in the
    training task's format: a fine-tune on the first part scores the second."""
    return Task(train.name, list(train.items) + list(held.items), train.fmt, train.family,
                params={**train.params, "n": train.n + held.n})
