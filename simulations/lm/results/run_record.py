"""The run record: where one method on one task at one seed ended, and what that end is worth.

``coherence lm run`` prints one and every table file holds one per cell
(:mod:`simulations.lm.results.table`): the same schema, :data:`RUN`, under the same names
(docs/cli.md, "Run records"). The Coh part comes from
:func:`~simulations.lm.results.held_out.held_out_part` and a baseline's decision under the
task's constraint from :func:`decision_part`, in both writers.

Every record holds the labels, their accuracy, ``coh`` (the mean Coh over held-out evaluation
orders with its standard error, nats) with ``coherence`` (that mean) and
``coherence_per_order``, the paired comparison with gold (``vs_gold``), the constraint the
labels ran under with its leak, and the cost. The in-context baselines and debate decode without
a constraint (``constraint`` ``none``); their decision under the task's constraint is
``labels_under_task_constraint``, with its accuracy and ``task_constraint``.
"""
from __future__ import annotations

import numpy as np

from simulations.lm.searches.methods import BASELINES
from simulations.stored import (BadStoredFile, integer, list_of, non_negative, nullable, number, obj, one_of,
                                string)

label = one_of(0, 1)
labels = list_of(label)
per_order = list_of(number, min_len=1)

#: the one run-record schema. The optional fields are those some methods have (the baselines'
#: log-odds and decision, Gibbs' chains) and those files written before them lack (``coh``:
#: table files before the held-out Coh)
RUN_REQUIRED = {"task": string, "method": string, "seed": integer, "labels": labels, "accuracy": nullable(number),
                "coherence": number, "coherence_per_order": per_order, "constraint": string,
                "constraint_leak_accuracy": nullable(number), "forward_tokens": non_negative,
                "seconds": non_negative}
RUN_OPTIONAL = {"n": integer, "coh": obj({"mean": number, "se": number, "orders": integer}),
                "vs_gold": nullable(obj({"diff": number, "se": number, "ci": list_of(number, min_len=2)})),
                "below_gold": nullable(one_of(True, False)), "search_failure": nullable(one_of(True, False)),
                "below": list_of(string), "accuracy_under_task_constraint": nullable(number),
                "task_constraint": string, "task_constraint_leak_accuracy": nullable(number),
                "labels_under_task_constraint": labels, "log_odds": list_of(number), "auc": nullable(number),
                "chains_final": list_of(labels), "trace": list_of(labels)}
RUN = obj(RUN_REQUIRED, RUN_OPTIONAL)


def check_run_record(rec, where: str = "") -> None:
    """:class:`~simulations.stored.BadStoredFile` (the first bad field) unless ``rec`` is a run
    record: :data:`RUN`, and a baseline's log-odds present (lm figures reads them)."""
    RUN(rec, where)
    if rec["method"] in BASELINES and "log_odds" not in rec:
        raise BadStoredFile(f"{where}.log_odds", "missing")


def decision_part(odds, task, constraint: str) -> dict:
    """A baseline's decision under ``constraint``: the per-item log-odds ``odds`` (nats) projected
    onto the best labelling the constraint allows (:func:`~simulations.lm.searches.chunked.project`),
    as :func:`decided_part` records it."""
    from simulations.lm.searches.chunked import project

    return decided_part(project(np.asarray(odds, dtype=float), constraint, task.relation_groups(constraint)),
                        task, constraint)


def decided_part(decided, task, constraint: str) -> dict:
    """``{task_constraint, task_constraint_leak_accuracy, labels_under_task_constraint,
    accuracy_under_task_constraint}`` of a decision ``decided`` under ``constraint`` (a baseline's
    projected log-odds, debate's projected votes): the constraint's leak (R12) and the accuracy
    over the labelled items (``None`` when there is none)."""
    from simulations.lm.tasks.constraints import constraint_leak

    decided = np.asarray(decided, dtype=np.int64)
    gold = np.asarray(task.gold)
    known = gold >= 0
    return {"task_constraint": constraint,
            "task_constraint_leak_accuracy": constraint_leak(constraint, gold, task.relation_groups(constraint)),
            "labels_under_task_constraint": decided.tolist(),
            "accuracy_under_task_constraint": float(np.mean(decided[known] == gold[known])) if known.any() else None}
