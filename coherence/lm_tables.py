"""``coherence lm table`` and ``train-coherence``: resumable table files (:mod:`coherence.lm`).

Every argument is checked by its flag before the model loads; the settings that key a file are
:class:`~simulations.lm.results.table.TableConfig` and
:class:`~simulations.lm.results.training_table.TrainTableConfig`, with the precision that ran.
By default the files lie in ``lm-tables/`` under the cache root (``--cache-dir``).
"""
from __future__ import annotations

import sys

from simulations.io import cache_root, check_writable, dumps
from simulations.lm.tasks.registry import TASKS

from .lm_options import check_name, check_numbers, debate_config, load_model

#: the folder of table files under the cache root, when ``--out`` is not given
TABLES_FOLDER = "lm-tables"


def out_folder(args) -> str:
    # --cache-dir is the cache root of every command, so by default the table files lie under it
    return args.out or str(cache_root(getattr(args, "cache_dir", None)) / TABLES_FOLDER)


def table(args) -> int:
    """``coherence lm table``: :func:`~simulations.lm.results.table.run_table`."""
    from simulations.lm.results import table as T
    from simulations.lm.results.predictions import table_path_of
    from simulations.lm.results.table_summary import summary_markdown
    from simulations.lm.results.table_file import read_table_file
    from simulations.lm.tasks.constraint_choice import resolve
    from simulations.lm.tasks.registry import make_task

    check_numbers(args)
    debate_config({"agents": args.agents, "tau": args.tau, "rounds": args.debate_rounds},
                  {"agents": "--agents", "tau": "--tau", "rounds": "--debate-rounds"})
    for t in args.tasks:
        check_name("--tasks", t, TASKS)
    methods = args.methods or list(T.TABLE_METHODS)
    for m in methods:
        check_name("--methods", m, T.TABLE_METHODS)
    for t in args.tasks:  # a constraint a task cannot take is refused before the model loads
        resolve(make_task(t, args.n, args.seeds[0]), args.constraint)
    if args.carry_from is not None:
        read_table_file(args.carry_from, records=False)  # a bad or missing file is refused before the model loads
    out = out_folder(args)
    check_writable(out, argument="--out")
    lm = load_model(args)
    # the precision that ran (--dtype auto resolved) keys the file: two precisions never share one
    cfg = T.TableConfig(model=args.model, n=args.n, chunk=args.chunk, sweeps=args.sweeps, shots=args.shots,
                        chains=args.chains, dtype=lm.dtype, constraint=args.constraint,
                        coh_orders=args.coh_orders, checks=args.checks, agents=args.agents, tau=args.tau,
                        debate_rounds=args.debate_rounds, debate_check_items=args.debate_check_items,
                        polish_orders=args.polish_orders, confirm_orders=args.confirm_orders,
                        fresh_orders=args.fresh_orders)
    data = T.run_table(lm, cfg, args.tasks, methods, args.seeds, out, budget_s=args.budget_s,
                       carry_from=args.carry_from)
    missing = [c for c in T.cells(args.tasks, methods, args.seeds) if T.cell_key(*c) not in data["runs"]]
    if missing:
        print(f"--budget-s {args.budget_s:g} spent: {len(missing)} cell(s) not run; rerun the same command to "
              "resume", file=sys.stderr)

    print(dumps(data) if args.json else summary_markdown(data))
    print(f"table file: {table_path_of(out, cfg)}", file=sys.stderr)
    return 0


def decide(args) -> int:
    """``coherence lm decide``: :func:`~simulations.lm.results.decisive_orders.decide_table` on the
    file's constrained searches that P3 judges; the file, its model and every number are checked
    before the model loads."""
    import math

    from simulations.lm.results.decisive_orders import decide_table
    from simulations.lm.results.predictions import SEARCHES, p3
    from simulations.lm.results.table_file import read_table_file
    from simulations.lm.searches.coherence_estimate import CohConfig

    data = read_table_file(args.file, records=False)
    cfg = data["config"]
    if not (isinstance(args.target_se, float) and math.isfinite(args.target_se) and args.target_se > 0):
        raise ValueError(f"--target-se must be a positive number of nats, got {args.target_se}")
    if "coh_orders" not in cfg:
        raise ValueError(f"{args.file}: the file predates evaluation orders (no coh_orders): its Coh cannot be grown")
    if args.max_orders < cfg["coh_orders"]:
        raise ValueError(f"--max-orders must be an integer >= the file's coh_orders ({cfg['coh_orders']}), "
                         f"got {args.max_orders}")
    if args.token_budget is not None and args.token_budget < 1:
        raise ValueError(f"--token-budget must be an integer >= 1, got {args.token_budget}")
    if args.model != cfg["model"]:
        raise ValueError(f"--model must be the file's model ({cfg['model']}), got {args.model}")
    config = CohConfig(orders=cfg["coh_orders"], target_se=args.target_se, max_orders=args.max_orders)
    lm = load_model(args)
    if lm.dtype != cfg.get("dtype", lm.dtype):
        raise ValueError(f"--dtype: the file's cells ran in {cfg['dtype']}, the model loaded in {lm.dtype}")
    decide_table(lm, args.file, SEARCHES, config=config, token_budget=args.token_budget, quiet=args.quiet)
    res = p3(read_table_file(args.file))
    if args.json:
        print(dumps({k: v for k, v in res.items() if k != "rows"}))
    else:
        print(f"P3 {res['verdict']}: agreement {res['agreement']}, climb agreement {res['climb_agreement']}, "
              f"decided {res['decided']}, below the climb from gold {res['below_gold_climb']}, "
              f"search failures {res['search_failures']}")
    return 0


def recheck(args) -> int:
    """``coherence lm recheck``: :func:`~simulations.lm.results.recheck.recheck` of one cell; the
    file, the cell and the output path are checked before the model loads."""
    from simulations.figures import code_version
    from simulations.io import atomic_write_json
    from simulations.lm.results.recheck import check_cell
    from simulations.lm.results.recheck import recheck as recheck_cell
    from simulations.lm.results.table_file import read_table_file

    data = read_table_file(args.file)
    task, method, seed = args.cell
    try:
        seed = int(seed)
    except ValueError:
        raise ValueError(f"--cell: SEED must be an integer, got {seed!r}") from None
    try:
        check_cell(data, task, method, seed, where=str(args.file))
    except ValueError as exc:
        raise ValueError(f"--cell: {exc}") from None
    if args.model != data["config"]["model"]:
        raise ValueError(f"--model must be the file's model ({data['config']['model']}), got {args.model}")
    if args.out is not None:
        check_writable(args.out, argument="--out")
    version = code_version()  # of the code as it starts: a long run may outlive later edits
    lm = load_model(args)
    # one cell can take a quarter of an hour and reports nothing until it ends
    print(f"lm recheck: computing {task} {method} s{seed} of {args.file} again ...", file=sys.stderr, flush=True)
    res = recheck_cell(lm, data, task, method, seed)
    res.update({"file": str(args.file), "code_version": version})
    if args.out is not None:
        atomic_write_json(args.out, res)
    if args.json:
        print(dumps(res))
    else:
        t, c = res["forward_tokens"], res["coherence"]
        print(f"{task} {method} s{seed}: labels {'equal' if res['labels_equal'] else 'DIFFER'}, Coh {c['now']:.3f} "
              f"(stored {c['stored']:.3f}, largest difference over orders {c['max_abs_diff']:.2g} nats), forward "
              f"tokens {t['now']:,} (stored {t['stored']:,}), {res['seconds']['now']:.0f} s")
    return 0 if res["labels_equal"] else 1


def train_coherence(args) -> int:
    """``coherence lm train-coherence``: every argument checked by flag name before the model
    loads, then :func:`simulations.lm.results.training_table.run_training_table`."""
    import importlib.util

    from simulations.lm.results import training_table as TT
    from simulations.lm.tasks.heldout import split_heldout
    from simulations.lm.tasks.constraint_choice import resolve

    check_numbers(args)
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
        check_name("--tasks", t, [k for k in TASKS if ":" not in k])
    for s in args.seeds:  # the items, the held-out split and the constraint, before the model loads
        for t in args.tasks:
            resolve(split_heldout(t, args.n, args.heldout, s)[0], "auto")
    out = out_folder(args)
    check_writable(out, argument="--out")
    lm = load_model(args)
    cfg = TT.TrainTableConfig(model=args.model, n=args.n, block=args.block, lr=args.lr, epochs=args.epochs,
                              rank=args.rank, coh_orders=args.coh_orders, rounds=args.rounds, heldout=args.heldout,
                              dtype=lm.dtype)
    data = TT.run_training_table(lm, cfg, args.tasks, args.seeds, out, quiet=args.quiet, budget_s=args.budget_s)
    left = TT.missing(data, args.tasks, args.seeds)
    if left:
        print(f"--budget-s {args.budget_s:g} spent: {len(left)} record(s) not run; rerun the same command to "
              "resume", file=sys.stderr)
    print(dumps(data) if args.json else TT.summary_markdown(data))
    print(f"training table file: {TT.training_path(out, cfg)}", file=sys.stderr)
    return 0
