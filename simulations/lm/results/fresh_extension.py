"""A table file extended by the fresh check: what its certified searches and climbs from gold run next.

The fresh check (:mod:`simulations.lm.searches.fresh_check`) is the last stage of the certified
ascent and of the climb from gold: it starts from their polished end and reads nothing else of
their path. So a table computed without it (``fresh_orders`` 0) becomes the table with it by
running the check from every stored end: :func:`extend_cell` for a certified cell,
:func:`extend_climb` for a landscape's climb from gold. The result is what the whole search
would give with the check (a test compares the two on a tiny model), at a fraction of its cost.

Where the check moves an end, the record's labels, accuracy, held-out Coh and comparison with
gold are computed again; its tokens and seconds include the check's. :func:`pending` lists what a
file still lacks; :func:`~simulations.lm.results.table.run_table` runs it (resumable: each item
is saved when done, and a record carries ``fresh`` once extended).
"""
from __future__ import annotations

import time

import numpy as np

from simulations.lm.backends.knowledge import prior_for
from simulations.lm.results.held_out import held_out_part
from simulations.lm.results.landscape import fresh_part, held_out_end
from simulations.lm.searches.certified import fresh_record, move_odds, run_fresh_check
from simulations.lm.searches.chunked import polish_orders


def checked_fresh(rec: dict) -> bool:
    """Whether a certified cell or a climb from gold ran the fresh check (a record written without
    one has no ``fresh``, or ``fresh.orders`` 0)."""
    return bool(isinstance(rec, dict) and (rec.get("fresh") or {}).get("orders"))


def extended_over(part: str, theirs, mine) -> bool:
    """Whether a stored ``part`` entry ``theirs`` (a cell, or a landscape) holds the fresh check
    where ``mine``, the same entry, does not: the extended one is kept when two processes merge."""
    if not isinstance(theirs, dict) or not isinstance(mine, dict):
        return False
    if part == "runs":
        return checked_fresh(theirs) and not checked_fresh(mine)
    if part == "landscapes":
        return checked_fresh(theirs.get("gold_climb")) and not checked_fresh(mine.get("gold_climb"))
    return False


def pending(data: dict, certified_methods) -> list:
    """What a table file's content lacks of the fresh check, when its config runs one: ``[("landscapes",
    task|seed)`` for climbs from gold and ``("runs", task|method|seed)`` for the cells of
    ``certified_methods`` that have not run it (:func:`checked_fresh`): those under a constraint
    first, then seed by seed."""
    if not data["config"].get("fresh_orders", 0):
        return []
    todo = {("landscapes", k): land["gold_climb"] for k, land in data["landscapes"].items()
            if "gold_climb" in land and not checked_fresh(land["gold_climb"])}
    todo.update({("runs", k): r for k, r in data["runs"].items()
                 if r["method"] in certified_methods and not checked_fresh(r)})

    # what P3's grown comparisons read first (the climbs from gold and the constrained cells),
    # seed-major, so an interrupted extension has finished whole seeds of them
    def order(item):
        part, key = item
        return todo[item]["constraint"] == "none", int(key.rsplit("|", 1)[1]), part, key

    return sorted(todo, key=order)


def _ranker(prior, cfg, seed: int):
    lp = prior.log_zero_shot()
    return move_odds(prior, cfg.move_rank, lp[:, 1] - lp[:, 0], cfg.chunk, seed)


def extend_cell(lm, task, rec: dict, cfg, evaluation: dict) -> dict:
    """The certified cell ``rec`` of ``task`` extended by the fresh check from its labels, with the
    table's settings ``cfg`` and the landscape's ``evaluation``
    (:func:`~simulations.lm.results.table.evaluation_of`)."""
    prior = prior_for(lm, task)
    seed = rec["seed"]
    t0 = time.perf_counter()
    checked = run_fresh_check(prior, rec["labels"], rec["constraint"], task.relation_groups(rec["constraint"]),
                              _ranker(prior, cfg, seed), seed=seed, orders=cfg.fresh_orders, max_checks=cfg.checks)
    out = dict(rec)
    out["fresh"] = fresh_record(checked, cfg.fresh_orders)
    if checked["steps"]:
        P = polish_orders(task.n, cfg.polish_orders, seed)
        out["search_coherence"] = float(prior.coherence_over_orders(checked["labels"], P).mean())
        out.update(held_out_part(prior, checked["labels"], task.gold, rec["method"], rec["constraint"], evaluation))
    seconds = time.perf_counter() - t0
    out["forward_tokens"] = int(rec["forward_tokens"] + prior.forward_tokens)
    out["seconds"] = rec["seconds"] + seconds
    out["tokens_per_s"] = out["forward_tokens"] / out["seconds"] if out["seconds"] > 0 else None
    out["fresh"].update({"forward_tokens": int(prior.forward_tokens), "seconds": seconds})
    return out


def extend_climb(lm, task, land: dict, cfg, seed: int) -> dict:
    """The landscape ``land`` of ``task`` at ``seed`` with its climb from gold extended by the fresh
    check (:func:`~simulations.lm.results.landscape.fresh_part`), with the table's settings ``cfg``."""
    prior = prior_for(lm, task)
    climb = land["gold_climb"]
    P = polish_orders(task.n, cfg.polish_orders, seed)
    gold = np.asarray(land["gold"], dtype=np.int64)

    def gain_over_gold(b):  # the polish-order objective, less gold's (the stored gain is relative to gold)
        return float((prior.coherence_over_orders(np.asarray(b, dtype=np.int64), P)
                      - prior.coherence_over_orders(gold, P)).mean())

    stored = {"labels": np.asarray(climb["labels"], dtype=np.int64), "steps": climb["steps"],
              "value": climb["gain"], "start_value": 0.0}
    ranker = _ranker(prior, cfg, seed)
    cons = climb["constraint"]
    new = {**climb, **fresh_part(prior, stored, gold, gain_over_gold, constraint=cons,
                                 groups=task.relation_groups(cons), ranker=ranker, seed=seed,
                                 fresh=cfg.fresh_orders, max_checks=cfg.checks)}
    if new["fresh"]["steps"]:
        new.update(held_out_end(prior, new["labels"], {"orders": land["orders"],
                                                       "gold_per_order": land["labellings"]["gold"]["per_order"]}))
    new["fresh"]["forward_tokens"] = int(prior.forward_tokens)
    out = dict(land)
    out["gold_climb"] = new
    out["forward_tokens"] = int(land.get("forward_tokens", 0) + prior.forward_tokens)
    return out
