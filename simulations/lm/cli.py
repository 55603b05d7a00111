"""``coherence lm``: searches and diagnoses on real causal language models (docs/cli.md).

Subcommands: ``run`` (one method on one task), ``diagnose`` (the coherence landscape and the
regime the theory predicts), ``formats`` (zero-shot AUC per prompt format on the dev split),
``table`` (methods x tasks x seeds, resumable), ``train-coherence`` (coherence through
fine-tuning, the training bootstrap and held-out accuracy, resumable), ``predictions`` (P1-P8
from table files), ``figures``, ``tasks``, ``methods``, ``train`` (a small transformer trained on
a synthetic prior).
"""
from __future__ import annotations

import sys
import time

import numpy as np

from simulations.io import check_writable, dumps

from simulations.lm.searches.coherence_estimate import CohConfig
from simulations.lm.searches.certified import POLISH_ORDERS
from simulations.lm.searches.local_climb import CHECKS
from simulations.lm.searches.methods import BASELINES, CHUNKED_METHODS, COHERENCE_SEARCHES, DEBATE_METHODS, METHODS
from simulations.lm.tasks.registry import TASKS


def _model_args(p) -> None:
    p.add_argument("--model", default="smollm2",
                   help="smollm2 | gemma3-270m | tiny-random | local model dir | .gguf file "
                        "| openai:URL[#MODEL] (a server)")
    p.add_argument("--device", default="auto", help="auto (cuda, then cpu) | cpu | cuda | cuda:N")
    p.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16", "float64"),
                   help="floating-point type of a local model's weights and activations: auto (default: float32 on "
                        "CUDA; on a CPU bfloat16 when it advertises bf16 units and a one-time micro-benchmark finds "
                        "it faster, else float32; cached per machine and model, stated on stderr) or a forced type")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads (default: the cores left idle by the load average, at least 1)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    from simulations.lm.backends.where import add_served_arguments

    add_served_arguments(p)


def _task_args(p, many: bool = False) -> None:
    if not many:
        p.add_argument("--task", default="polarity-high", help="see `coherence lm tasks`")
    p.add_argument("-n", type=int, default=None, help="items per task (default 64; a whole JSONL file)")
    p.add_argument("--format", default=None,
                   help="prompt format of the task's family (see `coherence lm formats`); 'auto' = the best zero-shot "
                        "AUC on the dev split; default: the family's first format")
    p.add_argument("--template", default=None, help="custom template with {choice} (and optionally {question})")
    p.add_argument("--label-words", nargs=2, default=None, metavar=("WORD0", "WORD1"),
                   help="custom label words (label 0 first), each one token after a space")
    if not many:
        p.add_argument("--subset", type=int, default=None, metavar="N",
                       help="a task file: N items of whole consistency groups drawn with --seed, balanced by label "
                            "where the data allows")
        p.add_argument("--eval-ids", default=None, metavar="FILE",
                       help="a task file: keep the consistency ids listed in FILE (a JSON list, or an object with "
                            "'consistency_ids', as LLG's eval_sets)")


def _search_args(p) -> None:
    from simulations.lm.tasks.constraint_choice import CHOICES

    p.add_argument("--constraint", default="auto", metavar="{" + ",".join(CHOICES) + "}",
                   help="labellings the searches may end on: auto (the task's own) | none | free-groups (as none) | "
                        "balance (half the items true) | groups or exactly-one (exactly one true per consistency_id) | "
                        "at-most-one (at most one per id) | mirror-pairs (the two items of an id take opposite labels) "
                        "| same-answer:FIELD (one label per value of FIELD in an id, different values not both true)")
    p.add_argument("--chunk", type=int, default=8,
                   help="items per context pass in the chunked searches (1 = exact LOO)")
    p.add_argument("--sweeps", type=int, default=4, help="sweeps of the chunked searches")
    p.add_argument("--shots", type=int, default=8, help="demonstrations for the few-shot baselines (0 = all others)")
    p.add_argument("--checks", type=int, default=CHECKS,
                   help="moves checked per step of the certified ascent's polish and of the climb from gold")
    p.add_argument("--polish-orders", type=int, default=POLISH_ORDERS,
                   help="orders of the certified ascent's final selection and polish, and of the climb from gold")


def _coh_args(p) -> None:
    p.add_argument("--coh-orders", type=int, default=6,
                   help="held-out evaluation orders of every reported Coh (its standard error needs >= 2)")


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="lm_command", metavar="SUBCOMMAND")
    p = sub.add_parser("run", help="run one method on one task with one model")
    _model_args(p)
    _task_args(p)
    _search_args(p)
    _coh_args(p)
    p.add_argument("--method", default="zero-shot", help="see `coherence lm methods`")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=None, help="steps / sweeps of the faithful searches (method default)")
    p.add_argument("--agents", type=int, default=3, help="debate / self-consistency: agents K (2..10)")
    p.add_argument("--tau", type=float, default=1.0,
                   help="debate / self-consistency: sampling temperature (0 = argmax)")
    p.add_argument("--schedule", default="sequential", choices=["sequential", "simultaneous"],
                   help="debate: agents answer in turn within a round (a Gibbs sweep) or all read the previous round")
    p.add_argument("--loo", default="exact", choices=["exact", "block"],
                   help="leave-one-out conditionals of the faithful searches: exact or block (one pass, approximate)")
    p.add_argument("--no-timing", action="store_true", help="leave timing fields out of --json (byte comparison)")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p = sub.add_parser("diagnose", help="the coherence landscape of a task and the regime the theory predicts")
    _model_args(p)
    _task_args(p)
    _search_args(p)
    p.add_argument("--seed", type=int, default=0)
    _coh_args(p)
    p.add_argument("--token-budget", type=int, default=None,
                   help="forward tokens the decisive comparison may spend growing its orders (default: no limit; "
                        f"it stops at a standard error of {CohConfig.target_se} nats or {CohConfig.max_orders} orders)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p = sub.add_parser("formats", help="zero-shot AUC of every prompt format on the task's dev split")
    _model_args(p)
    p.add_argument("--task", default="polarity-high")
    p.add_argument("-n", type=int, default=64)
    p = sub.add_parser("table", help="methods x tasks x seeds on one model (resumable, keyed by every setting)")
    _model_args(p)
    _search_args(p)
    p.add_argument("--tasks", nargs="+", default=["polarity-high", "polarity-low", "polarity-nonsalient",
                                                  "polarity-salient-wrong", "capitals-easy"])
    p.add_argument("--methods", nargs="+", default=None, help="default: every table method")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("-n", type=int, default=64)
    _coh_args(p)
    p.add_argument("--chains", type=int, default=4, help="chains of chunked-gibbs")
    p.add_argument("--agents", type=int, default=3, help="debate / self-consistency: agents K (2..10)")
    p.add_argument("--tau", type=float, default=1.0,
                   help="debate / self-consistency: sampling temperature (0 = argmax)")
    p.add_argument("--debate-rounds", type=int, default=5, help="debate: rounds after round 0")
    p.add_argument("--debate-check-items", type=int, default=16,
                   help="items per task and seed of debate's exact check, prediction P8 (0 = no check)")
    p.add_argument("--out", default=None, help="folder of table files (default: the user cache, coherence/lm-tables)")
    p.add_argument("--budget-s", type=float, default=None,
                   help="start no cell after this many seconds (the cell in progress finishes); rerun to resume")
    p = sub.add_parser("train-coherence", help="in-context Coh against Coh_train (LoRA fine-tuning), the training "
                                                "bootstrap and held-out generalisation, per task and seed (resumable)")
    _model_args(p)
    p.add_argument("--tasks", nargs="+", default=["polarity-pairs", "polarity-high"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("-n", type=int, default=64, help="items per task")
    p.add_argument("--block", type=int, default=16, help="items per prequential block of Coh_train (1..n)")
    p.add_argument("--lr", type=float, default=2e-3, help="learning rate of every LoRA fine-tune (AdamW; 0 = none)")
    p.add_argument("--epochs", type=int, default=2, help="epochs of every fine-tune")
    p.add_argument("--rank", type=int, default=8, help="LoRA rank")
    p.add_argument("--coh-orders", type=int, default=2,
                   help="evaluation orders of every Coh and Coh_train (>= 2, for the paired intervals of P7)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of the training bootstrap")
    p.add_argument("--heldout", type=int, default=64,
                   help="held-out items of each task scored after fine-tuning (0 = no generalisation part)")
    p.add_argument("--out", default=None, help="folder of table files (default: the user cache, coherence/lm-tables)")
    p.add_argument("--budget-s", type=float, default=None,
                   help="start no (task, seed) record after this many seconds; rerun to resume")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p = sub.add_parser("predictions", help="the theory's predictions P1-P8 measured in table files")
    p.add_argument("files", nargs="+", help="table JSON files written by `coherence lm table` (P1-P6, P8) or "
                                            "`coherence lm train-coherence` (P7)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("figures", help="the real-model figures from table files (manifest entries)")
    p.add_argument("files", nargs="+", help="table JSON files written by `coherence lm table` or "
                                            "`coherence lm train-coherence`")
    p.add_argument("--out", default="figures", help="output folder (default: figures)")
    sub.add_parser("tasks", help="list task names")
    sub.add_parser("methods", help="list method names")
    p = sub.add_parser("train", help="train a small transformer on a synthetic prior; coherence gap in bits")
    from simulations.transformer_training import add_train_arguments

    add_train_arguments(p)


def _check_numbers(args) -> None:
    """Integer arguments in range, before any model loads."""
    # --steps is checked here, by its own name: the searches would refuse it as "sweeps" or "steps"
    for name, low in (("chunk", 1), ("sweeps", 1), ("orders", 1), ("shots", 0), ("seed", 0), ("chains", 1),
                      ("n", 2), ("coh_orders", 2), ("checks", 1), ("token_budget", 1), ("steps", 0),
                      ("debate_rounds", 0), ("debate_check_items", 0), ("polish_orders", 1)):
        v = getattr(args, name, None)
        if v is not None and v < low:
            flag = "-n" if name == "n" else f"--{name.replace('_', '-')}"
            raise ValueError(f"{flag} must be an integer >= {low}, got {v}")
    from simulations.lm.tasks.constraint_choice import check_choice

    check_choice(getattr(args, "constraint", "auto"))
    budget = getattr(args, "budget_s", None)
    if budget is not None and not budget >= 0:  # also refuses nan
        raise ValueError(f"--budget-s must be a number of seconds >= 0, got {budget}")
    for v in getattr(args, "seeds", None) or ():
        if v < 0:
            raise ValueError(f"--seeds must be integers >= 0, got {v}")


def _check_name(arg: str, value: str, allowed) -> None:
    if value not in allowed and not (arg == "--task" and value.startswith(("jsonl:", "icm:"))):
        raise ValueError(f"{arg} must be one of {sorted(allowed)}, got {value!r}")


def _build_task(args, n_default: int = 64):
    from simulations.lm.tasks.formats import format_named
    from simulations.lm.tasks.registry import make_task

    from simulations.lm.tasks.registry import is_file_task

    n = args.n if args.n is not None else (None if is_file_task(args.task) else n_default)
    fmt = None if args.format == "auto" else args.format
    task = make_task(args.task, n, getattr(args, "seed", 0), fmt=fmt, template=args.template,
                     label_words=args.label_words, subset=getattr(args, "subset", None),
                     eval_ids=getattr(args, "eval_ids", None))
    for line in task.params.get("warnings", ()):
        print(f"warning: {line}", file=sys.stderr)
    return task, format_named


def _needs_labels(task, args, *, diagnose: bool) -> None:
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


def _debate_config(args):
    """The debate settings of ``lm run`` (``--agents``, ``--tau``, ``--schedule``; ``--steps`` the
    rounds) or ``lm table`` (``--debate-rounds`` the rounds), refused by flag name before any
    model loads."""
    from simulations.lm.searches.debate import DebateConfig

    if getattr(args, "lm_command", None) == "table":
        flags = {"agents": "--agents", "tau": "--tau", "rounds": "--debate-rounds"}
        settings = {"agents": args.agents, "tau": args.tau, "rounds": args.debate_rounds}
    else:
        flags = {"agents": "--agents", "tau": "--tau", "schedule": "--schedule", "rounds": "--steps"}
        settings = {"agents": args.agents, "tau": args.tau, "schedule": args.schedule,
                    "rounds": DebateConfig.rounds if args.steps is None else args.steps}
    try:
        return DebateConfig(**settings)
    except ValueError as exc:
        field = str(exc).split(" ", 1)[0]
        raise ValueError(f"{flags.get(field, field)} {str(exc).split(' ', 1)[1]}") from None


def _constraint_fits(task, args) -> None:
    """Refuse, before any model loads, a ``--constraint`` the task cannot take (no shared ids, a
    relation's field the items lack, a group too large)."""
    from simulations.lm.tasks.constraint_choice import faithful_relations, resolve

    name, _ = resolve(task, args.constraint)
    method = getattr(args, "method", None)
    faithful = method in METHODS and method not in BASELINES + CHUNKED_METHODS + DEBATE_METHODS
    # a faithful search runs an auto balance as none (run_one says so); any other it must hold
    if faithful and not (args.constraint == "auto" and name == "balance"):
        faithful_relations(task, name)


def _pick_format(lm, task, args, fmt_named):
    """With ``--format auto``, the format with the best zero-shot AUC on the dev split."""
    from simulations.lm.backends.knowledge import choose_format

    if args.format != "auto" or args.template is not None or args.label_words is not None:
        return task, None
    if task.name.startswith("jsonl:"):
        from simulations.lm.backends.knowledge import choose_format_cv

        choice = choose_format_cv(lm, task, seed=getattr(args, "seed", 0))
        print(f"format auto: {choice['chosen']} ({choice['rule']}: {choice['auc_held_out']:.3f} on "
              f"{choice['folds'][1]} held-out items)", file=sys.stderr)
        return task.with_format(fmt_named(task.family, choice["chosen"])), choice
    choice = choose_format(lm, task.name, n_dev=64)
    return task.with_format(fmt_named(task.family, choice["chosen"])), choice


def run_one(lm, task, method: str, seed: int, *, shots: int = 8, loo: str = "exact", steps=None,
            chunk: int = 8, sweeps: int = 4, quiet: bool = True, constraint: str = "auto",
            coh_orders: int = 6, checks: int = CHECKS, debate=None, polish: int = POLISH_ORDERS) -> dict:
    """One method on one task: labels, accuracy, AUC of the per-item log-odds (baselines), Coh of
    the labels (nats, with its standard error over ``coh_orders`` held-out evaluation orders:
    :mod:`simulations.lm.searches.coherence_estimate`) and its paired comparison with gold (a labelling
    below gold is a search failure), the constraint that ran and its leak, and cost.
    ``constraint`` is one of :data:`simulations.lm.tasks.constraint_choice.CHOICES` (``auto``: the
    task's own). ``coherence`` and ``coherence-free`` are the certified ascent
    (:mod:`simulations.lm.searches.certified`; ``checks`` moves per polish step, ``polish`` orders); ``debate`` and
    ``self-consistency`` run :mod:`simulations.lm.searches.debate` with ``debate`` (a
    :class:`~simulations.lm.searches.debate.DebateConfig`; its defaults when ``None``). Unless ``quiet``,
    the searches draw a progress bar on stderr."""
    from simulations.lm.backends.where import accounting
    from simulations.lm.searches.chunked import ChunkConfig, project, run_chunked, violations
    from simulations.lm.searches.coherence_estimate import against_gold, evaluation_orders
    from simulations.lm.tasks.constraint_choice import faithful_relations, record, resolve
    from simulations.lm.tasks.formats import auc
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.searches.methods import baseline_log_probs

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
        decided = project(odds, name, task.relation_groups(name))  # the decision under the constraint
        extras.update({"shots": shots, "log_odds": odds.tolist(),
                       "auc": auc(odds[known], gold[known]) if known.any() else None,
                       "labels_under_constraint": decided.tolist(),
                       "accuracy_under_constraint": float(np.mean(decided[known] == gold[known]))
                       if known.any() else None})
    elif method in DEBATE_METHODS:
        from simulations.lm.searches.debate import DebateConfig, run_debate

        cfg = debate if debate is not None else DebateConfig()
        res = run_debate(lm, task, cfg, seed=seed, constraint=name, self_consistency=method == "self-consistency")
        labels = res["labels"]
        extras.update({k: res["record"][k] for k in ("labels_under_constraint", "accuracy_under_constraint")})
        extras["debate"] = res["record"]
    elif method in ("coherence", "coherence-free"):
        from simulations.lm.searches.certified import certified_ascent

        ran = "none" if method == "coherence-free" else name
        # the constants are starts of the free search: R6 says one of them may be its optimum
        given = {"all-0": np.zeros(task.n, np.int64), "all-1": np.ones(task.n, np.int64)} if ran == "none" else None
        res = certified_ascent(prior, constraint=ran, groups=task.relation_groups(ran), seed=seed,
                               config=ChunkConfig(chunk=chunk, sweeps=sweeps), max_checks=checks, given=given,
                               polish=polish, quiet=quiet)
        labels = res["labels"]
        extras.update({"chunk": chunk, "sweeps": sweeps, "starts": res["starts"], "certificate": res["certificate"],
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
    judged = against_gold(prior, labels, gold, evaluation_orders(task.n, coh_orders, seed))
    c = judged["coh"]
    acc = float(np.mean(labels[known] == gold[known])) if known.any() else None
    return {"model": lm.name, "task": task.name, "method": method, "n": task.n, "seed": seed,
            "format": task.params["format"] | {"name": task.fmt.name},
            **{k: task.params[k] for k in ("subset", "eval_ids", "preset") if k in task.params},
            "accuracy": acc, "coherence": c["mean"], "coherence_se": c["se"], "coherence_orders": c["orders"],
            "coherence_bits": c["mean"] / np.log(2), **record(ran, task, note),
            "constraint_violations": violations(labels, ran, task.relation_groups(ran)),
            # only a search that maximises Coh fails by ending below gold (None otherwise, as in the table)
            "vs_gold": judged["vs_gold"], "below_gold": judged["search_failure"],
            "search_failure": judged["search_failure"] if method in COHERENCE_SEARCHES else None,
            "labels": labels.tolist(), "gold": gold.tolist(), "inconsistencies": len(task.inconsistent_pairs(labels)),
            "forward_tokens": int(tokens), "seconds": seconds, "tokens_per_s": tokens / seconds if seconds else None,
            "device": lm.device, "dtype": lm.dtype, "accounting": accounting(prior), **extras}


def _load(args):
    from simulations.lm.backends.where import open_model, served_options

    return open_model(args.model, device=args.device, dtype=args.dtype, threads=args.threads, **served_options(args))


def _run(args) -> int:
    _check_numbers(args)
    _check_name("--method", args.method, METHODS)
    task, fmt_named = _build_task(args)  # bad task arguments fail before the model loads
    _needs_labels(task, args, diagnose=False)
    _constraint_fits(task, args)
    debate = _debate_config(args) if args.method in DEBATE_METHODS else None
    lm = _load(args)
    task, choice = _pick_format(lm, task, args, fmt_named)
    row = run_one(lm, task, args.method, args.seed, shots=args.shots, loo=args.loo, steps=args.steps,
                  chunk=args.chunk, sweeps=args.sweeps, quiet=args.quiet, constraint=args.constraint,
                  coh_orders=args.coh_orders, checks=args.checks, debate=debate, polish=args.polish_orders)
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
              f"accuracy {acc}, Coh {row['coherence']:.2f} +- {row['coherence_se']:.2f} nats "
              f"({row['coherence_orders']} held-out orders), constraint {row['constraint']} "
              f"(leak {row['constraint_leak_accuracy']:.2f}), inconsistent pairs {row['inconsistencies']}, "
              f"{row['forward_tokens']} forward tokens"
              + (f", {row['seconds']:.1f} s" if "seconds" in row else ""))
    return 0


def _table(args) -> int:
    from simulations.io import cache_root
    from simulations.lm.results.table import TABLE_METHODS, TableConfig, cell_key, cells, run_table

    _check_numbers(args)
    _debate_config(args)
    for t in args.tasks:
        _check_name("--tasks", t, TASKS)
    methods = args.methods or list(TABLE_METHODS)
    for m in methods:
        _check_name("--methods", m, TABLE_METHODS)
    from simulations.lm.tasks.constraint_choice import resolve
    from simulations.lm.tasks.registry import make_task

    for t in args.tasks:  # a constraint a task cannot take is refused before the model loads
        resolve(make_task(t, args.n, args.seeds[0]), args.constraint)
    # --cache-dir is the cache root of every command, so by default the table files lie under it
    out = args.out or str(cache_root(getattr(args, "cache_dir", None)) / "lm-tables")
    check_writable(out, argument="--out")
    lm = _load(args)
    # the precision that ran (--dtype auto resolved) keys the file: two precisions never share one
    cfg = TableConfig(model=args.model, n=args.n, chunk=args.chunk, sweeps=args.sweeps, shots=args.shots,
                      chains=args.chains, dtype=lm.dtype, constraint=args.constraint,
                      coh_orders=args.coh_orders, checks=args.checks, agents=args.agents, tau=args.tau,
                      debate_rounds=args.debate_rounds, debate_check_items=args.debate_check_items,
                      polish_orders=args.polish_orders)
    data = run_table(lm, cfg, args.tasks, methods, args.seeds, out, budget_s=args.budget_s)
    from simulations.lm.results.predictions import summary_markdown, table_path_of

    missing = [c for c in cells(args.tasks, methods, args.seeds) if cell_key(*c) not in data["runs"]]
    if missing:
        print(f"--budget-s {args.budget_s:g} spent: {len(missing)} cell(s) not run; rerun the same command to "
              "resume", file=sys.stderr)

    print(dumps(data) if args.json else summary_markdown(data))
    print(f"table file: {table_path_of(out, cfg)}", file=sys.stderr)
    return 0


def _train_coherence(args) -> int:
    """``coherence lm train-coherence``: every argument checked by flag name before the model
    loads, then :func:`simulations.lm.results.training_table.run_training_table`."""
    import importlib.util

    from simulations.io import cache_root
    from simulations.lm.tasks.constraint_choice import resolve
    from simulations.lm.results.training_table import (TrainTableConfig, missing, run_training_table, split_heldout,
                                                       summary_markdown)
    from simulations.lm.results.training_table import training_path

    _check_numbers(args)
    for name, low in (("block", 1), ("epochs", 1), ("rank", 1), ("rounds", 1), ("heldout", 0)):
        if getattr(args, name) < low:
            raise ValueError(f"--{name} must be an integer >= {low}, got {getattr(args, name)}")
    if args.block > args.n:
        raise ValueError(f"--block must be an integer in [1, -n = {args.n}], got {args.block}")
    if not 0 <= args.lr < float("inf"):  # also refuses nan
        raise ValueError(f"--lr must be a finite number >= 0, got {args.lr}")
    if args.model.startswith("openai:"):
        raise ValueError("--model: training fine-tunes the weights, so it needs a local model, not a server")
    if importlib.util.find_spec("peft") is None:
        raise ValueError("train-coherence fine-tunes LoRA adapters with peft, which is not installed: "
                         "pip install -e '.[lm]'")
    for t in args.tasks:
        _check_name("--tasks", t, [k for k in TASKS if ":" not in k])
    for s in args.seeds:  # the items, the held-out split and the constraint, before the model loads
        for t in args.tasks:
            resolve(split_heldout(t, args.n, args.heldout, s)[0], "auto")
    out = args.out or str(cache_root(getattr(args, "cache_dir", None)) / "lm-tables")
    check_writable(out, argument="--out")
    lm = _load(args)
    cfg = TrainTableConfig(model=args.model, n=args.n, block=args.block, lr=args.lr, epochs=args.epochs,
                           rank=args.rank, coh_orders=args.coh_orders, rounds=args.rounds, heldout=args.heldout,
                           dtype=lm.dtype)
    data = run_training_table(lm, cfg, args.tasks, args.seeds, out, quiet=args.quiet, budget_s=args.budget_s)
    left = missing(data, args.tasks, args.seeds)
    if left:
        print(f"--budget-s {args.budget_s:g} spent: {len(left)} record(s) not run; rerun the same command to "
              "resume", file=sys.stderr)
    print(dumps(data) if args.json else summary_markdown(data))
    print(f"training table file: {training_path(out, cfg)}", file=sys.stderr)
    return 0


def run(args) -> int:
    cmd = getattr(args, "lm_command", None)
    if cmd == "tasks":
        for k, v in TASKS.items():
            print(f"{k:24s} {v}")
        return 0
    if cmd == "methods":
        for k, v in METHODS.items():
            print(f"{k:18s} {v}")
        return 0
    if cmd == "train":
        from simulations.transformer_training import run_train

        return run_train(args)
    if cmd == "table":
        return _table(args)
    if cmd == "train-coherence":
        return _train_coherence(args)
    if cmd == "run":
        return _run(args)
    if cmd == "diagnose":
        from simulations.lm.results.diagnose import run_diagnose

        _check_numbers(args)
        _check_name("--task", args.task, TASKS)
        task, fmt_named = _build_task(args)
        _needs_labels(task, args, diagnose=True)
        _constraint_fits(task, args)
        lm = _load(args)
        task, choice = _pick_format(lm, task, args, fmt_named)
        return run_diagnose(lm, task, args, choice)
    if cmd == "formats":
        from simulations.lm.backends.knowledge import choose_format

        _check_name("--task", args.task, TASKS)
        res = choose_format(_load(args), args.task, n_dev=args.n)
        print(dumps(res) if args.json else "\n".join(f"{k:16s} AUC {v:.3f}" for k, v in res["auc"].items())
              + f"\nchosen: {res['chosen']} (dev split, n = {res['n_dev']})")
        return 0
    if cmd == "figures":
        from simulations.lm.results.figures import produce
        from simulations.lm.results.training_figure import produce_training_figure
        from simulations.lm.results.training_file import is_training, read_any_table

        # training table files draw the in-context vs training figure (P7); the others the rest
        kinds = [is_training(read_any_table(f)) for f in args.files]
        training = [f for f, t in zip(args.files, kinds) if t]
        tables = [f for f, t in zip(args.files, kinds) if not t]
        entries = (produce(tables, args.out) if tables else []) + \
            ([produce_training_figure(training, args.out)] if training else [])
        for e in entries:
            print(f"{e['id']}: {e['finding']}")
        return 0
    if cmd == "predictions":
        from simulations.lm.results.predictions import report

        return report(args.files, as_json=args.json)
    print("usage: coherence lm {run,diagnose,formats,table,train-coherence,predictions,figures,tasks,methods,train} "
          "... (see --help)",
          file=sys.stderr)
    return 2
