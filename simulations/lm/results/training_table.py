"""The training table: in-context coherence against coherence through training, per task and seed.

One JSON file per (model, n, settings): ``DIR/train-{model}-n{n}-{key}.json`` where ``key``
hashes :class:`TrainTableConfig`. It holds one record per (task, seed), written atomically as
soon as it is done, so an interrupted run loses at most the record in progress and a rerun skips
what is done (the file is schema-checked whenever it is read:
:func:`simulations.lm.results.training_file.read_training_file`).

A record holds, for the task's ``n`` items (``make_task(task, n, seed)``, the family's default
prompt format):

* ``labellings`` -- the landscape's labellings (:func:`simulations.lm.results.landscape.landscape`:
  gold, its negation, all-0, all-1, the zero-shot argmax and 2 random balanced labellings), each
  with its in-context ``Coh`` and its ``Coh_train``
  (:func:`~simulations.lm.searches.prequential_training.coherence_through_training_over_orders`) over the
  same ``coh_orders`` evaluation orders (:func:`~simulations.lm.searches.coherence_estimate.evaluation_orders`
  of the seed), each ``{mean, se, orders, per_order}`` in nats, so the two compare paired
  (prediction P7, :func:`simulations.lm.results.training_prediction.p7`);
* ``bootstrap`` -- the training bootstrap (:mod:`simulations.lm.searches.training_bootstrap`) from the
  zero-shot log-odds projected on the task's own constraint
  (:func:`simulations.lm.tasks.constraint_choice.resolve` ``(task, "auto")``), per round with the
  round's labels' ``Coh_train`` (``coh_train``), and under
  ``in_context`` the in-context search from the same start (the chunked bootstrap of
  :mod:`simulations.lm.searches.chunked` with :data:`SEARCH_CONFIG`, the in-context table's
  settings), with ``equals_in_context``: whether the two end on the same labelling. That end is
  also the landscape's labelling :data:`SEARCH_END`, so its Coh_train stands beside its Coh;
* ``generalisation`` -- a fresh LoRA fine-tuned on the ``n`` items labelled by (a) the
  bootstrap's end and (b) gold, and (c) the untouched model, each scoring ``heldout`` other items
  of the task zero-shot (:func:`~simulations.lm.tasks.heldout.split_heldout`: drawn from
  ``make_task(task, n + heldout, seed)``, every consistency group that shares a prompt with a
  training item removed), with the fraction
  of the zero-shot -> golden gap recovered ``(a - c) / (b - c)`` (``None`` when ``b - c`` is
  below :data:`~simulations.lm.results.gap.MIN_GAP`);
* tokens, optimizer steps and seconds of every part.

Every fine-tune uses :class:`~simulations.lm.searches.prequential_training.TrainConfig` with the table's
``lr``, ``epochs``, ``rank`` and ``block`` and the record's seed.

A record written before the in-context search's end was part of it is completed in place when
the file is next run (:func:`complete_record`): only the missing labelling and the comparison are
computed, on the record's own orders and start; every number already there is kept.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simulations.io import atomic_write_json, file_lock

from simulations.lm.searches.chunked import ChunkConfig
from simulations.lm.searches.coherence_estimate import evaluation_orders
from simulations.lm.searches.prequential_training import (TrainConfig, coherence_through_training_over_orders,
                                                          fine_tuned_log_probs)
from simulations.lm.results.training_file import KIND, SEARCH_END, read_training_file, record_key
from simulations.lm.results.gap import fraction_recovered
from simulations.lm.tasks.heldout import joined, split_heldout

#: random balanced labellings of every record's landscape
RANDOM_LABELLINGS = 2
#: the tasks and seeds of a training table when none are named (``coherence lm train-coherence``)
DEFAULT_TASKS = ("polarity-pairs", "polarity-high")
DEFAULT_SEEDS = (0, 1, 2)
#: the in-context search's settings: the in-context table's chunked bootstrap (chunk 8, 4 sweeps)
SEARCH_CONFIG = ChunkConfig(chunk=8, sweeps=4, orders=2)


@dataclass(frozen=True)
class TrainTableConfig:
    """Settings of one training table file (all of them enter its key): ``n`` items per task,
    ``block``, ``lr``, ``epochs`` and ``rank`` of every fine-tune, ``coh_orders`` evaluation orders
    of every Coh and Coh_train, ``rounds`` of the training bootstrap, ``heldout`` items scored for
    generalisation (0: none), ``dtype`` the precision the model ran in."""

    model: str = "smollm2"
    n: int = 64
    block: int = 16
    lr: float = 2e-3
    epochs: int = 2
    rank: int = 8
    coh_orders: int = 2
    rounds: int = 3
    heldout: int = 64
    dtype: str = "float32"

    def __post_init__(self):
        for name, low in (("n", 2), ("block", 1), ("epochs", 1), ("rank", 1), ("coh_orders", 2), ("rounds", 1),
                          ("heldout", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
        if self.block > self.n:
            raise ValueError(f"block must be an integer in [1, n = {self.n}], got {self.block!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not 0 <= self.lr < float("inf"):
            raise ValueError(f"lr must be a finite number >= 0, got {self.lr!r}")

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:10]

    def train_config(self, seed: int) -> TrainConfig:
        return TrainConfig(lr=self.lr, epochs=self.epochs, rank=self.rank, block=self.block, seed=int(seed))


def training_path(out_dir, cfg: TrainTableConfig) -> Path:
    return Path(out_dir) / f"train-{cfg.model}-n{cfg.n}-{cfg.key()}.json"


# -- one record --------------------------------------------------------------------------------------

#: the gap-recovered statistic, defined once (lm predictions reports it for the in-context table)
gap_recovered = fraction_recovered


def generalisation(lm, train, held, bootstrap_labels, config: TrainConfig) -> dict:
    """Held-out zero-shot accuracy (argmax) and AUC of a fresh LoRA fine-tuned on the training
    items labelled by the bootstrap's end (``bootstrap``) and by gold (``golden``), and of the
    untouched model (``untouched``), with steps, tokens, seconds, and the gap recovered."""
    from simulations.lm.tasks.formats import auc

    both = joined(train, held)
    n, h = train.n, held.n
    gold = held.gold
    score = np.arange(n, n + h)
    out: dict = {"items": int(h), "heldout_sha256": held.fingerprint()}
    for name, lab in (("bootstrap", bootstrap_labels), ("golden", train.gold), ("untouched", None)):
        t0 = time.perf_counter()
        b = np.zeros(n + h, dtype=np.int64)
        if lab is not None:
            b[:n] = np.asarray(lab, dtype=np.int64)
        res = fine_tuned_log_probs(lm, both, np.arange(n) if lab is not None else [], b, config, score)
        lp = res["log_probs"]
        a = auc(lp[:, 1] - lp[:, 0], gold)
        out[name] = {"accuracy": float(np.mean(lp.argmax(-1) == gold)), "auc": None if np.isnan(a) else a,
                     "steps": res["steps"], "tokens": res["tokens"], "seconds": time.perf_counter() - t0}
    out["gap_recovered"] = gap_recovered(out["bootstrap"]["accuracy"], out["golden"]["accuracy"],
                                         out["untouched"]["accuracy"])
    return out


def run_record(lm, cfg: TrainTableConfig, task_name: str, seed: int, bar=None) -> dict:
    """The record of one (task, seed) (module docstring)."""
    from simulations.lm.searches import chunked as C
    from simulations.lm.tasks.constraint_choice import resolve
    from simulations.lm.backends.knowledge import prior_for, zero_shot
    from simulations.lm.results.landscape import landscape
    from simulations.lm.searches.training_bootstrap import training_bootstrap

    def phase(text):
        if bar is not None:
            bar.set_postfix_str(f"{task_name} s{seed}: {text}")

    t_all = time.perf_counter()
    task, held = split_heldout(task_name, cfg.n, cfg.heldout, seed)
    tcfg = cfg.train_config(seed)
    S = evaluation_orders(task.n, cfg.coh_orders, seed)
    phase("in-context landscape")
    t0 = time.perf_counter()
    prior = prior_for(lm, task)
    zs = zero_shot(prior, task.gold)
    land = landscape(prior, task.gold, orders=S, zero_shot_labels=zs["labels"], random=RANDOM_LABELLINGS, seed=seed)
    rec: dict = {"task": task_name, "seed": int(seed), "n": task.n, "task_sha256": task.fingerprint(),
                 "format": task.fmt.name, "orders": S.tolist(),
                 "zero_shot": {"accuracy": zs["accuracy"], "auc": None if np.isnan(zs["auc"]) else zs["auc"]},
                 "in_context_tokens": int(prior.forward_tokens), "in_context_seconds": time.perf_counter() - t0,
                 "labellings": {}}
    steps = tokens = 0
    for name, lab in land["labellings"].items():
        phase(f"Coh_train of {name}")
        t0 = time.perf_counter()
        tr = coherence_through_training_over_orders(lm, task, np.asarray(lab["labels"]), S, tcfg)
        rec["labellings"][name] = {
            "labels": lab["labels"], "accuracy": lab["accuracy"],
            "in_context": {k: lab[k] for k in ("mean", "se", "orders", "per_order")},
            "train": {**{k: tr[k] for k in ("mean", "se", "orders", "per_order", "per_block", "steps", "tokens")},
                      "seconds": time.perf_counter() - t0}}
        steps, tokens = steps + tr["steps"], tokens + tr["tokens"]
    phase("training bootstrap")
    constraint = resolve(task, "auto")[0]
    groups = task.relation_groups(constraint)
    start = C.project(zs["log_odds"], constraint, groups)
    t0 = time.perf_counter()
    boot = training_bootstrap(lm, task, constraint, groups, start, tcfg, rounds=cfg.rounds)
    rec["bootstrap"] = {
        "constraint": constraint, "start": "zero-shot log-odds projected on the constraint",
        "start_labels": start.tolist(), "start_accuracy": boot["start_accuracy"],
        "rounds": [{k: h[k] for k in ("round", "labels", "accuracy", "changed", "violations", "losses", "log_odds",
                                      "steps", "tokens")} for h in boot["history"]],
        "labels": np.asarray(boot["labels"]).tolist(), "accuracy": boot["accuracy"],
        "fixed_point": bool(boot["fixed_point"]), "rounds_run": boot["rounds_run"], "steps": boot["steps"],
        "tokens": boot["tokens"], "seconds": time.perf_counter() - t0}
    steps, tokens = steps + boot["steps"], tokens + boot["tokens"]
    gen = None
    if held is not None:
        phase("held-out generalisation")
        gen = generalisation(lm, task, held, boot["labels"], tcfg)
        steps += sum(gen[k]["steps"] for k in ("bootstrap", "golden", "untouched"))
        tokens += sum(gen[k]["tokens"] for k in ("bootstrap", "golden", "untouched"))
    rec["generalisation"] = gen
    rec.update({"steps": int(steps), "tokens": int(tokens + rec["in_context_tokens"]),
                "seconds": time.perf_counter() - t_all})
    return complete_record(lm, cfg, rec, bar, task=task)


def complete(rec: dict) -> bool:
    """Whether a record holds every part this version writes: the in-context search's end
    (:data:`SEARCH_END`) and the ``Coh_train`` of every training-bootstrap round."""
    return SEARCH_END in rec["labellings"] and all("coh_train" in h for h in rec["bootstrap"]["rounds"])


def complete_record(lm, cfg: TrainTableConfig, rec: dict, bar=None, *, task=None) -> dict:
    """``rec`` with what this version adds to a record (module docstring), each part computed
    only when missing, on the record's own orders and start:

    * the in-context search's end: the chunked bootstrap under the training bootstrap's
      constraint from its start, its in-context Coh and Coh_train as the landscape labelling
      :data:`SEARCH_END`, and ``bootstrap.in_context`` / ``bootstrap.equals_in_context``;
    * ``coh_train`` of every training-bootstrap round's labels (``{mean, se, orders,
      per_order}``, nats), taken from the landscape labelling with the same labels when there is
      one, else computed.

    The record's steps, tokens and seconds grow by what this costs; a complete record
    (:func:`complete`) is returned unchanged. ``ValueError`` when the task's items are no longer
    the record's (its ``task_sha256``)."""
    from simulations.lm.searches.chunked import run_chunked
    from simulations.lm.searches.coherence_estimate import coh
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.tasks.registry import make_task

    if complete(rec):
        return rec
    if bar is not None:
        bar.set_postfix_str(f"{rec['task']} s{rec['seed']}: in-context search and the rounds' Coh_train")
    t0 = time.perf_counter()
    task = make_task(rec["task"], rec["n"], rec["seed"]) if task is None else task
    if task.fingerprint() != rec["task_sha256"]:
        raise ValueError(f"training record {rec['task']}|{rec['seed']}: the task's items changed since it was "
                         "written (task_sha256); delete the record or use another --out")
    boot = rec["bootstrap"]
    S = np.asarray(rec["orders"], dtype=np.int64)
    tcfg = cfg.train_config(rec["seed"])
    steps = tokens = 0
    if SEARCH_END not in rec["labellings"]:
        constraint = boot["constraint"]
        prior = prior_for(lm, task)
        t1 = time.perf_counter()
        res = run_chunked("bootstrap", prior, constraint=constraint, groups=task.relation_groups(constraint),
                          seed=rec["seed"], config=SEARCH_CONFIG,
                          init=np.asarray(boot["start_labels"], dtype=np.int64))
        labels = np.asarray(res["labels"], dtype=np.int64)
        search_tokens = int(prior.forward_tokens)
        ic = coh(prior, labels, S)
        accuracy = float(np.mean(labels == task.gold))
        search_seconds = time.perf_counter() - t1
        t1 = time.perf_counter()
        tr = coherence_through_training_over_orders(lm, task, labels, S, tcfg)
        rec["labellings"][SEARCH_END] = {
            "labels": labels.tolist(), "accuracy": accuracy,
            "in_context": {k: ic[k] for k in ("mean", "se", "orders", "per_order")},
            "train": {**{k: tr[k] for k in ("mean", "se", "orders", "per_order", "per_block", "steps", "tokens")},
                      "seconds": time.perf_counter() - t1}}
        boot["in_context"] = {"method": "chunked-bootstrap", "chunk": SEARCH_CONFIG.chunk,
                              "sweeps": SEARCH_CONFIG.sweeps,
                              "start": boot.get("start", "zero-shot log-odds projected on the constraint"),
                              "labels": labels.tolist(), "accuracy": accuracy, "sweeps_run": res["sweeps_run"],
                              "tokens": int(prior.forward_tokens), "search_tokens": search_tokens,
                              "seconds": search_seconds}
        boot["equals_in_context"] = bool(np.array_equal(labels, np.asarray(boot["labels"], dtype=np.int64)))
        steps, tokens = steps + tr["steps"], tokens + prior.forward_tokens + tr["tokens"]
    for h in boot["rounds"]:
        if "coh_train" in h:
            continue
        same = next((v for v in rec["labellings"].values() if v["labels"] == h["labels"]), None)
        if same is not None:  # the landscape already trained on these labels: nothing to run
            tr = {**same["train"], "steps": 0, "tokens": 0}
        else:
            tr = coherence_through_training_over_orders(lm, task, np.asarray(h["labels"], dtype=np.int64), S, tcfg)
            steps, tokens = steps + tr["steps"], tokens + tr["tokens"]
        h["coh_train"] = {k: tr[k] for k in ("mean", "se", "orders", "per_order", "steps", "tokens")}
    rec.update({"steps": int(rec["steps"] + steps), "tokens": int(rec["tokens"] + tokens),
                "seconds": rec["seconds"] + time.perf_counter() - t0})
    return rec


# -- the file ---------------------------------------------------------------------------------------

def _load(path: Path, cfg: TrainTableConfig) -> dict:
    """The training table file at ``path`` (schema-checked), or an empty one of ``cfg``; a file
    whose config is not ``cfg`` is a ``ValueError`` naming it (finished records are never replaced)."""
    if path.exists() or path.is_symlink():
        data = read_training_file(path)
        if data["config"] != asdict(cfg):
            raise ValueError(f"training table file {path}: config: differs from this run's settings, which name the "
                             f"file (key {cfg.key()}); delete the file or use another --out")
        return data
    return {"kind": KIND, "config": asdict(cfg), "records": {}}


def _save(path: Path, cfg: TrainTableConfig, data: dict) -> None:
    """Write ``data`` after adding the records another run of the same file wrote meanwhile
    (under a lock), so no process drops another's finished records."""
    with file_lock(path):
        for key, value in _load(path, cfg)["records"].items():
            ours = data["records"].get(key)
            # another run's record wins unless ours is the same record completed (complete_record)
            if ours is None or (complete(value) and not complete(ours)):
                data["records"][key] = value
        atomic_write_json(path, data)


def run_training_table(lm, cfg: TrainTableConfig, tasks, seeds, out_dir, *, quiet: bool = False,
                       budget_s: float | None = None, clock=time.monotonic) -> dict:
    """Fill the training table file of ``cfg`` with a record per (task, seed), seed-major;
    returns its content. ``budget_s`` (seconds of ``clock``): no record starts once spent (the
    one in progress finishes and is saved); a rerun resumes, skipping finished records."""
    start = clock()
    if cfg.dtype != lm.dtype:
        raise ValueError(f"the table's dtype {cfg.dtype!r} is not the model's ({lm.dtype!r}): build the "
                         "TrainTableConfig with the dtype the model was loaded in")
    path = training_path(out_dir, cfg)
    data = _load(path, cfg)
    data["model_info"] = {"name": lm.name, "device": lm.device, "dtype": lm.dtype, "source": lm.source,
                          **{k: v for k, v in lm.info.items() if k != "cached"}}
    wanted = [(t, s) for s in seeds for t in tasks]
    todo = [c for c in wanted if record_key(*c) not in data["records"] or not complete(data["records"][record_key(*c)])]
    bar = None
    if not quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(wanted), initial=len(wanted) - len(todo), desc=f"lm train-coherence {cfg.model}",
                   file=sys.stderr)
    for t, s in todo:
        key = record_key(t, s)
        if key in data["records"] and complete(data["records"][key]):
            continue
        if budget_s is not None and clock() - start >= budget_s:
            break
        if key in data["records"]:
            data["records"][key] = complete_record(lm, cfg, data["records"][key], bar)
        else:
            data["records"][key] = run_record(lm, cfg, t, s, bar)
        _save(path, cfg, data)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return data


def missing(data, tasks, seeds) -> list:
    """The (task, seed) pairs asked for that the file has no complete record of (:func:`complete`)."""
    return [(t, s) for s in seeds for t in tasks
            if record_key(t, s) not in data["records"] or not complete(data["records"][record_key(t, s)])]


def summary_markdown(data) -> str:
    """A short markdown summary: per task and seed, Coh in context and Coh_train per labelling,
    the training bootstrap's accuracy per round, held-out accuracies and the gap recovered; P7."""
    from simulations.lm.results.training_prediction import p7

    cfg = data["config"]
    lines = [f"Model `{cfg['model']}`, n = {cfg['n']}, block {cfg['block']}, lr {cfg['lr']:g}, epochs "
             f"{cfg['epochs']}, LoRA rank {cfg['rank']}, {cfg['coh_orders']} evaluation orders (nats, mean +- se)."]
    for key in sorted(data["records"]):
        r = data["records"][key]
        lines += ["", f"### {r['task']}, seed {r['seed']}", "", "| labelling | accuracy | Coh in context | Coh_train |",
                  "|---|---|---|---|"]
        for name, v in r["labellings"].items():
            ic, tr = v["in_context"], v["train"]
            lines.append(f"| {name} | {v['accuracy']:.2f} | {ic['mean']:.1f} +- {_se(ic)} | "
                         f"{tr['mean']:.1f} +- {_se(tr)} |")
        b = r["bootstrap"]
        accs = ", ".join(_acc(h["accuracy"]) + (f" (Coh_train {h['coh_train']['mean']:.1f})" if "coh_train" in h
                                                 else "") for h in b["rounds"])
        lines += ["", f"Training bootstrap ({b['constraint']}): start {_acc(b['start_accuracy'])}, rounds {accs}"
                      f"{' (fixed point)' if b['fixed_point'] else ''}."]
        if "in_context" in b:
            same = "the same labelling" if b["equals_in_context"] else "a different labelling"
            lines.append(f"In-context bootstrap from the same start: accuracy {_acc(b['in_context']['accuracy'])}, "
                         f"{same} as the training bootstrap's end.")
        g = r["generalisation"]
        if g is not None:
            gap = "n/a" if g["gap_recovered"] is None else f"{g['gap_recovered']:.2f}"
            lines.append(f"Held-out ({g['items']} items): bootstrap-tuned {g['bootstrap']['accuracy']:.2f}, "
                         f"gold-tuned {g['golden']['accuracy']:.2f}, untouched {g['untouched']['accuracy']:.2f}; "
                         f"gap recovered {gap}.")
    pr = p7(data)
    lines += ["", f"P7: {pr['verdict']} ({pr['cases_ok']} gold-vs-other pairs ordered alike, {pr['undecided']} "
                  f"undecided; Kendall tau {_acc(pr['kendall_tau'])}, {pr['discordant_pairs']} discordant pair(s) "
                  f"of {pr['pairs']})."]
    return "\n".join(lines) + "\n"


def _se(c) -> str:
    return "n/a" if c["se"] is None or not np.isfinite(c["se"]) else f"{c['se']:.1f}"


def _acc(v) -> str:
    return "n/a" if v is None else f"{v:.2f}"
