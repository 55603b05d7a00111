"""The training bootstrap: fine-tune on the current labels, relabel by the fine-tuned model, repeat.

One round maps a labelling ``b`` to

    T(b) = project(log P_theta(b)(1 | x_i) - log P_theta(b)(0 | x_i), constraint, groups)

where ``theta(b)`` is a fresh LoRA fine-tuned on ALL items labelled by ``b``
(:func:`simulations.lm.searches.prequential_training.fine_tuned_log_probs`, the label-word loss) and
:func:`simulations.lm.searches.chunked.project` is the constrained argmax the in-context searches use.
Every round uses the same ``config.seed``, so ``T`` is a deterministic map and a round that
changes nothing has reached a true fixed point ``T(b) = b``: the loop stops there, or after
``rounds`` rounds. The in-context bootstrap of :mod:`simulations.lm.searches.chunked` is the same loop with
the demonstrations in the prompt instead of in the weights.
"""
from __future__ import annotations

import numpy as np

from theory import validation as V

from simulations.lm.searches import chunked as C
from simulations.lm.tasks import relations as R
from simulations.lm.tasks.constraints import check_constraint
from simulations.lm.searches.coherence_estimate import evaluation_orders
from simulations.lm.searches.prequential_training import (TrainConfig, check_labels,
                                                          coherence_through_training_over_orders, fine_tuned_log_probs,
                                                          local_prior, prompts_of)


def _accuracy(labels, gold) -> float | None:
    if gold is None:
        return None
    known = gold >= 0
    return float(np.mean(labels[known] == gold[known])) if known.any() else None


def training_bootstrap(lm, task_or_prior, constraint: str, groups, start_labels, config: TrainConfig = TrainConfig(),
                       rounds: int = 4, *, gold=None, coh_orders: int = 0, coh_seed: int = 0) -> dict:
    """Run the training bootstrap (module docstring) from ``start_labels`` (any 0/1 labelling).

    ``groups``: the relation groups a grouped constraint reads (``None``: the task's
    ``relation_groups(constraint)``); ``gold``: labels to report accuracy against (``None``: the
    task's gold, ``-1`` = unknown); ``coh_orders > 0`` also reports each round's labels'
    ``Coh_train`` over that many evaluation orders (:func:`evaluation_orders` of ``coh_seed``;
    costly: one fine-tune per block per order).

    Returns ``{labels, fixed_point, rounds_run, accuracy, start_accuracy, history, steps, tokens}``:
    ``history[r]`` holds round ``r``'s new ``labels``, ``changed`` (items relabelled),
    ``log_odds`` (nats), ``accuracy``, ``violations``, ``losses`` (training loss per epoch, nats per
    item), ``steps``, ``tokens`` and, when asked, ``coh_train`` (``{mean, se, orders, per_order}``
    nats). ``fixed_point`` is whether the last round changed nothing."""
    check_constraint(constraint)
    rounds = V.positive_int("rounds", rounds, minimum=1)
    coh_orders = V.positive_int("coh_orders", coh_orders, minimum=0)
    prior = local_prior(lm, task_or_prior)
    prompts = prompts_of(prior)
    if prompts.k != 2:
        raise ValueError(f"the training bootstrap projects binary log-odds: the task needs 2 label words, "
                         f"got {prompts.k}")
    if groups is None and R.is_grouped(constraint):
        if not hasattr(task_or_prior, "relation_groups"):
            raise ValueError(f"constraint {constraint!r} needs the task's consistency groups (pass groups or a Task)")
        groups = task_or_prior.relation_groups(constraint)
    if gold is None and hasattr(task_or_prior, "gold"):
        gold = task_or_prior.gold
    gold = None if gold is None else np.asarray(gold, dtype=np.int64).reshape(prompts.n)
    b = check_labels(start_labels, prompts)
    start = b.copy()
    every = np.arange(prompts.n)
    history, fixed = [], False
    for r in range(rounds):
        res = fine_tuned_log_probs(lm, prior, every, b, config, every)
        odds = res["log_probs"][:, 1] - res["log_probs"][:, 0]
        new = C.project(odds, constraint, groups)
        rec = {"round": r, "labels": new.tolist(), "changed": int(np.sum(new != b)), "log_odds": odds.tolist(),
               "accuracy": _accuracy(new, gold), "violations": C.violations(new, constraint, groups),
               "losses": res["losses"], "steps": res["steps"], "tokens": res["tokens"]}
        if coh_orders:
            coh = coherence_through_training_over_orders(lm, prior, new, evaluation_orders(prompts.n, coh_orders,
                                                                                        coh_seed), config)
            rec["coh_train"] = {k: coh[k] for k in ("mean", "se", "orders", "per_order")}
            rec["coh_steps"], rec["coh_tokens"] = coh["steps"], coh["tokens"]
        history.append(rec)
        fixed = rec["changed"] == 0
        b = new
        if fixed:
            break
    return {"labels": b, "fixed_point": fixed, "rounds_run": len(history), "accuracy": _accuracy(b, gold),
            "start_accuracy": _accuracy(start, gold), "history": history,
            "steps": sum(h["steps"] + h.get("coh_steps", 0) for h in history),
            "tokens": sum(h["tokens"] + h.get("coh_tokens", 0) for h in history)}
