"""``coherence lm run``, ``diagnose`` and ``formats``: one model on one task (:mod:`coherence.lm`).

Each checks every argument by its flag before the model loads, builds the task
(:class:`~simulations.lm.tasks.registry.TaskChoice`) and its configuration
(:class:`~simulations.lm.results.single_run.RunConfig`,
:class:`~simulations.lm.results.diagnose.DiagnoseConfig`), calls the library and prints.
"""
from __future__ import annotations

import sys

import numpy as np

from simulations.io import dumps
from simulations.lm.searches.methods import BASELINES, CHUNKED_METHODS, DEBATE_METHODS, METHODS
from simulations.lm.tasks.registry import TASKS

from .lm_options import check_name, check_numbers, debate_config, load_model, task_choice


def build_task(args):
    """The task the arguments name; its warnings go to stderr."""
    task = task_choice(args).build()
    for line in task.params.get("warnings", ()):
        print(f"warning: {line}", file=sys.stderr)
    return task


def needs_labels(task, args, *, diagnose: bool) -> None:
    """Refuse, before any model loads, what unlabelled items cannot support."""
    unlabelled = int(np.sum(task.gold < 0))
    if not unlabelled:
        return
    where = f"{unlabelled} of the {task.n} items of {task.name} have no label"
    if diagnose:
        raise ValueError(f"diagnose judges the searches against gold, and {where}; label every item (or run "
                         "`coherence lm run`, which needs no labels)")
    if args.format == "auto" and args.template is None and args.label_words is None:
        raise ValueError(f"--format auto compares formats by zero-shot AUC against the labels, and {where}; "
                         "name a format (--format NAME)")


def constraint_fits(task, args) -> None:
    """Refuse, before any model loads, a ``--constraint`` the task cannot take (no shared ids, a
    relation's field the items lack, a group too large)."""
    from simulations.lm.tasks.constraint_choice import faithful_relations, resolve

    name, _ = resolve(task, args.constraint)
    method = getattr(args, "method", None)
    faithful = method in METHODS and method not in BASELINES + CHUNKED_METHODS + DEBATE_METHODS
    # a faithful search runs an auto balance as none (run_one says so); any other it must hold
    if faithful and not (args.constraint == "auto" and name == "balance"):
        faithful_relations(task, name)


def pick_format(lm, task, args):
    """With ``--format auto``, the format with the best zero-shot AUC on the dev split."""
    from simulations.lm.backends.knowledge import choose_format
    from simulations.lm.tasks.formats import format_named

    if args.format != "auto" or args.template is not None or args.label_words is not None:
        return task, None
    if task.name.startswith("jsonl:"):
        from simulations.lm.backends.knowledge import choose_format_cv

        choice = choose_format_cv(lm, task, seed=args.seed)
        print(f"format auto: {choice['chosen']} ({choice['rule']}: {choice['auc_held_out']:.3f} on "
              f"{choice['folds'][1]} held-out items)", file=sys.stderr)
        return task.with_format(format_named(task.family, choice["chosen"])), choice
    choice = choose_format(lm, task.name)
    return task.with_format(format_named(task.family, choice["chosen"])), choice


def run_config(args):
    """The :class:`~simulations.lm.results.single_run.RunConfig` of ``lm run``; the debate settings
    (``--agents``, ``--tau``, ``--schedule``; ``--steps`` the rounds) only for a debate method."""
    from simulations.lm.results.single_run import RunConfig
    from simulations.lm.searches.debate import DebateConfig

    debate = None
    if args.method in DEBATE_METHODS:
        debate = debate_config({"agents": args.agents, "tau": args.tau, "schedule": args.schedule,
                                "rounds": DebateConfig.rounds if args.steps is None else args.steps},
                               {"agents": "--agents", "tau": "--tau", "schedule": "--schedule", "rounds": "--steps"})
    return RunConfig(method=args.method, seed=args.seed, shots=args.shots, loo=args.loo, steps=args.steps,
                     chunk=args.chunk, sweeps=args.sweeps, constraint=args.constraint, coh_orders=args.coh_orders,
                     checks=args.checks, polish_orders=args.polish_orders, confirm_orders=args.confirm_orders,
                     fresh_orders=args.fresh_orders, debate=debate)


def run(args) -> int:
    """``coherence lm run``."""
    from simulations.lm.results.single_run import run_one

    check_numbers(args)
    check_name("--method", args.method, METHODS)
    task = build_task(args)  # bad task arguments fail before the model loads
    needs_labels(task, args, diagnose=False)
    constraint_fits(task, args)
    config = run_config(args)
    lm = load_model(args)
    task, choice = pick_format(lm, task, args)
    row = run_one(lm, task, config, quiet=args.quiet)
    if row.get("constraint_note"):
        print(f"note: {row['constraint_note']}", file=sys.stderr)
    row["format_choice"] = choice
    row["load_seconds"] = lm.load_seconds
    row.update({k: v for k, v in lm.info.items() if k != "cached"})
    if args.no_timing:
        for k in ("seconds", "tokens_per_s", "load_seconds", "conversion_seconds"):
            row.pop(k, None)
    if args.json:
        print(dumps(row))
    else:
        acc = "n/a" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
        print(f"{row['model']} {row['task']} {row['method']} n={row['n']} seed={row['seed']} format={task.fmt.name}: "
              f"accuracy {acc}, Coh {row['coh']['mean']:.2f} +- {row['coh']['se']:.2f} nats "
              f"({row['coh']['orders']} held-out orders), constraint {row['constraint']} "
              f"(leak {row['constraint_leak_accuracy']:.2f}){_decision(row)}, "
              f"inconsistent pairs {row['inconsistencies']}, "
              f"{row['forward_tokens']} forward tokens"
              + (f", {row['seconds']:.1f} s" if "seconds" in row else ""))
    return 0


def _decision(row: dict) -> str:
    """The text of a baseline's or debate's decision under the task's constraint ("" for the others)."""
    if "task_constraint" not in row:
        return ""
    acc = row["accuracy_under_task_constraint"]
    return (f", under {row['task_constraint']} (leak {row['task_constraint_leak_accuracy']:.2f}) accuracy "
            + ("n/a" if acc is None else f"{acc:.3f}"))


def diagnose(args) -> int:
    """``coherence lm diagnose``."""
    from simulations.figures import code_version
    from simulations.lm.results.diagnose import DiagnoseConfig, diagnose, render

    check_numbers(args)
    check_name("--task", args.task, TASKS)
    task = build_task(args)
    needs_labels(task, args, diagnose=True)
    constraint_fits(task, args)
    if args.checkpoint is not None:  # a bad or unwritable checkpoint is refused before the model loads
        from pathlib import Path

        from simulations.io import check_writable
        from simulations.lm.results.checkpoint import read_checkpoint

        read_checkpoint(args.checkpoint)
        check_writable(Path(args.checkpoint).absolute().parent, argument="--checkpoint")
    lm = load_model(args)
    task, choice = pick_format(lm, task, args)
    config = DiagnoseConfig(seed=args.seed, constraint=args.constraint, coh_orders=args.coh_orders, chunk=args.chunk,
                            sweeps=args.sweeps, checks=args.checks, token_budget=args.token_budget,
                            polish_orders=args.polish_orders, confirm_orders=args.confirm_orders,
                            fresh_orders=args.fresh_orders)
    version = code_version()  # of the code as it starts: a long run may outlive later edits
    d = diagnose(lm, task, config, progress=not args.quiet, checkpoint=args.checkpoint)
    d["format_choice"] = choice
    d["code_version"] = version
    if d.get("constraint_note") and args.json:  # the text report states it in its own lines
        print(f"note: {d['constraint_note']}", file=sys.stderr)
    print(dumps(d) if args.json else render(d))
    return 0


def formats(args) -> int:
    """``coherence lm formats``."""
    from simulations.lm.backends.knowledge import choose_format

    check_name("--task", args.task, TASKS)
    res = choose_format(load_model(args), args.task, n_dev=args.n)
    print(dumps(res) if args.json else "\n".join(f"{k:16s} AUC {v:.3f}" for k, v in res["auc"].items())
          + f"\nchosen: {res['chosen']} (dev split, n = {res['n_dev']})")
    return 0
