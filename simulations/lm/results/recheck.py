"""One stored cell of a table file computed again with today's code: the same numbers, and today's cost.

:func:`recheck` runs one (task, method, seed) cell of a table file again (or, for ``method ==
"landscape"``, the landscape of the task and seed with its climb from gold), with the file's
settings, format choice and evaluation orders, and compares the result with the stored record:

* ``labels_equal``: the labelling is the same (for a landscape: the gold climb's end);
* ``coherence``: the stored and the recomputed Coh on the evaluation orders (nats) and their
  largest difference over the orders (a prefix reused from another sequence rounds differently
  from one computed afresh, so equal up to float rounding, not bit for bit);
* ``forward_tokens`` and ``seconds``, stored and now: what the cell costs with today's code.

A certified cell is given the starts its stored run was given (the bootstrap's and ICM's ends,
named in its ``starts``), read from the same file, so it follows the same path.
"""
from __future__ import annotations

import time

import numpy as np

from simulations.lm.results.table import (TABLE_METHODS, TableConfig, cell_key, evaluation_of, run_cell,
                                          task_landscape)
from simulations.lm.results.table_carry import MOVE_SETTINGS
from simulations.lm.tasks.formats import format_named
from simulations.lm.tasks.registry import make_task

#: the stored starts of a certified cell that came from other cells of the file, by method
GIVEN_STARTS = {"bootstrap": "chunked-bootstrap", "icm": "chunked-icm"}


def _coherence_compare(stored, now) -> dict:
    stored, now = np.asarray(stored, dtype=float), np.asarray(now, dtype=float)
    return {"stored": float(stored.mean()), "now": float(now.mean()), "max_abs_diff": float(np.abs(now - stored).max())}


def check_cell(data: dict, task_name: str, method: str, seed: int, where: str = "the file") -> None:
    """Refuse (``ValueError``) a cell :func:`recheck` cannot run on the table ``data`` (named
    ``where`` in the message): a method that is neither a table method nor ``landscape``, or a
    task and seed with no landscape or no such cell."""
    if method != "landscape" and method not in TABLE_METHODS:
        raise ValueError(f"METHOD must be `landscape` or one of {sorted(TABLE_METHODS)}, got {method!r}")
    if f"{task_name}|{seed}" not in data["landscapes"] or (method != "landscape"
                                                           and cell_key(task_name, method, seed) not in data["runs"]):
        raise ValueError(f"{where} holds no cell {task_name} {method} {seed}")


def recheck(lm, data: dict, task_name: str, method: str, seed: int) -> dict:
    """Cell ``(task_name, method, seed)`` of the table ``data`` (a table file's content) computed
    again on ``lm`` (the file's model, loaded in its dtype): ``{task, method, seed, labels_equal,
    coherence: {stored, now, max_abs_diff}, forward_tokens: {stored, now}, seconds: {stored, now},
    tokens_per_s, device, threads}``. ``method`` is a table method or ``landscape``."""
    # a file written before a move setting existed ran with its earlier value
    cfg = TableConfig(**{**MOVE_SETTINGS, **data["config"]})
    if cfg.dtype != lm.dtype:
        raise ValueError(f"the file's cells ran in {cfg.dtype}, the model loaded in {lm.dtype}")
    check_cell(data, task_name, method, seed)
    lkey = f"{task_name}|{seed}"
    land = data["landscapes"][lkey]
    task = make_task(task_name, cfg.n, seed)
    task = task.with_format(format_named(task.family, data["formats"][task_name]["chosen"]))
    if task.fingerprint() != land["task_sha256"]:
        raise ValueError(f"{lkey}: today's task builder gives other items than the file's (task_sha256 differs)")
    t0 = time.perf_counter()
    if method == "landscape":
        new = task_landscape(lm, task, cfg, seed)
        seconds = time.perf_counter() - t0
        old_climb, new_climb = land["gold_climb"], new["gold_climb"]
        out = {"labels_equal": new_climb["labels"] == old_climb["labels"],
               "coherence": _coherence_compare(old_climb["coh"]["per_order"], new_climb["coh"]["per_order"]),
               "landscape_max_abs_diff": max(
                   float(np.abs(np.asarray(new["labellings"][k]["per_order"])
                                - np.asarray(land["labellings"][k]["per_order"])).max())
                   for k in land["labellings"]),
               "forward_tokens": {"stored": int(land["forward_tokens"]), "now": int(new["forward_tokens"])},
               "seconds": {"stored": land.get("seconds"), "now": seconds}}
        tokens = new["forward_tokens"]
    else:
        old = data["runs"][cell_key(task_name, method, seed)]
        given = None
        if TABLE_METHODS[method][0] == "certified":
            named = [s["start"] for s in old.get("starts", [])]
            given = {GIVEN_STARTS[n]: data["runs"][cell_key(task_name, GIVEN_STARTS[n], seed)]["labels"]
                     for n in named if n in GIVEN_STARTS}
        rec = run_cell(lm, task, method, seed, cfg, evaluation_of(land), given)
        seconds = rec["seconds"]
        tokens = rec["forward_tokens"]
        out = {"labels_equal": rec["labels"] == old["labels"],
               "coherence": _coherence_compare(old["coherence_per_order"], rec["coherence_per_order"]),
               "forward_tokens": {"stored": int(old["forward_tokens"]), "now": int(tokens)},
               "seconds": {"stored": old["seconds"], "now": seconds}}
    return {"task": task_name, "method": method, "seed": seed, **out,
            "tokens_per_s": tokens / seconds if seconds > 0 else None, "device": lm.device,
            "threads": lm.info.get("threads")}
