"""``coherence lm``: searches on real causal language models (docs/cli.md).

Subcommands: ``run`` (one search, JSON per docs/cli.md), ``tasks``, ``methods``, ``train`` (a
small transformer trained on a synthetic prior, compared with the exact codelength) and
``table`` (accuracy across tasks x methods x seeds with confidence intervals, resumable).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _model_args(p) -> None:
    p.add_argument("--model", default="smollm2", help="smollm2 | tiny-random | local model dir | .gguf file")
    p.add_argument("--device", default="auto", help="auto (cuda, then cpu) | cpu | cuda | cuda:N")
    p.add_argument("--dtype", default="float32", help="float32 | float16 | bfloat16 | float64")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads (default: the cores left idle by the load average, at least 1)")
    p.add_argument("--loo", default="exact", choices=["exact", "block"],
                   help="leave-one-out conditionals: exact (shared-prefix cache) or block (one pass, approximate)")
    p.add_argument("--shots", type=int, default=8, help="demonstrations for the few-shot baselines (0 = all others)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="lm_command", metavar="SUBCOMMAND")
    p = sub.add_parser("run", help="run one method on one task with one model")
    _model_args(p)
    p.add_argument("--task", default="arithmetic", help="see `coherence lm tasks`")
    p.add_argument("--method", default="zero-shot", help="see `coherence lm methods`")
    p.add_argument("-n", type=int, default=16, help="number of items")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=None, help="search steps / sweeps (method default if omitted)")
    sub.add_parser("tasks", help="list task names")
    sub.add_parser("methods", help="list method names")
    p = sub.add_parser("train", help="train a small transformer on a synthetic prior; coherence gap in bits")
    from .train import add_train_arguments

    add_train_arguments(p)
    p = sub.add_parser("table", help="accuracy table across tasks, methods and seeds (resumable)")
    _model_args(p)
    p.add_argument("--tasks", nargs="+", default=["arithmetic", "comparison", "nonsalient"])
    p.add_argument("--methods", nargs="+", default=["zero-shot", "golden-few-shot", "bootstrap", "icm"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("-n", type=int, default=16)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--out", default="figures/data/lm-table.json", help="JSON results (markdown beside it)")


def _search_params(method: str, steps) -> dict:
    if steps is None:
        return {}
    return {"sweeps" if method in ("gibbs", "bootstrap") else "steps": int(steps)}


def run_one(lm, task_name: str, method: str, n: int, seed: int, *, shots: int = 8, loo: str = "exact",
            steps=None) -> dict:
    """One method on one generated task: labels, accuracy, coherence and cost (docs/cli.md)."""
    from .methods import BASELINES, METHODS, baseline_labels
    from .prior import LMPrior, PromptFormat
    from .tasks import make_task

    if method not in METHODS:
        raise ValueError(f"--method must be one of {sorted(METHODS)}, got {method!r}")
    task = make_task(task_name, n, seed)
    prior = LMPrior(lm, task.queries(), PromptFormat(label_words=task.label_words), loo=loo)
    gold = task.gold
    t0 = time.perf_counter()
    extras: dict = {}
    if method in BASELINES:
        labels = baseline_labels(method, prior, gold, shots=shots, seed=seed)
        extras["shots"] = shots
    else:
        try:
            from simulations.search import run_search
        except ImportError as exc:
            raise ValueError(f"method {method!r} needs simulations.search, which is not available ({exc})") from None
        kwargs = _search_params(method, steps)
        constraints = _constraints(task)
        if constraints is not None:
            kwargs["constraints"] = constraints
        res = run_search(method, prior, seed=seed, **kwargs)
        labels = np.asarray(res.behaviours, dtype=np.int64).reshape(-1)[-task.n:]
        extras.update({"evaluations": getattr(res, "evaluations", None), "accepted": getattr(res, "accepted", None),
                       "search_params": _jsonable(getattr(res, "params", {}))})
    seconds = time.perf_counter() - t0
    search_tokens = prior.forward_tokens
    coh = float(prior.log_joint(labels))
    known = gold >= 0
    acc = float(np.mean(labels[known] == gold[known])) if known.any() else float("nan")
    return {"model": lm.name, "task": task_name, "method": method, "n": task.n, "seed": seed,
            "accuracy": acc, "coherence": coh, "coherence_bits": coh / np.log(2),
            "labels": labels.tolist(), "gold": gold.tolist(),
            "inconsistencies": len(task.inconsistent_pairs(labels)),
            "forward_tokens": int(search_tokens), "seconds": seconds, "device": lm.device, "dtype": lm.dtype,
            "loo": loo, "steps": steps, **extras}


def _constraints(task):
    """ICM's logical-consistency constraints for the task's groups, when the search package offers them."""
    try:
        from simulations.search import constraints as C
    except ImportError:
        return None
    build = getattr(C, "from_items", None)
    if build is None:
        return None
    return build([{"consistency_id": it.consistency_id, "kind": it.kind, "key": it.key} for it in task.items])


def _jsonable(x):
    try:
        json.dumps(x)
        return x
    except TypeError:
        return json.loads(json.dumps(x, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def summarise(rows: list) -> list:
    """Per (task, method): mean accuracy over seeds with a 95% t-interval across seeds, and a
    pooled Wilson 95% interval over all items of all seeds."""
    from scipy import stats

    out = []
    keys = sorted({(r["task"], r["method"]) for r in rows})
    for task, method in keys:
        rs = [r for r in rows if r["task"] == task and r["method"] == method]
        acc = np.array([r["accuracy"] for r in rs])
        m = len(acc)
        half = float(stats.t.ppf(0.975, m - 1) * acc.std(ddof=1) / np.sqrt(m)) if m > 1 else float("nan")
        hits = sum(int(np.sum(np.array(r["labels"]) == np.array(r["gold"]))) for r in rs)
        total = sum(len(r["gold"]) for r in rs)
        lo, hi = _wilson(hits, total)
        out.append({"task": task, "method": method, "seeds": [r["seed"] for r in rs], "n": rs[0]["n"],
                    "accuracy_mean": float(acc.mean()), "accuracy_ci95_seeds": half,
                    "pooled_wilson95": [lo, hi], "accuracies": acc.tolist(),
                    "coherence_mean_nats": float(np.mean([r["coherence"] for r in rs])),
                    "inconsistencies_mean": float(np.mean([r["inconsistencies"] for r in rs])),
                    "forward_tokens_mean": float(np.mean([r["forward_tokens"] for r in rs])),
                    "seconds_mean": float(np.mean([r["seconds"] for r in rs]))})
    return out


def _wilson(k: int, n: int, z: float = 1.959964) -> tuple:
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (float(c - h), float(c + h))


def markdown(summary: list, meta: dict) -> str:
    lines = [f"Model `{meta['model']}` on {meta['device']}, n = {meta['n']} items per run, seeds {meta['seeds']}, "
             f"LOO mode `{meta['loo']}`, few-shot demos {meta['shots']}.", "",
             "| task | method | accuracy (mean over seeds) | 95% CI (t, seeds) | pooled Wilson 95% | inconsistent pairs | forward tokens | s/run |",
             "|---|---|---|---|---|---|---|---|"]
    for s in summary:
        lo, hi = s["pooled_wilson95"]
        lines.append(f"| {s['task']} | {s['method']} | {s['accuracy_mean']:.3f} | +-{s['accuracy_ci95_seeds']:.3f} | "
                     f"[{lo:.2f}, {hi:.2f}] | {s['inconsistencies_mean']:.1f} | {s['forward_tokens_mean']:.0f} | "
                     f"{s['seconds_mean']:.1f} |")
    return "\n".join(lines) + "\n"


def _table(args) -> int:
    from .loader import load

    out = Path(args.out)
    done = json.loads(out.read_text())["runs"] if out.exists() else []
    have = {(r["task"], r["method"], r["seed"], r["n"], r["model"]) for r in done}
    lm = load(args.model, device=args.device, dtype=args.dtype, threads=args.threads)
    # steps may differ between invocations that fill one file; each run records its own
    meta = {"model": args.model, "device": lm.device, "dtype": args.dtype, "n": args.n, "seeds": args.seeds,
            "loo": args.loo, "shots": args.shots, "steps": args.steps, "load_seconds": lm.load_seconds, **lm.info}
    cells = [(t, m, s) for t in args.tasks for m in args.methods for s in args.seeds]
    try:
        from tqdm import tqdm
        it = tqdm(cells, file=sys.stderr, desc="lm table")
    except ImportError:  # pragma: no cover
        it = cells
    for t, m, s in it:
        if (t, m, s, args.n, args.model) in have:
            continue
        row = run_one(lm, t, m, args.n, s, shots=args.shots, loo=args.loo, steps=args.steps)
        done.append(row)
        _atomic_write(out, json.dumps({"meta": meta, "runs": done, "summary": summarise(done)}, indent=1))
    summary = summarise(done)
    _atomic_write(out, json.dumps({"meta": meta, "runs": done, "summary": summary}, indent=1))
    md = markdown(summary, meta)
    _atomic_write(out.with_suffix(".md"), md)
    print(json.dumps(summary, indent=1) if args.json else md)
    return 0


def run(args) -> int:
    cmd = getattr(args, "lm_command", None)
    if cmd == "tasks":
        from .tasks import TASKS

        for k, v in TASKS.items():
            print(f"{k:16s} {v}")
        return 0
    if cmd == "methods":
        from .methods import METHODS

        for k, v in METHODS.items():
            print(f"{k:16s} {v}")
        return 0
    if cmd == "train":
        from .train import run_train

        return run_train(args)
    if cmd == "table":
        return _table(args)
    if cmd == "run":
        from .loader import load

        lm = load(args.model, device=args.device, dtype=args.dtype, threads=args.threads)
        row = run_one(lm, args.task, args.method, args.n, args.seed, shots=args.shots, loo=args.loo, steps=args.steps)
        row["load_seconds"] = lm.load_seconds
        row.update({k: v for k, v in lm.info.items()})
        if args.json:
            print(json.dumps(row, default=float))
        else:
            print(f"{row['model']} {row['task']} {row['method']} n={row['n']} seed={row['seed']}: "
                  f"accuracy {row['accuracy']:.3f}, coherence {row['coherence']:.2f} nats "
                  f"({row['coherence_bits']:.2f} bits), inconsistent pairs {row['inconsistencies']}, "
                  f"{row['forward_tokens']} forward tokens, {row['seconds']:.1f} s")
        return 0
    print("usage: coherence lm {run,tasks,methods,train,table} ... (see --help)", file=sys.stderr)
    return 2
