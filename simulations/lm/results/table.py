"""The real-model table: methods x tasks x seeds on one model, resumable, keyed by every setting.

One JSON file per (model, n, settings): ``DIR/{model}-n{n}-{key}.json`` where ``key`` hashes the
settings that change numbers (chunk, sweeps, shots, dtype, orders, chains, format choice,
constraint, held-out orders). It
holds the format chosen per task on the dev split, one landscape per (task, seed)
(:mod:`simulations.lm.results.landscape`) and one record per (task, method, seed). Every record is
written atomically as soon as it is computed, so an interrupted run loses at most the cell in
progress and a rerun skips what is done.

Methods (:data:`TABLE_METHODS`): the in-context baselines (zero-shot, random and golden
few-shot), and the chunked searches of :mod:`simulations.lm.searches.chunked` under the constraint of
``TableConfig.constraint`` (``auto``: the task's own, :mod:`simulations.lm.tasks.constraint_choice`:
``balance`` for word polarity, ``groups`` for contrast pairs and geography, ``none`` otherwise);
every record also holds ``coh``, its Coh on held-out evaluation orders with the standard error
(:mod:`simulations.lm.searches.coherence_estimate`). ``coherence-free`` is the coherence ascent with no
constraint (regime R6), ``chunked-gibbs`` runs ``chains`` unconstrained chains (C4 lock-in).
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from simulations.io import atomic_write_json, file_lock

from simulations.lm.searches.chunked import ChunkConfig, run_chunked
from simulations.lm.searches.certified import (ASCENTS, CONFIRM_ORDERS, POLISH_ORDERS, RANKS, certified_ascent,
                                               confirmation)
from simulations.lm.searches.coherence_estimate import (CohConfig, evaluation_orders)
from simulations.lm.searches.debate import DebateConfig, run_debate
from simulations.lm.searches.debate_exact import CheckConfig, debate_check
from simulations.lm.tasks.constraint_choice import resolve
from simulations.lm.tasks.constraints import allows_every_labelling, constraint_leak
from simulations.lm.tasks.formats import auc, format_named
from simulations.lm.backends.knowledge import N_DEV, choose_format, prior_for, zero_shot
from simulations.lm.results.fresh_extension import extend_cell, extend_climb, extended_over, pending
from simulations.lm.results.held_out import held_out_part
from simulations.lm.results.run_record import decided_part, decision_part
from simulations.lm.results.table_carry import carry_over
from simulations.lm.results.table_methods import CERTIFIED, TABLE_METHODS
from simulations.lm.results.landscape import gold_climb, landscape
from simulations.lm.searches.fresh_check import FRESH_ORDERS, check_fresh_orders
from simulations.lm.searches.local_climb import CHECKS
from simulations.lm.searches.methods import baseline_log_probs
from simulations.lm.tasks.registry import make_task

#: the tasks and seeds of a table when none are named (``coherence lm table``)
DEFAULT_TASKS = ("polarity-high", "polarity-low", "polarity-nonsalient", "polarity-salient-wrong", "capitals-easy")
DEFAULT_SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class TableConfig:
    """Settings of one table file (all of them enter its key)."""

    model: str = "smollm2"
    n: int = 64
    chunk: int = ChunkConfig.chunk
    sweeps: int = ChunkConfig.sweeps
    shots: int = 8
    chains: int = 4  # chains of chunked-gibbs
    icm_sweeps: int = 2
    gibbs_sweeps: int = 3
    random_labellings: int = 3
    dtype: str = "float32"
    n_dev: int = N_DEV
    formats: dict = field(default_factory=dict)  # task -> format name (chosen on dev when absent)
    constraint: str = "auto"  # of the searches under a constraint (constraint_choice.CHOICES)
    coh_orders: int = CohConfig.orders  # held-out evaluation orders of every Coh in the file (coherence_estimate)
    checks: int = CHECKS  # moves checked per step of the certified ascent's polish and of the gold climb
    random_starts: int = 1  # random starts of the certified ascent (beside zero-shot, bootstrap and ICM)
    ascents: int = ASCENTS  # starts of the certified ascent that are climbed (the best by Coh)
    agents: int = DebateConfig.agents  # debate and self-consistency: agents K (DebateConfig)
    debate_rounds: int = DebateConfig.rounds  # debate: rounds after round 0
    tau: float = DebateConfig.tau  # debate and self-consistency: the agents' sampling temperature
    debate_check_items: int = 16  # items per (task, seed) of P8's exact check (0: none), the first ones
    polish_orders: int = POLISH_ORDERS  # orders of the certified ascent's final selection and polish, and gold climb
    move_rank: str = "in-context"  # how the polish and the gold climb rank their moves (certified.RANKS)
    confirm_orders: int = CONFIRM_ORDERS  # fresh orders confirming each polish and gold-climb move (0: none)
    fresh_orders: int = FRESH_ORDERS  # most screen orders of the fresh check after the polish and gold climb (0: none)

    def __post_init__(self):
        if self.move_rank not in RANKS:
            raise ValueError(f"move_rank must be one of {RANKS}, got {self.move_rank!r}")
        confirmation(None, self.confirm_orders, 0)  # the same check and message as the search's
        check_fresh_orders(self.fresh_orders)

    def key(self) -> str:
        d = asdict(self)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:10]


def table_path(out_dir, cfg: TableConfig) -> Path:
    return Path(out_dir) / f"{cfg.model}-n{cfg.n}-{cfg.key()}.json"


def _load(path: Path, cfg: TableConfig) -> dict:
    """The table file at ``path`` (checked on read: :mod:`simulations.lm.results.table_file`), or an empty
    table of ``cfg`` when there is none. A file that fails its schema, or whose config is not
    ``cfg`` (its name is keyed by the config), is a ``ValueError`` naming the file and the field
    (exit 2): finished cells are never silently replaced by a fresh table."""
    from simulations.lm.results.table_file import read_table_file

    if path.exists() or path.is_symlink():
        data = read_table_file(path, records=False)
        if data["config"] != asdict(cfg):
            raise ValueError(f"table file {path}: config: differs from this run's settings, which name the file "
                             f"(key {cfg.key()}); delete the file or use another --out")
        return data
    return {"config": asdict(cfg), "formats": {}, "landscapes": {}, "runs": {}}


def _save(path: Path, cfg: TableConfig, data: dict) -> None:
    """Write ``data`` after merging in what another run of the same table (another process on
    the same file) has written since: under a lock, cells and landscapes on disk that ``data``
    lacks are added to it, so no process drops another's finished cells."""
    with file_lock(path):
        disk = _load(path, cfg)
        # `lm decide` alone writes the grown comparisons: the file's are always the newest
        if "decisive" in disk:
            data["decisive"] = disk["decisive"]
        for part in ("formats", "landscapes", "runs", "debate_checks"):
            for key, value in disk.get(part, {}).items():
                mine = data.setdefault(part, {}).get(key)
                # a landscape another process completed with its climb from gold wins over ours
                # without, and a cell or climb another process extended by the fresh check
                # (fresh_extension) wins over ours without
                if (mine is None or (part == "landscapes" and "gold_climb" in value and "gold_climb" not in mine)
                        or extended_over(part, value, mine)):
                    data[part][key] = value
        atomic_write_json(path, data)


def run_cell(lm, task, method: str, seed: int, cfg: TableConfig, evaluation: dict, given=None) -> dict:
    """One (task, method, seed) record: labels, accuracy, Coh of the labels on the landscape's
    evaluation orders (``evaluation``: ``{orders, gold_per_order}``; nats, with its standard error)
    and the paired comparison with gold there (``search_failure``: the labels lie below gold),
    the constraint and its leak, tokens, seconds. ``given``: labellings of this task and seed
    already found by other cells (``{method: labels}``), extra starts of the certified ascent."""
    kind, rule = TABLE_METHODS[method]
    prior = prior_for(lm, task)
    gold = task.gold
    t0 = time.perf_counter()
    # the device too: a file's cells may come from several machines
    rec: dict = {"task": task.name, "method": method, "seed": seed, "n": task.n, "device": lm.device}
    constraint = resolve(task, cfg.constraint)[0] if rule == "task" else "none"
    ccfg = ChunkConfig(chunk=cfg.chunk, sweeps=cfg.sweeps, orders=2)
    if kind == "baseline":
        lp = baseline_log_probs(method, prior, gold, shots=cfg.shots, seed=seed)
        labels = lp.argmax(-1).astype(np.int64)
        odds = lp[:, 1] - lp[:, 0]
        # argmax decoding after demonstrations is often miscalibrated (every item one label while
        # the ranking is right), so the ranking (AUC) and the decision under the task's own
        # constraint are reported too: the same projection the constrained searches use
        rec.update({"constraint": "none", "auc": auc(odds, gold), "log_odds": odds.tolist(),
                    **decision_part(odds, task, resolve(task, cfg.constraint)[0])})
    elif kind == "certified":
        # the coherence search a competent optimiser runs: several gold-free starts (zero-shot,
        # the bootstrap's and ICM's ends when their cells are done, random), each climbed, the
        # best polished and certified; the constants are starts of the free search (R6)
        starts = {f"{m.replace('chunked-', '')}": np.asarray(b) for m, b in (given or {}).items()
                  if m in ("chunked-bootstrap", "chunked-icm") and TABLE_METHODS[m][1] == rule}
        if allows_every_labelling(constraint):
            starts.update({"all-0": np.zeros(task.n, np.int64), "all-1": np.ones(task.n, np.int64)})
        res = certified_ascent(prior, constraint=constraint, groups=task.relation_groups(constraint), seed=seed,
                               config=ccfg,
                               random_starts=cfg.random_starts, max_checks=cfg.checks, given=starts,
                               ascents=cfg.ascents, polish=cfg.polish_orders, rank=cfg.move_rank,
                               confirm=cfg.confirm_orders, fresh=cfg.fresh_orders)
        labels = res["labels"]
        rec.update({"constraint": constraint, "starts": res["starts"], "certificate": res["certificate"],
                    "polish_steps": res["polish_steps"], "fresh": res["fresh"], "search_coherence": res["coherence"]})
    elif kind == "debate":
        # the labels are the agents' majority (no constraint); the decision under the task's
        # constraint projects the vote fractions, as the baselines' decisions are projected
        cons, _ = resolve(task, cfg.constraint)
        dcfg = DebateConfig(agents=cfg.agents, rounds=cfg.debate_rounds, tau=cfg.tau)
        res = run_debate(lm, task, dcfg, seed=seed, constraint=cons, self_consistency=method == "self-consistency")
        labels = res["labels"]
        d = res["record"]
        rec.update({"constraint": "none", **decided_part(d["labels_under_constraint"], task, cons),
                    "debate": {k: v for k, v in d.items() if k != "prompts"}})
    else:
        algo = method.replace("chunked-", "")
        sweeps = {"chunked-icm": cfg.icm_sweeps, "chunked-gibbs": cfg.gibbs_sweeps}.get(method, cfg.sweeps)
        ccfg = ChunkConfig(chunk=cfg.chunk, sweeps=sweeps, orders=2,
                           chains=cfg.chains if method == "chunked-gibbs" else 1)
        res = run_chunked(algo, prior, constraint=constraint, groups=task.relation_groups(constraint), seed=seed,
                          config=ccfg)
        labels = res["labels"]
        rec.update({"constraint": constraint, "sweeps_run": res["sweeps_run"], "accepted": res["accepted"],
                    "flips": res["flips"]})
        if method == "chunked-gibbs":
            C = res["chains_final"]
            rec["chains_final"] = C.tolist()
            rec["trace"] = res["trace"]
    seconds = time.perf_counter() - t0
    tokens = prior.forward_tokens + rec.get("debate", {}).get("forward_tokens", 0)
    leak = constraint_leak(rec["constraint"], gold, task.relation_groups(rec["constraint"]))
    rec.update({**held_out_part(prior, labels, gold, method, constraint, evaluation),
                "constraint_leak_accuracy": leak, "forward_tokens": int(tokens), "seconds": seconds,
                "tokens_per_s": tokens / seconds if seconds > 0 else None})
    return rec


def cell_key(task: str, method: str, seed: int) -> str:
    """The ``runs`` key of one cell: ``"task|method|seed"``."""
    return f"{task}|{method}|{seed}"


def cells(tasks, methods, seeds) -> list:
    """Every ``(task, method, seed)``, seed-major (every task and method at the first seed first):
    the order :func:`run_table` fills them in."""
    return [(t, m, s) for s in seeds for t in tasks for m in methods]


def run_table(lm, cfg: TableConfig, tasks, methods, seeds, out_dir, *, quiet: bool = False,
              budget_s: float | None = None, clock=time.monotonic, carry_from=None) -> dict:
    """Fill the table file for ``cfg`` with every (task, method, seed); returns its content.

    ``carry_from`` (a table file's path): when ``cfg``'s file does not exist yet, it starts as
    :func:`~simulations.lm.results.table_carry.carry_over` of that file (the cells that do not
    depend on the move settings, or all of them where only the fresh check is new).

    ``budget_s`` (seconds of ``clock`` from the call) stops the run between cells: no cell starts
    once the budget is spent, a cell in progress finishes and is saved. Cells are seed-major, so a
    budgeted run covers every task and method at the first seeds; rerunning resumes."""
    start = clock()
    for m in methods:
        if m not in TABLE_METHODS:
            raise ValueError(f"--methods entries must be among {sorted(TABLE_METHODS)}, got {m!r}")
    if cfg.dtype != lm.dtype:
        # the key must name the precision that runs, or cells of two precisions would mix in one file
        raise ValueError(f"the table's dtype {cfg.dtype!r} is not the model's ({lm.dtype!r}): build the TableConfig "
                         "with the dtype the model was loaded in")
    path = table_path(out_dir, cfg)
    if carry_from is not None and not (path.exists() or path.is_symlink()):
        from simulations.lm.results.table_file import read_table_file

        with file_lock(path):
            atomic_write_json(path, carry_over(read_table_file(carry_from, records=False), cfg))
    data = _load(path, cfg)
    data["model_info"] = {"name": lm.name, "device": lm.device, "dtype": lm.dtype, "source": lm.source,
                          **{k: v for k, v in lm.info.items() if k != "cached"}}
    # seed-major: an interrupted table still covers every task and method at the first seeds
    wanted = cells(tasks, methods, seeds)
    todo = [c for c in wanted if cell_key(*c) not in data["runs"]]
    bar = None
    if not quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(wanted), initial=len(wanted) - len(todo), desc=f"lm table {cfg.model}", file=sys.stderr)
    for t in tasks:
        if t not in data["formats"]:
            if bar is not None:
                bar.set_postfix_str(f"choosing the format of {t} on its dev split")
            chosen = cfg.formats.get(t)
            data["formats"][t] = ({"chosen": chosen, "auc": None} if chosen else choose_format(lm, t, n_dev=cfg.n_dev))
            _save(path, cfg, data)
    # a file carried from one without the fresh check: the check runs from every stored end first
    extend = pending(data, CERTIFIED)
    for i, (part, key) in enumerate(extend, start=1):
        if budget_s is not None and clock() - start >= budget_s:
            break
        if bar is not None:
            bar.set_postfix_str(f"{key}: the fresh check, {i} of {len(extend)} ends")
        t, s = key.split("|")[0], int(key.rsplit("|", 1)[1])
        task, lkey = _task_of(data, t, s, cfg.n, path), f"{t}|{s}"
        if part == "landscapes":
            data["landscapes"][key] = extend_climb(lm, task, data["landscapes"][key], cfg, s)
        else:
            data["runs"][key] = extend_cell(lm, task, data["runs"][key], cfg, evaluation_of(data["landscapes"][lkey]))
        _save(path, cfg, data)
    for t, m, s in todo:
        if cell_key(t, m, s) in data["runs"]:  # another run of this table finished it meanwhile
            continue
        if budget_s is not None and clock() - start >= budget_s:
            break
        task, lkey = _task_of(data, t, s, cfg.n, path), f"{t}|{s}"
        if lkey not in data["landscapes"] or "gold_climb" not in data["landscapes"][lkey]:
            if bar is not None:
                bar.set_postfix_str(f"{t} s{s}: landscape and the climb from gold")
            data["landscapes"][lkey] = task_landscape(lm, task, cfg, s, data["landscapes"].get(lkey))
            _save(path, cfg, data)
        evaluation = evaluation_of(data["landscapes"][lkey])
        given = {mm: data["runs"][cell_key(t, mm, s)]["labels"] for mm in methods
                 if cell_key(t, mm, s) in data["runs"]}
        if bar is not None:
            bar.set_postfix_str(f"{t} {m} s{s}")
        rec = run_cell(lm, task, m, s, cfg, evaluation, given)
        data["runs"][cell_key(t, m, s)] = rec
        _save(path, cfg, data)
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{t} {m} s{s}: acc {rec['accuracy']:.2f}, {rec['seconds']:.0f}s")
    # P8's exact check, once per (task, seed) whose debate cell is done (a resumed file included)
    for t, s in dict.fromkeys((t, s) for t, m, s in wanted if m == "debate"):
        lkey = f"{t}|{s}"
        if (cfg.debate_check_items < 1 or cell_key(t, "debate", s) not in data["runs"]
                or lkey in data.get("debate_checks", {})):
            continue
        if budget_s is not None and clock() - start >= budget_s:
            break
        if bar is not None:
            bar.set_postfix_str(f"{t} s{s}: debate's exact check (P8)")
        data.setdefault("debate_checks", {})[lkey] = run_debate_check(lm, t, s, cfg, data["formats"][t]["chosen"])
        _save(path, cfg, data)
    if bar is not None:
        bar.close()
    return data


def _task_of(data: dict, t: str, s: int, n: int, path: Path):
    """Task ``t`` at seed ``s`` with the file's chosen format, refused (``ValueError``) when the
    file's landscape of it was computed from other items: resuming or extending would mix two
    prompt sets in one table (the data or the task builder changed since)."""
    task = make_task(t, n, s)
    task = task.with_format(format_named(task.family, data["formats"][t]["chosen"]))
    stored = data["landscapes"].get(f"{t}|{s}", {}).get("task_sha256")
    if stored is not None and stored != task.fingerprint():
        raise ValueError(f"{path.name}: the cells of {t}|{s} were computed from other task items than "
                         "today's builder gives (task_sha256 differs); delete them or use another --out")
    return task


def task_landscape(lm, task, cfg: TableConfig, seed: int, land: dict | None = None) -> dict:
    """The landscape of ``task`` at ``seed`` (:func:`~simulations.lm.results.landscape.landscape` on the
    table's evaluation orders, with the zero-shot scores, salience, gold, format and task
    fingerprint) and its climb from gold (``gold_climb``); ``land``, a landscape carried from a table
    that took its moves otherwise (:func:`~simulations.lm.results.table_carry.carry_over`), gets only
    its climb. ``forward_tokens`` adds what this call spent."""
    prior = prior_for(lm, task)
    zs = zero_shot(prior, task.gold)
    if land is None:
        land = landscape(prior, task.gold, orders=evaluation_orders(task.n, cfg.coh_orders, seed),
                         zero_shot_labels=zs["labels"], random=cfg.random_labellings, seed=seed)
        land.update({"zero_shot_auc": zs["auc"], "zero_shot_accuracy": zs["accuracy"],
                     "salience": None if task.salience is None else task.salience.tolist(),
                     "gold": task.gold.tolist(), "format": task.params["format"] | {"name": task.fmt.name},
                     "task_sha256": task.fingerprint()})
    else:
        land = dict(land)
    cons = resolve(task, cfg.constraint)[0]
    land["gold_climb"] = gold_climb(
        prior, task.gold, constraint=cons, groups=task.relation_groups(cons), odds=zs["log_odds"], seed=seed,
        max_checks=cfg.checks, polish=cfg.polish_orders, rank=cfg.move_rank, chunk=cfg.chunk,
        confirm=cfg.confirm_orders, fresh=cfg.fresh_orders,
        evaluation={"orders": land["orders"], "gold_per_order": land["labellings"]["gold"]["per_order"]})
    land["forward_tokens"] = int(land.get("forward_tokens", 0) + prior.forward_tokens)
    land["gold_climb"]["device"] = lm.device  # a file's cells may come from several machines
    return land


def evaluation_of(land: dict) -> dict:
    """What a cell's Coh is evaluated and compared on: the landscape's evaluation orders, gold's and
    the constants' Coh per order (nats)."""
    return {"orders": np.asarray(land["orders"]), "gold_per_order": land["labellings"]["gold"]["per_order"],
            "constants": {c: land["labellings"][c]["per_order"] for c in ("all-0", "all-1")}}


def run_debate_check(lm, task_name: str, seed: int, cfg: TableConfig, format_name: str) -> dict:
    """P8's exact check (:func:`simulations.lm.searches.debate_exact.debate_check`) on the first
    ``cfg.debate_check_items`` items of a task and seed, with the table's agents and tau; the
    records without their prompts (they are rebuilt from the task), tokens and seconds."""
    task = make_task(task_name, cfg.n, seed)
    task = task.with_format(format_named(task.family, format_name))
    items = np.arange(min(cfg.debate_check_items, task.n))
    res = debate_check(lm, task, CheckConfig(agents=cfg.agents, tau=cfg.tau), seed=seed, items=items)
    return {k: v for k, v in res.items() if k != "prompts"} | {"device": lm.device}
