"""``coherence lm diagnose``: will self-improvement work on this model and task?

It prints the coherence landscape (:mod:`simulations.lm.landscape`): zero-shot accuracy and AUC;
``Coh`` over a fixed order and the order average with its spread for gold, its negation, the
constants, the zero-shot labelling, random balanced labellings, and the best labelling the
coherence ascent finds without and with the task's constraint; then the regime the theory
predicts (success, R2 symmetry, R3 salient wrong persona, R6 constant) with the reason in numbers.
"""
from __future__ import annotations

import time

import numpy as np

from simulations.io import dumps

from .chunked import ChunkConfig, run_chunked
from .knowledge import prior_for, zero_shot
from .landscape import landscape, regime
from .table import task_constraint


def diagnose(lm, task, *, seed: int = 0, orders: int = 3, chunk: int = 8, sweeps: int = 4) -> dict:
    """The landscape, the best labellings found (with and without the constraint) and the regime."""
    t0 = time.perf_counter()
    prior = prior_for(lm, task)
    gold = task.gold
    if np.any(gold < 0):
        raise ValueError("diagnose needs gold labels for every item (the task file has unlabelled items)")
    zs = zero_shot(prior, gold)
    land = landscape(prior, gold, zero_shot_labels=zs["labels"], orders=orders, seed=seed)
    S = np.asarray(land["orders"])
    cfg = ChunkConfig(chunk=chunk, sweeps=sweeps, orders=2)

    def found(constraint):
        r = run_chunked("coherence", prior, constraint=constraint, groups=task.groups, seed=seed, config=cfg)
        c = prior.coherence_over_orders(r["labels"], S)
        return {"constraint": constraint, "labels": r["labels"].tolist(), "coherence": float(c.mean()),
                "spread": float(c.std(ddof=1)) if c.size > 1 else 0.0,
                "accuracy": float(np.mean(r["labels"] == gold)), "ones": int(r["labels"].sum())}

    free = found("none")
    cons = task_constraint(task)
    constrained = found(cons) if cons != "none" else None
    reg = regime(land, free, constrained)
    return {"model": lm.name, "task": task.name, "n": task.n, "seed": seed,
            "format": task.params["format"] | {"name": task.fmt.name},
            "zero_shot": {"auc": zs["auc"], "accuracy": zs["accuracy"]},
            "landscape": land, "found_free": free, "found_constrained": constrained, "constraint": cons,
            "prediction": reg, "forward_tokens": prior.forward_tokens, "seconds": time.perf_counter() - t0}


def render(d: dict) -> str:
    """A human-readable landscape table."""
    L = d["landscape"]["labellings"]
    rows = [f"model {d['model']}, task {d['task']} (n = {d['n']}, seed {d['seed']}, format {d['format']['name']})",
            f"zero-shot: accuracy {d['zero_shot']['accuracy']:.3f}, AUC {d['zero_shot']['auc']:.3f}", "",
            f"{'labelling':22s} {'Coh (order 1)':>14s} {'Coh (mean)':>11s} {'spread':>7s} {'accuracy':>9s}"]
    for name, v in L.items():
        rows.append(f"{name:22s} {v['per_order'][0]:14.2f} {v['mean']:11.2f} {v['spread']:7.2f} {v['accuracy']:9.3f}")
    for key, label in (("found_free", "found (no constraint)"), ("found_constrained", f"found ({d['constraint']})")):
        f = d.get(key)
        if f:
            rows.append(f"{label:22s} {'':14s} {f['coherence']:11.2f} {f['spread']:7.2f} {f['accuracy']:9.3f}")
    rows += ["", f"predicted regime: {d['prediction']['regime']} -- {d['prediction']['reason']}",
             f"{d['forward_tokens']} forward tokens, {d['seconds']:.0f} s"]
    return "\n".join(rows)


def run_diagnose(lm, task, args, choice) -> int:
    d = diagnose(lm, task, seed=args.seed, orders=args.orders, chunk=args.chunk, sweeps=args.sweeps)
    d["format_choice"] = choice
    print(dumps(d) if args.json else render(d))
    return 0
