"""Which constraint a real-model search runs under, decided once for every command and search.

A constraint is named by one of :data:`~simulations.lm.tasks.constraints.CONSTRAINTS` and means the same
set of labellings everywhere (``coherence lm run``, ``diagnose``, ``table`` and the API; chunked
and faithful searches alike):

* ``none`` -- every labelling (``free-groups``: the same labellings, for files whose groups only
  order demonstrations, as in LLG's ICM);
* ``balance`` -- exactly ``floor(n/2)`` items labelled 1;
* ``groups`` (also ``exactly-one``) -- exactly one item labelled 1 per ``consistency_id``;
* ``at-most-one`` -- at most one item labelled 1 per ``consistency_id``;
* ``mirror-pairs`` -- the two items of a group take opposite labels;
* ``same-answer:FIELD`` -- items of a group with one value of ``FIELD`` take one label, items
  with different values are not both true (:mod:`simulations.lm.tasks.relations`).

``auto`` (the default of every command) is the task's own constraint (:func:`task_constraint`).
A task whose items share consistency ids but runs under ``none`` carries a one-line note saying
so and how to use them (:func:`resolve`): a user's groups are never dropped in silence.
The faithful searches of :mod:`simulations.search` hold pairwise relations only; a constraint
they cannot express is refused by :func:`faithful_relations`, never replaced by another. They hold
it as their authors did, as a penalty of one per violated pair (ICM's ``I(b)``), so their end may
break it; every record of ``coherence lm run`` counts the groups its labels violate
(``constraint_violations``), while the chunked searches and the constrained baselines never
leave the constraint set.
"""
from __future__ import annotations

import numpy as np

from simulations.lm.tasks.constraints import CONSTRAINTS, allows_every_labelling, check_constraint, constraint_leak
from simulations.lm.tasks.relations import ALIASES, base, is_grouped

#: what ``--constraint`` accepts (``same-answer:FIELD`` with a field of the items; ``exactly-one``
#: is ``groups``)
CHOICES = ("auto",) + CONSTRAINTS + tuple(ALIASES)


def check_choice(requested: str) -> str:
    """The canonical name of ``--constraint requested`` (``auto`` kept); ValueError naming the
    choices for anything else."""
    name = ALIASES.get(requested, requested)
    if name != "auto":
        try:
            check_constraint(name)
        except ValueError:
            raise ValueError(f"--constraint must be one of {list(CHOICES)}, got {requested!r}") from None
    return name


def task_constraint(task) -> str:
    """The task's own constraint: a testbed preset's relation (``icm:NAME:PATH``), ``groups`` for
    contrast pairs and geography claims (one true candidate per question), ``balance`` for other
    word-polarity tasks, else ``none``."""
    if task.params.get("preset"):  # a testbed preset names its relation
        from simulations.lm.tasks.registry import PRESETS

        return PRESETS[task.params["preset"]][1]
    if any(it.kind == "contrast" for it in task.items):
        return "groups"
    if task.family == "polarity":
        return "balance"
    if task.name.split("-")[0] in ("capitals", "cities"):
        return "groups"
    return "none"


def shared_groups(groups) -> int:
    """How many consistency ids are shared by two or more items."""
    _, counts = np.unique(np.asarray(groups), return_counts=True)
    return int(np.sum(counts >= 2))


def resolve(task, requested: str = "auto") -> tuple:
    """``(constraint, note)``: the constraint that runs for ``requested`` (``auto`` = the task's
    own), and a one-line note when the task's consistency groups go unused (else ``None``).
    ValueError for an unknown name, or a grouped constraint on a task without shared ids."""
    name = check_choice(requested)
    name = task_constraint(task) if name == "auto" else name
    shared = shared_groups(task.groups)
    if is_grouped(name) and shared == 0:
        raise ValueError(f"--constraint {name} needs items that share a consistency_id; task {task.name} has none")
    if is_grouped(name):
        task.relation_groups(name)  # a relation the task cannot take (a missing field, a group too large) fails here
    note = None
    if name == "none" and shared:
        note = (f"{shared} consistency group(s) of task {task.name} were not used (constraint none): pass "
                "--constraint groups (exactly one true per consistency_id), at-most-one, mirror-pairs, "
                "same-answer:FIELD or free-groups")
    return name, note


def record(name: str, task, note=None) -> dict:
    """The fields every output carries about its constraint: its name, the accuracy it gives on
    its own (its leak, R12) and the note of :func:`resolve`."""
    out = {"constraint": name,
           "constraint_leak_accuracy": constraint_leak(name, task.gold, task.relation_groups(name))}
    if note:
        out["constraint_note"] = note
    return out


def faithful_relations(task, name: str):
    """The pairwise relations (:class:`simulations.search.constraints.Constraints`, or ``None``
    for ``none``) that hold constraint ``name`` in the faithful searches. ``at-most-one`` is a
    contradiction between every two items of a group; ``groups`` is an exclusive pair, so its
    groups must hold two items each; ``balance`` is a count, not a pairwise relation."""
    from simulations.search.constraints import from_groups

    if allows_every_labelling(name):
        return None
    if name == "balance":
        raise ValueError("--constraint balance is a count over all items, which the faithful searches cannot hold; "
                         "use a chunked method (chunked-bootstrap, chunked-icm, coherence) or --constraint none")
    if base(name) == "same-answer":
        raise ValueError(f"--constraint {name} ties items of one answer together, which the faithful searches' "
                         "pairwise penalties do not express; use a chunked method (chunked-bootstrap, chunked-icm, "
                         "coherence)")
    g = np.asarray(task.groups)
    _, inverse, counts = np.unique(g, return_inverse=True, return_counts=True)
    exclusive = name in ("groups", "mirror-pairs")
    if exclusive and np.any(counts != 2):
        raise ValueError(f"--constraint {name} with a faithful search needs consistency groups of exactly two items "
                         f"(exactly one of two true is a pairwise relation); task {task.name} has groups of sizes "
                         f"{sorted(set(counts.tolist()))}: use a chunked method or --constraint at-most-one")
    shared = np.where(counts[inverse] >= 2, g, -1)
    return from_groups(shared, "exclusive" if exclusive else "contradiction")
