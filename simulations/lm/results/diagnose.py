"""``coherence lm diagnose``: will self-improvement work on this model and task?

It measures, reading gold only to judge (never to search):

* what the model knows before any search: the zero-shot AUC with its interval, and accuracy;
* the coherence landscape on held-out evaluation orders (:mod:`simulations.lm.searches.coherence_estimate`): Coh with
  its standard error for gold, its negation, the constants, the zero-shot labelling and random
  labellings allowed by the constraint;
* two searches: the free coherence ascent (no constraint) and the certified constrained ascent
  (:mod:`simulations.lm.searches.certified`), and the climb from gold (the nearest local maximum of Coh to gold: the
  accuracy the objective supports near gold);
* paired comparisons of gold with each, over the same orders (difference, standard error,
  t-interval), and from them **two regimes** (:mod:`simulations.lm.results.verdict`): the unconstrained one (is a
  constant labelling more coherent than gold: R6) and the one under the constraint (success,
  R2 symmetry, R3 salient wrong, search failure, no knowledge, reversed knowledge).
"""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from theory.statistics import auc_interval

from simulations.lm.searches.certified import CONFIRM_ORDERS, POLISH_ORDERS, certified_ascent
from simulations.lm.searches.chunked import ChunkConfig, initial_labels, project
from simulations.lm.searches.coherence_estimate import (CohConfig, coh, decisive,
                                                       evaluation_orders, paired)
from simulations.lm.tasks.constraint_choice import record, resolve
from simulations.lm.tasks.constraints import allows_every_labelling
from simulations.lm.backends.knowledge import prior_for, zero_shot
from simulations.lm.results.checkpoint import Checkpoint
from simulations.lm.results.landscape import gold_climb
from simulations.lm.tasks.prompt_length import prompt_lengths
from simulations.lm.searches.fresh_check import FRESH_ORDERS
from simulations.lm.searches.local_climb import CHECKS
from simulations.lm.results.verdict import constrained_regime, end_below, unconstrained_regime


def _say(progress, text: str, t0: float) -> None:
    if progress:
        print(f"diagnose: [{time.perf_counter() - t0:.0f} s] {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class DiagnoseConfig:
    """Settings of :func:`diagnose` (``coherence lm diagnose``): ``seed`` of the evaluation orders,
    random labellings and searches; ``constraint`` (:data:`~simulations.lm.tasks.constraint_choice.CHOICES`);
    ``coh_orders`` held-out evaluation orders of every Coh; ``chunk`` and ``sweeps`` of the
    chunked searches; ``random`` random labellings in the landscape; ``checks`` moves per polish
    step; ``token_budget`` forward tokens the decisive comparison may spend growing its orders
    (``None``: no limit); ``polish_orders`` orders of the certified ascent's final selection and
    polish, and of the gold climb; ``confirm_orders`` fresh orders confirming each of their moves;
    ``fresh_orders`` most screen orders of the fresh check after both
    (:mod:`simulations.lm.searches.fresh_check`; 0: none)."""

    seed: int = 0
    constraint: str = "auto"
    coh_orders: int = CohConfig.orders
    chunk: int = ChunkConfig.chunk
    sweeps: int = ChunkConfig.sweeps
    random: int = 3
    checks: int = CHECKS
    token_budget: int | None = None
    polish_orders: int = POLISH_ORDERS
    confirm_orders: int = CONFIRM_ORDERS
    fresh_orders: int = FRESH_ORDERS

    def coh_config(self) -> CohConfig:
        """Every Coh over ``coh_orders`` orders; the decisive comparison grows to at least as many."""
        return CohConfig(orders=self.coh_orders, max_orders=max(self.coh_orders, CohConfig.max_orders))


def diagnose(lm, task, config: DiagnoseConfig = DiagnoseConfig(), *, progress: bool = False,
             checkpoint=None) -> dict:
    """The landscape, both searches, the gold climb, the paired comparisons and both regimes
    (settings: :class:`DiagnoseConfig`; ``progress``: one line on stderr per stage).
    The decisive comparison (the search's end against gold) grows its orders until its standard
    error is at most ``CohConfig.target_se`` nats, ``CohConfig.max_orders`` are used, or
    ``config.token_budget`` forward tokens were spent on it.

    ``checkpoint`` (a file path): every stage is written there when done
    (:class:`~simulations.lm.results.checkpoint.Checkpoint`, keyed by the model, its precision,
    the task's fingerprint and ``config``), and a stage already there is read instead of
    computed, so an interrupted diagnosis resumes at the stage it stopped in and ends with the
    same result; ``forward_tokens`` and ``seconds`` then total every run's."""
    seed, constraint, coh_config = config.seed, config.constraint, config.coh_config()
    chunk, sweeps, random, max_checks = config.chunk, config.sweeps, config.random, config.checks
    token_budget, polish = config.token_budget, config.polish_orders
    t0 = time.perf_counter()
    name, note = resolve(task, constraint)
    groups = task.relation_groups(name)
    prior = prior_for(lm, task)
    gold = task.gold
    if np.any(gold < 0):
        raise ValueError("diagnose needs gold labels for every item (the task file has unlabelled items)")
    n = task.n
    store = None if checkpoint is None else Checkpoint(checkpoint, {
        "model": lm.name, "dtype": lm.dtype, "task": task.name, "task_sha256": task.fingerprint(),
        "config": asdict(config)})
    spent = (0, 0.0) if store is None else (store.forward_tokens, store.seconds)

    def stage(key: str, compute, text: str):
        """Stage ``key``: read from the checkpoint when it holds it, else computed (saying
        ``text`` on stderr) and saved; with a checkpoint the value is its JSON form either way."""
        if store is not None and key in store:
            _say(progress, f"{text}: read from {store.path}", t0)
            return store[key]
        _say(progress, text, t0)
        value = compute()
        if store is None:
            return value
        store.save(key, value, forward_tokens=spent[0] + prior.forward_tokens,
                   seconds=spent[1] + time.perf_counter() - t0)
        return store[key]

    zs = stage("zero_shot", lambda: zero_shot(prior, gold), f"zero-shot scores of {n} items")
    lo, hi = auc_interval(zs["auc"], int(gold.sum()), int(n - gold.sum()))
    S = evaluation_orders(n, coh_config.orders, seed)
    named = {"gold": gold, "negation": 1 - gold, "all-0": np.zeros(n, np.int64), "all-1": np.ones(n, np.int64),
             "zero-shot": np.asarray(zs["labels"], np.int64)}
    if name != "none":
        named[f"zero-shot ({name})"] = project(zs["log_odds"], name, groups)
    rng = np.random.default_rng([seed, 5])
    for r in range(random):
        named[f"random-{r}"] = initial_labels(n, name, groups, rng) if name != "none" else rng.integers(0, 2, n)
    land = stage("landscape", lambda: {k: {**coh(prior, b, S), "accuracy": float(np.mean(b == gold)),
                                           "labels": b.tolist()} for k, b in named.items()},
                 f"Coh of {len(named)} labellings over {coh_config.orders} held-out orders")

    cfg = ChunkConfig(chunk=chunk, sweeps=sweeps, orders=2)

    def ended(labels, extra):
        c = coh(prior, labels, S)
        return {"labels": np.asarray(labels).tolist(), "coherence": c, "accuracy": float(np.mean(labels == gold)),
                "ones": int(np.sum(labels)), **extra}

    def certified(cons: str, cons_groups, given=None):
        cert = certified_ascent(prior, constraint=cons, groups=cons_groups, seed=seed, config=cfg,
                                max_checks=max_checks, polish=polish, confirm=config.confirm_orders,
                                fresh=config.fresh_orders, given=given)
        return ended(cert["labels"], {"constraint": cons, "starts": cert["starts"], "rank": cert["rank"],
                                      "confirm_orders": cert["confirm_orders"], "fresh": cert["fresh"],
                                      "certificate": cert["certificate"], "polish_steps": cert["polish_steps"]})

    def free_ascent():
        # the search of lm run's and the table's coherence-free: several gold-free starts, the
        # constants among them (R6 says one of them may be its optimum), the best polished and certified
        return certified("none", task.relation_groups("none"),
                         {"all-0": np.zeros(n, np.int64), "all-1": np.ones(n, np.int64)})

    found_free = stage("found_free", free_ascent,
                       "certified ascent with no constraint (several starts, the constants among them)")
    found = None
    if name != "none":
        if allows_every_labelling(name):
            # free-groups allows every labelling, as none does: the same moves from the same
            # starts (the constants among them), so the free ascent's end is this search's end
            found = stage("found_constrained", lambda: {**found_free, "constraint": name},
                          f"constraint {name} allows every labelling: the free ascent's end is its end")
        else:
            found = stage("found_constrained", lambda: certified(name, groups),
                          f"certified ascent under constraint {name} (several starts)")
    g_climb = stage("gold_climb", lambda: gold_climb(prior, gold, constraint=name, groups=groups, odds=zs["log_odds"],
                                                     polish=polish, seed=seed, max_checks=max_checks, chunk=cfg.chunk,
                                                     confirm=config.confirm_orders, fresh=config.fresh_orders),
                    "climb from gold")

    gold_po = land["gold"]["per_order"]
    # the one search-failure rule of the table's records and the predictions, on the held-out
    # orders: below gold, or (where every labelling is allowed) below a constant it could have reached
    for rec in (found_free, found):
        if rec is not None:
            below = end_below(land, rec)
            rec.update({"search_failure": bool(below), "below": below})
    cmp = {k: paired(v["per_order"], gold_po, coh_config.level) for k, v in land.items() if k != "gold"}
    cmp["found (none)"] = paired(found_free["coherence"]["per_order"], gold_po, coh_config.level)
    end = found if found is not None else found_free
    # the comparison the constrained verdict rests on: K grows until its error bar is small

    def decided():
        dec = decisive(prior, np.asarray(end["labels"]), gold, seed, coh_config, token_budget=token_budget)
        return {**{k: v for k, v in dec.items() if k not in ("a", "b")}, "token_budget": token_budget}

    cmp[f"found ({name})"] = stage("decisive", decided,
                                   f"the decisive comparison (paired standard error <= {coh_config.target_se} nats)")
    knowledge = {"auc": zs["auc"], "auc_interval": [lo, hi], "accuracy": zs["accuracy"]}
    regimes = {"unconstrained": unconstrained_regime(land, found_free, cmp),
               "constrained": constrained_regime(name, knowledge, land, end, cmp, g_climb)}
    return {"model": lm.name, "device": lm.device, "dtype": lm.dtype, "task": task.name, "n": n, "seed": seed,
            "settings": asdict(config), "format": task.params["format"] | {"name": task.fmt.name},
            "task_sha256": task.fingerprint(),
            **{k: task.params[k] for k in ("subset", "eval_ids", "preset") if k in task.params},
            **record(name, task, note),
            "zero_shot": knowledge, "coh": {"orders": coh_config.orders, "evaluation_orders": S.tolist()},
            "landscape": land, "found_free": found_free, "found_constrained": found, "gold_climb": g_climb,
            "comparisons": cmp, "regimes": regimes,
            "search_failures": sum(bool(r and r["search_failure"]) for r in (found_free, found)),
            "prompt_lengths": prompt_lengths(prior) if hasattr(prior, "query_tokens") else None,
            "forward_tokens": int(spent[0] + prior.forward_tokens),
            "seconds": spent[1] + time.perf_counter() - t0}


def render(d: dict) -> str:
    """A human-readable report: knowledge, landscape with error bars, searches, both regimes."""
    z = d["zero_shot"]
    rows = [f"model {d['model']}, task {d['task']} (n = {d['n']}, seed {d['seed']}, format {d['format']['name']})",
            f"constraint {d['constraint']} (its own accuracy, the leak: {d['constraint_leak_accuracy']:.2f})"]
    if d.get("constraint_note"):
        rows.append(f"note: {d['constraint_note']}")
    rows += [f"zero-shot: accuracy {z['accuracy']:.3f}, AUC {z['auc']:.3f} "
             f"[{z['auc_interval'][0]:.2f}, {z['auc_interval'][1]:.2f}]", "",
             f"Coh over {d['coh']['orders']} held-out orders (nats); 'vs gold' is the paired difference and its "
             "95% interval",
             f"{'labelling':26s} {'Coh':>9s} {'+-se':>6s} {'vs gold':>8s} {'interval':>17s} {'accuracy':>9s}"]

    def row(label, c, cmp, acc):
        vs = "" if cmp is None else f"{cmp['diff']:8.2f} [{cmp['ci'][0]:7.2f}, {cmp['ci'][1]:7.2f}]"
        return f"{label:26s} {c['mean']:9.2f} {c['se']:6.2f} {vs:>26s} {acc:9.3f}"

    for k, v in d["landscape"].items():
        rows.append(row(k, v, d["comparisons"].get(k), v["accuracy"]))
    for key in ("found_free", "found_constrained"):
        f = d.get(key)
        if f:
            label = f"found ({f['constraint']})"
            rows.append(row(label, f["coherence"], d["comparisons"].get(label), f["accuracy"]))
            if f.get("certificate"):
                c = f["certificate"]
                refused = (f"; {c['unconfirmed']} more improved on the polish orders but not on fresh ones"
                           if c.get("unconfirmed") else "")
                rows.append(f"{'':26s} certificate: no improving move among {c['checked']} checked "
                            f"(of {c['total']}){refused}; {len(f['starts'])} starts")
            if f.get("search_failure"):
                rows.append(f"{'':26s} SEARCH FAILURE: ends below {', '.join(f['below'])} on the held-out orders")
    gc = d["gold_climb"]
    rows.append(f"climb from gold: {'gold is a local maximum' if gc['local_maximum'] else 'gains'} "
                f"{gc['gain']:.2f} nats, accuracy {gc['accuracy']:.3f}")
    rows.append("")
    for which in ("unconstrained", "constrained"):
        r = d["regimes"][which]
        rows.append(f"{which} regime: {r['regime']} -- {r['reason']}")
    if "search_failures" in d:
        rows.append(f"search failures: {d['search_failures']}")
    rows.append(f"{d['forward_tokens']} forward tokens, {d['seconds']:.0f} s")
    return "\n".join(rows)
