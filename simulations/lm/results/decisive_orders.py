"""P3's comparisons made decisive: a table's evaluation orders grown until each paired comparison
P3 reads has a standard error of at most ``target_se`` nats (or ``max_orders`` orders are used).

A table file states every Coh over its landscape's ``coh_orders`` evaluation orders (6 by default).
With the order-to-order spread of a 135M model those paired comparisons have standard errors of
1-2 nats, so a search end 0.3 or 0.7 accurate often *ties* with gold and with the climb from gold
(accuracy near 1): P3 then cannot tell whether the objective prefers the truth and the search
stopped short, or the objective does not single the truth out. The evaluation orders are
prefix-stable (:func:`~simulations.lm.searches.coherence_estimate.evaluation_orders`), so growing
``K`` keeps the stored values as the first ``K`` and computes the new orders only.

For each ``task|seed`` of a file whose landscape holds its climb from gold, the comparisons are
every constrained search cell of ``methods`` against gold and against the climb's end. Each is
grown by doubling ``K`` while its standard error exceeds ``target_se`` and ``K < max_orders``
(:func:`grow`); labellings shared by several comparisons (gold, the climb's end, identical ends)
are scored once per order. The file keeps, under ``decisive[task|seed]``, the per-order Coh of
each labelling and each comparison (``{diff, se, ci, orders, level, verdict, target_se,
target_met}``), keyed ``CELL~gold`` and ``CELL~gold_climb``; :func:`~simulations.lm.results.predictions.p3`
reads them in place of the stored 6-order comparisons.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from simulations.io import atomic_write_json, file_lock
from simulations.lm.searches.coherence_estimate import CohConfig, evaluation_orders, paired, verdict

#: the names of the two references each search end is compared with
REFERENCES = ("gold", "gold_climb")
#: nats within which two per-order Coh of one labelling are the same (float rounding, far below
#: what changing a label moves)
ROUNDING = 1e-3


def comparison_key(cell: str, reference: str) -> str:
    """The key of one grown comparison: ``"task|method|seed~gold"`` or ``...~gold_climb``."""
    return f"{cell}~{reference}"


def grow(coherence, labellings: dict, known: dict, pairs, *, n: int, seed: int, config: CohConfig = CohConfig(),
         tokens=None, token_budget: int | None = None) -> dict:
    """Paired comparisons grown until each is decisive: for every ``(a, b)`` in ``pairs`` (names of
    ``labellings``), ``K`` doubles from ``config.orders`` (at most ``config.max_orders``) while the
    standard error of ``Coh(a) - Coh(b)`` over the first ``K`` evaluation orders of ``seed``
    exceeds ``config.target_se`` nats, or until ``tokens()`` (a forward-token counter) has grown
    by ``token_budget``.

    ``coherence(labels, orders)``: per-order Coh (nats) of ``labels`` over the rows of ``orders``;
    ``known``: name -> the per-order Coh already computed over the first evaluation orders (they
    are reused; only later orders are computed). Returns ``{per_order: {name: [...]}, comparisons:
    {(a, b): {diff, se, ci, orders, level, verdict, target_se, target_met}}, budget_spent}``."""
    by_labels: dict = {}  # identical labellings share their per-order values
    per: dict = {}
    for name, b in labellings.items():
        k = tuple(int(x) for x in b)
        if k not in by_labels:
            by_labels[k] = list(known.get(name, []))
        elif len(known.get(name, [])) > len(by_labels[k]):
            by_labels[k] = list(known[name])
        per[name] = by_labels[k]
    start = tokens() if tokens is not None else 0

    def ensure(name, k):
        have = per[name]
        if len(have) < k:
            S = evaluation_orders(n, k, seed)[len(have):k]
            have.extend(float(v) for v in np.asarray(coherence(np.asarray(labellings[name], dtype=np.int64), S)))

    K = {p: config.orders for p in pairs}
    spent = False
    while True:
        for a, b in pairs:
            ensure(a, K[(a, b)])
            ensure(b, K[(a, b)])
        more = [p for p in pairs if K[p] < config.max_orders
                and paired(per[p[0]][:K[p]], per[p[1]][:K[p]], config.level)["se"] > config.target_se]
        spent = token_budget is not None and tokens is not None and tokens() - start >= token_budget
        if not more or spent:
            break
        for p in more:
            K[p] = min(2 * K[p], config.max_orders)
    out = {}
    for a, b in pairs:
        c = paired(per[a][:K[(a, b)]], per[b][:K[(a, b)]], config.level)
        out[(a, b)] = {**c, "verdict": verdict(c), "target_se": config.target_se,
                       "target_met": bool(c["se"] <= config.target_se)}
    return {"per_order": {k: list(v) for k, v in per.items()}, "comparisons": out, "budget_spent": bool(spent)}


def landscape_comparisons(data, lkey: str, methods) -> dict:
    """What P3 compares in ``task|seed`` ``lkey`` of a table file's content: ``{labellings, known,
    pairs}``: gold, the climb's end and each constrained cell of ``methods``, their stored
    per-order Coh, and each cell against both references. Empty ``pairs`` when the landscape has no
    climb from gold or no such cell."""
    land = data["landscapes"][lkey]
    t, s = lkey.rsplit("|", 1)
    cells = {k: r for k, r in sorted(data["runs"].items())
             if r["task"] == t and r["seed"] == int(s) and r["method"] in methods and r["constraint"] != "none"}
    if "gold_climb" not in land or not cells:
        return {"labellings": {}, "known": {}, "pairs": []}
    labellings = {"gold": land["gold"], "gold_climb": land["gold_climb"]["labels"],
                  **{k: r["labels"] for k, r in cells.items()}}
    known = {"gold": land["labellings"]["gold"]["per_order"], "gold_climb": land["gold_climb"]["coh"]["per_order"],
             **{k: r["coherence_per_order"] for k, r in cells.items()}}
    return {"labellings": labellings, "known": known, "pairs": [(k, ref) for k in cells for ref in REFERENCES]}


def stale(entry: dict, known: dict) -> list:
    """The labellings whose grown per-order Coh in a ``decisive`` ``entry`` no longer starts with
    the file's stored per-order Coh ``known`` (name -> nats): a cell or climb whose labels changed
    since it was decided (the fresh check, :mod:`simulations.lm.results.fresh_extension`, moves
    ends), so its grown orders are not reused. Equal within :data:`ROUNDING` nats counts as the
    same: identical labellings share one list of values, and a Coh computed from a reused prefix
    rounds differently from one computed afresh (by up to 1.1e-4 nats on Gemma's table)."""
    out = []
    for name, po in entry.get("per_order", {}).items():
        k = known.get(name)
        if k is not None and (len(po) < len(k) or not np.allclose(po[:len(k)], k, rtol=0, atol=ROUNDING)):
            out.append(name)
    return out


def _undecided(data, lkey: str, methods, config: CohConfig) -> bool:
    """Whether ``task|seed`` ``lkey`` has comparisons to grow that the file does not hold with
    ``config``'s target (none yet, another target, cells added since it was decided, or
    labellings changed since: :func:`stale`)."""
    what = landscape_comparisons(data, lkey, methods)
    entry = data.get("decisive", {}).get(lkey)
    if not what["pairs"]:
        return False
    if entry is None or entry.get("target_se") != config.target_se or entry.get("max_orders") != config.max_orders:
        return True
    return (any(comparison_key(a, b) not in entry["comparisons"] for a, b in what["pairs"])
            or bool(stale(entry, what["known"])))


def decide_table(lm, path, methods, *, config: CohConfig = CohConfig(), token_budget: int | None = None,
                 quiet: bool = False) -> dict:
    """Grow P3's comparisons (:func:`landscape_comparisons`, :func:`grow`) in every ``task|seed`` of
    the table file at ``path`` not yet decided with ``config``'s target and maximum (or with cells
    added since it was); each is written to the
    file under its lock as soon as it is done (``decisive[task|seed]``), so an interrupted run
    resumes. ``token_budget`` bounds each ``task|seed``. Returns the file's ``decisive`` part."""
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.results.table_file import read_table_file
    from simulations.lm.tasks.formats import format_named
    from simulations.lm.tasks.registry import make_task

    data = read_table_file(path, records=False)
    n, k0 = data["config"]["n"], data["config"]["coh_orders"]
    if k0 != config.orders:
        raise ValueError(f"{path}: the file's landscapes hold {k0} evaluation orders; the growth must start there")
    todo = [k for k in sorted(data["landscapes"]) if _undecided(data, k, methods, config)]
    bar = None
    if not quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="lm decide", file=sys.stderr)
    for lkey in todo:
        t, s = lkey.rsplit("|", 1)
        land = data["landscapes"][lkey]
        task = make_task(t, n, int(s))
        task = task.with_format(format_named(task.family, data["formats"][t]["chosen"]))
        if task.fingerprint() != land.get("task_sha256", task.fingerprint()):
            raise ValueError(f"{path}: the cells of {lkey} were computed from other task items than today's "
                             "builder gives")
        if not np.array_equal(np.asarray(land["orders"]), evaluation_orders(n, k0, int(s))):
            raise ValueError(f"{path}: the landscape {lkey} was not scored on the evaluation orders of its seed")
        if bar is not None:
            bar.set_postfix_str(lkey)
        prior = prior_for(lm, task)
        what = landscape_comparisons(data, lkey, methods)
        # a task and seed decided before some of its cells existed: the orders grown then are reused
        known = dict(what["known"])
        entry = data.get("decisive", {}).get(lkey, {})
        changed = stale(entry, what["known"])
        for name, po in entry.get("per_order", {}).items():
            if name in known and name not in changed and len(po) > len(known[name]):
                known[name] = po
        t0, tok0 = time.perf_counter(), prior.forward_tokens
        res = grow(prior.coherence_over_orders, what["labellings"], known, what["pairs"], n=n, seed=int(s),
                   config=config, tokens=lambda: prior.forward_tokens, token_budget=token_budget)
        entry = {"target_se": config.target_se, "max_orders": config.max_orders, "budget_spent": res["budget_spent"],
                 "per_order": res["per_order"],
                 "comparisons": {comparison_key(a, b): c for (a, b), c in res["comparisons"].items()},
                 "forward_tokens": int(prior.forward_tokens - tok0), "seconds": time.perf_counter() - t0,
                 "device": lm.device}
        with file_lock(path):  # merge into what other processes wrote meanwhile
            disk = read_table_file(path, records=False)
            disk.setdefault("decisive", {})[lkey] = entry
            atomic_write_json(path, disk)
        data.setdefault("decisive", {})[lkey] = entry
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return data.get("decisive", {})
