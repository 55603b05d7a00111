"""One method on one task with one model (``coherence lm run``): :func:`run_one` with the
settings of :class:`RunConfig`.

The record is the run record every table cell holds too
(:mod:`simulations.lm.results.run_record`): the labels, accuracy, Coh of the labels (nats, with
its standard error over ``coh_orders`` held-out evaluation orders:
:func:`~simulations.lm.results.held_out.held_out_part`) and its paired comparison with gold (for
a search that maximises Coh, ending below gold, or below a constant where the constraint allows
every labelling, is a search failure), the constraint that ran and its leak, the baselines' AUC and decision under the
task's constraint, and cost; plus what only a single run has (format, gold, accounting: docs/cli.md,
"coherence lm run").
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from simulations.lm.searches.certified import CONFIRM_ORDERS, POLISH_ORDERS
from simulations.lm.searches.chunked import ChunkConfig
from simulations.lm.searches.coherence_estimate import CohConfig
from simulations.lm.searches.debate import DebateConfig
from simulations.lm.searches.fresh_check import FRESH_ORDERS
from simulations.lm.searches.local_climb import CHECKS
from simulations.lm.searches.methods import BASELINES, CHUNKED_METHODS, COHERENCE_SEARCHES, DEBATE_METHODS


@dataclass(frozen=True)
class RunConfig:
    """Settings of :func:`run_one`. ``method`` (:data:`~simulations.lm.searches.methods.METHODS`)
    with ``seed``; ``shots`` demonstrations of the few-shot baselines (0 = all others); ``loo``
    (``exact`` or ``block``) and ``steps`` (``None``: the method's default) of the faithful
    searches; ``chunk`` and ``sweeps`` of the chunked searches; ``constraint``
    (:data:`simulations.lm.tasks.constraint_choice.CHOICES`; ``auto``: the task's own);
    ``coh_orders`` held-out evaluation orders of the reported Coh; ``checks`` moves per polish
    step, ``polish_orders`` orders and ``confirm_orders`` confirmation orders of each polish
    move, and ``fresh_orders`` most screen orders of the fresh check, of the certified ascent (``coherence``,
    ``coherence-free``: :mod:`simulations.lm.searches.certified`); ``debate`` the settings of
    ``debate`` and ``self-consistency`` (:mod:`simulations.lm.searches.debate`; ``None``: its
    defaults)."""

    method: str = "zero-shot"
    seed: int = 0
    shots: int = 8
    loo: str = "exact"
    steps: int | None = None
    chunk: int = ChunkConfig.chunk
    sweeps: int = ChunkConfig.sweeps
    constraint: str = "auto"
    coh_orders: int = CohConfig.orders
    checks: int = CHECKS
    polish_orders: int = POLISH_ORDERS
    confirm_orders: int = CONFIRM_ORDERS
    fresh_orders: int = FRESH_ORDERS
    debate: DebateConfig | None = None


def run_one(lm, task, config: RunConfig = RunConfig(), *, quiet: bool = True) -> dict:
    """``config.method`` on ``task`` with model ``lm``: the record of docs/cli.md ("coherence lm
    run"). Unless ``quiet``, the searches draw a progress bar on stderr."""
    method, seed, shots, loo, steps = config.method, config.seed, config.shots, config.loo, config.steps
    chunk, sweeps, constraint, coh_orders = config.chunk, config.sweeps, config.constraint, config.coh_orders
    checks, debate, polish = config.checks, config.debate, config.polish_orders
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.backends.where import accounting
    from simulations.lm.results.held_out import held_out_part
    from simulations.lm.results.run_record import decided_part, decision_part
    from simulations.lm.searches.chunked import run_chunked, violations
    from simulations.lm.searches.coherence_estimate import coh, evaluation_orders
    from simulations.lm.searches.methods import baseline_log_probs
    from simulations.lm.tasks.constraint_choice import faithful_relations, record, resolve
    from simulations.lm.tasks.constraints import allows_every_labelling
    from simulations.lm.tasks.formats import auc

    name, note = resolve(task, constraint)
    prior = prior_for(lm, task, loo=loo)
    gold = task.gold
    known = gold >= 0
    t0 = time.perf_counter()
    extras: dict = {}
    ran = name
    if method in BASELINES:
        lp = baseline_log_probs(method, prior, gold, shots=shots, seed=seed)
        labels = lp.argmax(-1).astype(np.int64)
        odds = lp[:, 1] - lp[:, 0]
        # the labels decode with no constraint; the decision under the task's constraint is the
        # projection the constrained searches use (as in a table's cells)
        ran = "none"
        extras.update({"shots": shots, "log_odds": odds.tolist(),
                       "auc": auc(odds[known], gold[known]) if known.any() else None,
                       **decision_part(odds, task, name)})
    elif method in DEBATE_METHODS:
        from simulations.lm.searches.debate import run_debate

        cfg = debate if debate is not None else DebateConfig()
        res = run_debate(lm, task, cfg, seed=seed, constraint=name, self_consistency=method == "self-consistency")
        labels = res["labels"]
        d = res["record"]
        # the agents' majority carries no constraint; its decision under it projects the votes
        ran = "none"
        extras.update({**decided_part(d["labels_under_constraint"], task, name), "debate": d})
    elif method in ("coherence", "coherence-free"):
        from simulations.lm.searches.certified import certified_ascent

        ran = "none" if method == "coherence-free" else name
        # the constants are starts where they are allowed: R6 says one of them may be the optimum
        given = ({"all-0": np.zeros(task.n, np.int64), "all-1": np.ones(task.n, np.int64)}
                 if allows_every_labelling(ran) else None)
        res = certified_ascent(prior, constraint=ran, groups=task.relation_groups(ran), seed=seed,
                               config=ChunkConfig(chunk=chunk, sweeps=sweeps), max_checks=checks, given=given,
                               polish=polish, confirm=config.confirm_orders, fresh=config.fresh_orders, quiet=quiet)
        labels = res["labels"]
        extras.update({"chunk": chunk, "sweeps": sweeps, "starts": res["starts"], "rank": res["rank"],
                       "confirm_orders": res["confirm_orders"], "fresh": res["fresh"],
                       "certificate": res["certificate"],
                       "polish_steps": res["polish_steps"], "search_coherence": res["coherence"]})
    elif method in CHUNKED_METHODS:
        ran = "none" if method == "chunked-gibbs" else name
        algo = "coherence" if method == "coherence-free" else method.replace("chunked-", "")
        res = run_chunked(algo, prior, constraint=ran, groups=task.relation_groups(ran), seed=seed,
                          config=ChunkConfig(chunk=chunk, sweeps=sweeps), quiet=quiet)
        labels = res["labels"]
        extras.update({"chunk": chunk, "sweeps": sweeps, "sweeps_run": res["sweeps_run"],
                       "accepted": res["accepted"]})
    else:
        from simulations.search import run_search
        from simulations.search.progress import StderrBar

        if constraint == "auto" and name == "balance":
            # a count is no pairwise relation: the faithful searches run free, and say so
            ran, note = "none", ("the task's constraint balance is a count over all items, which the faithful "
                                 "searches cannot hold: ran with constraint none (a chunked method holds it)")
        kwargs = {} if steps is None else {"sweeps" if method in ("gibbs", "bootstrap") else "steps": int(steps)}
        cons = faithful_relations(task, ran)
        if cons is not None:
            kwargs["constraints"] = cons
        with StderrBar(f"lm {method}") as bar:
            res = run_search(method, prior, seed=seed, progress=None if quiet else bar, **kwargs)
        labels = np.asarray(res.behaviours, dtype=np.int64).reshape(-1)[-task.n:]
        extras.update({"evaluations": res.evaluations, "accepted": getattr(res, "accepted", None), "steps": steps,
                       "loo": loo})
    seconds = time.perf_counter() - t0
    labels = np.asarray(labels, dtype=np.int64)
    tokens = prior.forward_tokens + extras.get("debate", {}).get("forward_tokens", 0)
    orders = evaluation_orders(task.n, coh_orders, seed)
    evaluation = {"orders": orders, "gold_per_order": coh(prior, gold, orders)["per_order"] if known.all() else None}
    if method in COHERENCE_SEARCHES and allows_every_labelling(ran):
        # the search could have reached a constant: ending below one is a failure (the table's rule)
        evaluation["constants"] = {f"all-{v}": coh(prior, np.full(task.n, v, np.int64), orders)["per_order"]
                                   for v in (0, 1)}
    part = held_out_part(prior, labels, gold, method, ran, evaluation)
    return {"model": lm.name, "task": task.name, "method": method, "n": task.n, "seed": seed,
            "format": task.params["format"] | {"name": task.fmt.name},
            **{k: task.params[k] for k in ("subset", "eval_ids", "preset") if k in task.params},
            **part, "coherence_bits": part["coherence"] / np.log(2), **record(ran, task, note),
            "constraint_violations": violations(labels, ran, task.relation_groups(ran)),
            "gold": gold.tolist(), "inconsistencies": len(task.inconsistent_pairs(labels)),
            "forward_tokens": int(tokens), "seconds": seconds, "tokens_per_s": tokens / seconds if seconds else None,
            "device": lm.device, "dtype": lm.dtype, "accounting": accounting(prior), **extras}
