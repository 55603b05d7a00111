"""The real-model table: methods x tasks x seeds on one model, resumable, keyed by every setting.

One JSON file per (model, n, settings): ``DIR/{model}-n{n}-{key}.json`` where ``key`` hashes the
settings that change numbers (chunk, sweeps, shots, dtype, orders, chains, format choice,
constraint, held-out orders). It
holds the format chosen per task on the dev split, one landscape per (task, seed)
(:mod:`simulations.lm.landscape`) and one record per (task, method, seed). Every record is
written atomically as soon as it is computed, so an interrupted run loses at most the cell in
progress and a rerun skips what is done.

Methods (:data:`TABLE_METHODS`): the in-context baselines (zero-shot, random and golden
few-shot), and the chunked searches of :mod:`simulations.lm.chunked` under the constraint of
``TableConfig.constraint`` (``auto``: the task's own, :mod:`simulations.lm.constraint_choice`:
``balance`` for word polarity, ``groups`` for contrast pairs and geography, ``none`` otherwise);
every record also holds ``coh``, its Coh on held-out evaluation orders with the standard error
(:mod:`simulations.lm.coherence_estimate`). ``coherence-free`` is the coherence ascent with no
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

from .chunked import ChunkConfig, constraint_leak, project, run_chunked
from .coherence_estimate import against_gold, evaluation_orders
from .constraint_choice import resolve
from .formats import auc, format_named
from .knowledge import choose_format, prior_for, zero_shot
from .landscape import landscape
from .methods import baseline_log_probs
from .tasks import make_task

#: method -> (kind, constraint rule); "task" = the task's own constraint
TABLE_METHODS = {
    "zero-shot": ("baseline", None),
    "random-few-shot": ("baseline", None),
    "golden-few-shot": ("baseline", None),
    "chunked-bootstrap": ("chunked", "task"),
    "chunked-icm": ("chunked", "task"),
    "chunked-gibbs": ("chunked", "none"),
    "coherence": ("chunked", "task"),
    "coherence-free": ("chunked", "none"),
}


@dataclass(frozen=True)
class TableConfig:
    """Settings of one table file (all of them enter its key)."""

    model: str = "smollm2"
    n: int = 64
    chunk: int = 8
    sweeps: int = 4
    shots: int = 8
    orders: int = 3
    chains: int = 3
    icm_sweeps: int = 2
    gibbs_sweeps: int = 3
    random_labellings: int = 3
    dtype: str = "float32"
    n_dev: int = 64
    formats: dict = field(default_factory=dict)  # task -> format name (chosen on dev when absent)
    constraint: str = "auto"  # of the searches under a constraint (constraint_choice.CHOICES)
    coh_orders: int = 6  # held-out evaluation orders of each record's Coh (coherence_estimate)

    def key(self) -> str:
        d = asdict(self)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:10]


def table_path(out_dir, cfg: TableConfig) -> Path:
    return Path(out_dir) / f"{cfg.model}-n{cfg.n}-{cfg.key()}.json"


def _load(path: Path, cfg: TableConfig) -> dict:
    if path.exists():
        data = json.loads(path.read_text())
        if data.get("config") == asdict(cfg):
            return data
    return {"config": asdict(cfg), "formats": {}, "landscapes": {}, "runs": {}}


def _save(path: Path, cfg: TableConfig, data: dict) -> None:
    """Write ``data`` after merging in what another run of the same table (another process on
    the same file) has written since: under a lock, cells and landscapes on disk that ``data``
    lacks are added to it, so no process drops another's finished cells."""
    with file_lock(path):
        disk = _load(path, cfg)
        for part in ("formats", "landscapes", "runs"):
            for key, value in disk[part].items():
                data[part].setdefault(key, value)
        atomic_write_json(path, data)


def run_cell(lm, task, method: str, seed: int, cfg: TableConfig, orders) -> dict:
    """One (task, method, seed) record: labels, accuracy, Coh of the labels over the
    landscape's orders (nats), constraint and its leak, tokens, seconds."""
    kind, rule = TABLE_METHODS[method]
    prior = prior_for(lm, task)
    gold = task.gold
    t0 = time.perf_counter()
    rec: dict = {"task": task.name, "method": method, "seed": seed, "n": task.n}
    if kind == "baseline":
        lp = baseline_log_probs(method, prior, gold, shots=cfg.shots, seed=seed)
        labels = lp.argmax(-1).astype(np.int64)
        odds = lp[:, 1] - lp[:, 0]
        # argmax decoding after demonstrations is often miscalibrated (every item one label while
        # the ranking is right), so the ranking (AUC) and the decision under the task's own
        # constraint are reported too: the same projection the constrained searches use
        cons, _ = resolve(task, cfg.constraint)
        rec.update({"constraint": "none", "auc": auc(odds, gold), "log_odds": odds.tolist(),
                    "accuracy_under_task_constraint": float(np.mean(project(odds, cons, task.groups) == gold)),
                    "task_constraint": cons})
    else:
        constraint = resolve(task, cfg.constraint)[0] if rule == "task" else "none"
        algo = "coherence" if method == "coherence-free" else method.replace("chunked-", "")
        sweeps = {"chunked-icm": cfg.icm_sweeps, "chunked-gibbs": cfg.gibbs_sweeps}.get(method, cfg.sweeps)
        ccfg = ChunkConfig(chunk=cfg.chunk, sweeps=sweeps, orders=2,
                           chains=cfg.chains if method == "chunked-gibbs" else 1)
        res = run_chunked(algo, prior, constraint=constraint, groups=task.groups, seed=seed, config=ccfg)
        labels = res["labels"]
        rec.update({"constraint": constraint, "sweeps_run": res["sweeps_run"], "accepted": res["accepted"],
                    "flips": res["flips"]})
        if method == "chunked-gibbs":
            C = res["chains_final"]
            rec["chains_final"] = C.tolist()
            rec["trace"] = res["trace"]
    seconds = time.perf_counter() - t0
    tokens = prior.forward_tokens
    coh = prior.coherence_over_orders(labels, orders)
    judged = against_gold(prior, labels, gold, evaluation_orders(task.n, cfg.coh_orders, seed))
    held_out = judged["coh"]
    leak = constraint_leak(rec["constraint"], gold, task.groups)
    rec.update({"labels": np.asarray(labels).tolist(), "accuracy": float(np.mean(np.asarray(labels) == gold)),
                "coherence": float(coh.mean()), "coherence_per_order": coh.tolist(),
                "coh": {k: held_out[k] for k in ("mean", "se", "orders")}, "vs_gold": judged["vs_gold"],
                "search_failure": judged["search_failure"],
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
              budget_s: float | None = None, clock=time.monotonic) -> dict:
    """Fill the table file for ``cfg`` with every (task, method, seed); returns its content.

    ``budget_s`` (seconds of ``clock`` from the call) stops the run between cells: no cell starts
    once the budget is spent, a cell in progress finishes and is saved. Cells are seed-major, so a
    budgeted run covers every task and method at the first seeds; rerunning resumes."""
    start = clock()
    for m in methods:
        if m not in TABLE_METHODS:
            raise ValueError(f"--methods entries must be among {sorted(TABLE_METHODS)}, got {m!r}")
    path = table_path(out_dir, cfg)
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
    for t, m, s in todo:
        if cell_key(t, m, s) in data["runs"]:  # another run of this table finished it meanwhile
            continue
        if budget_s is not None and clock() - start >= budget_s:
            break
        task = make_task(t, cfg.n, s)
        task = task.with_format(format_named(task.family, data["formats"][t]["chosen"]))
        lkey = f"{t}|{s}"
        fingerprint = task.fingerprint()
        stored = data["landscapes"].get(lkey, {}).get("task_sha256")
        if stored is not None and stored != fingerprint:
            # the cells of this task and seed were computed from other prompts (the data or the
            # task builder changed since): resuming would mix two prompt sets in one table
            raise ValueError(f"{path.name}: the cells of {lkey} were computed from other task items than "
                             "today's builder gives (task_sha256 differs); delete them or use another --out")
        if lkey not in data["landscapes"]:
            prior = prior_for(lm, task)
            zs = zero_shot(prior, task.gold)
            land = landscape(prior, task.gold, zero_shot_labels=zs["labels"], orders=cfg.orders,
                             random=cfg.random_labellings, seed=s)
            land.update({"zero_shot_auc": zs["auc"], "zero_shot_accuracy": zs["accuracy"],
                         "salience": None if task.salience is None else task.salience.tolist(),
                         "gold": task.gold.tolist(), "format": task.params["format"] | {"name": task.fmt.name},
                         "task_sha256": fingerprint})
            data["landscapes"][lkey] = land
            _save(path, cfg, data)
        orders = np.asarray(data["landscapes"][lkey]["orders"])
        rec = run_cell(lm, task, m, s, cfg, orders)
        data["runs"][cell_key(t, m, s)] = rec
        _save(path, cfg, data)
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{t} {m} s{s}: acc {rec['accuracy']:.2f}, {rec['seconds']:.0f}s")
    if bar is not None:
        bar.close()
    return data
