"""``coherence lm``: searches and diagnoses on real causal language models (docs/cli.md).

Subcommands: ``run`` (one method on one task), ``diagnose`` (the coherence landscape and the
regime the theory predicts), ``formats`` (zero-shot AUC per prompt format on the dev split),
``table`` (methods x tasks x seeds, resumable), ``decide`` (grow a table's decisive comparisons),
``recheck`` (one stored cell computed again), ``train-coherence`` (coherence through
fine-tuning, the training bootstrap and held-out accuracy, resumable), ``predictions`` (P1-P8
from table files), ``figures``, ``tasks``, ``methods``, ``train`` (a small transformer trained on
a synthetic prior), ``agreement`` (a served model against local weights) and ``fastpath`` (how
exact the chunked fast paths are).

This module holds the parser and the dispatch; ``run``, ``diagnose`` and ``formats`` are in
:mod:`coherence.lm_run`, ``table``, ``decide``, ``recheck`` and ``train-coherence`` in :mod:`coherence.lm_tables`, the
shared options and checks in :mod:`coherence.lm_options`. Every default is read from the
configuration the option fills (docs/development.md).
"""
from __future__ import annotations

import json
import sys

from simulations.figures import FiguresConfig
from simulations.io import dumps
from simulations.lm.backends.agreement import AgreementConfig
from simulations.lm.backends.fastpath import FastpathConfig
from simulations.lm.backends.knowledge import N_DEV
from simulations.lm.backends.prior import LOO_MODES
from simulations.lm.results import training_table as TT
from simulations.lm.results.diagnose import DiagnoseConfig
from simulations.lm.results.figures import TABLE_FIGURES
from simulations.lm.results.single_run import RunConfig
from simulations.lm.results.table import DEFAULT_SEEDS, DEFAULT_TASKS, TableConfig
from simulations.lm.results.training_figure import FIGURE_ID as TRAINING_FIGURE
from simulations.lm.searches.coherence_estimate import CohConfig
from simulations.lm.searches.debate import SCHEDULES, DebateConfig
from simulations.lm.searches.methods import METHODS
from simulations.lm.tasks.registry import TASKS, TaskChoice
from simulations.transformer_training import PRIORS, TrainConfig

from . import lm_run, lm_tables
from .lm_options import add_coh_argument, add_model_arguments, add_search_arguments, add_task_arguments

#: the subcommands, in --help order
SUBCOMMANDS = ("run", "diagnose", "formats", "table", "decide", "recheck", "train-coherence", "predictions",
               "figures", "tasks", "methods", "train", "agreement", "fastpath")


def _debate_arguments(p, D) -> None:
    p.add_argument("--agents", type=int, default=D.agents, help="debate / self-consistency: agents K (2..10)")
    p.add_argument("--tau", type=float, default=D.tau,
                   help="debate / self-consistency: sampling temperature (0 = argmax)")


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="run one method on one task with one model")
    add_model_arguments(p)
    add_task_arguments(p)
    add_search_arguments(p, RunConfig)
    add_coh_argument(p, RunConfig.coh_orders)
    p.add_argument("--method", default=RunConfig.method, help="see `coherence lm methods`")
    p.add_argument("--seed", type=int, default=RunConfig.seed)
    p.add_argument("--steps", type=int, default=RunConfig.steps,
                   help="steps / sweeps of the faithful searches (method default)")
    _debate_arguments(p, DebateConfig)
    p.add_argument("--schedule", default=DebateConfig.schedule, choices=SCHEDULES,
                   help="debate: agents answer in turn within a round (a Gibbs sweep) or all read the previous round")
    p.add_argument("--loo", default=RunConfig.loo, choices=LOO_MODES,
                   help="leave-one-out conditionals of the faithful searches: exact or block (one pass, approximate)")
    p.add_argument("--no-timing", action="store_true", help="leave timing fields out of --json (byte comparison)")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")


def _add_diagnose_and_formats(sub) -> None:
    D = DiagnoseConfig
    p = sub.add_parser("diagnose", help="the coherence landscape of a task and the regime the theory predicts")
    add_model_arguments(p)
    add_task_arguments(p)
    add_search_arguments(p, D, shots=RunConfig.shots)
    p.add_argument("--seed", type=int, default=D.seed)
    add_coh_argument(p, D.coh_orders)
    p.add_argument("--token-budget", type=int, default=D.token_budget,
                   help="forward tokens the decisive comparison may spend growing its orders (default: no limit; "
                        f"it stops at a standard error of {CohConfig.target_se} nats or {CohConfig.max_orders} orders)")
    p.add_argument("--checkpoint", default=None, metavar="FILE",
                   help="write each finished stage to FILE and read the stages FILE holds: rerun the same command "
                        "to resume an interrupted diagnosis")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p = sub.add_parser("formats", help="zero-shot AUC of every prompt format on the task's dev split")
    add_model_arguments(p)
    p.add_argument("--task", default=TaskChoice.task)
    p.add_argument("-n", type=int, default=N_DEV)


def _add_tables(sub) -> None:
    D = TableConfig
    p = sub.add_parser("table", help="methods x tasks x seeds on one model (resumable, keyed by every setting)")
    add_model_arguments(p)
    add_search_arguments(p, D)
    p.add_argument("--tasks", nargs="+", default=list(DEFAULT_TASKS))
    p.add_argument("--methods", nargs="+", default=None, help="default: every table method")
    p.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    p.add_argument("-n", type=int, default=D.n)
    add_coh_argument(p, D.coh_orders)
    p.add_argument("--chains", type=int, default=D.chains, help="chains of chunked-gibbs")
    _debate_arguments(p, D)
    p.add_argument("--debate-rounds", type=int, default=D.debate_rounds, help="debate: rounds after round 0")
    p.add_argument("--debate-check-items", type=int, default=D.debate_check_items,
                   help="items per task and seed of debate's exact check, prediction P8 (0 = no check)")
    p.add_argument("--out", default=None, help="folder of table files (default: the user cache, coherence/lm-tables)")
    p.add_argument("--budget-s", type=float, default=None,
                   help="start no cell after this many seconds (the cell in progress finishes); rerun to resume")
    p.add_argument("--carry-from", default=None, metavar="FILE",
                   help="start a new table file from FILE, a table of the same settings whose polish ranked moves "
                        "by the zero-shot log-odds: its cells that do not depend on the ranking are kept")
    p = sub.add_parser("decide", help="grow the evaluation orders of a table file's P3 comparisons until each "
                                      "paired standard error is at most --target-se nats (resumable)")
    p.add_argument("file", help="a table file written by `coherence lm table`; its model loads by --model")
    add_model_arguments(p)
    p.add_argument("--target-se", type=float, default=CohConfig.target_se,
                   help=f"stop growing a comparison at its paired standard error (nats, default {CohConfig.target_se})")
    p.add_argument("--max-orders", type=int, default=CohConfig.max_orders,
                   help=f"grow no comparison past this many orders (default {CohConfig.max_orders})")
    p.add_argument("--token-budget", type=int, default=None,
                   help="forward tokens each task and seed may spend growing (default: no bound)")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p = sub.add_parser("recheck", help="compute one stored cell of a table file again with today's code: are the "
                                       "labels and Coh the same, and what does it cost now")
    p.add_argument("file", help="a table file written by `coherence lm table`; its model loads by --model")
    add_model_arguments(p)
    p.add_argument("--cell", nargs=3, required=True, metavar=("TASK", "METHOD", "SEED"),
                   help="the cell: a task, a table method or `landscape` (the landscape and its climb from gold), "
                        "and a seed")
    p.add_argument("--out", default=None, metavar="JSON", help="also write the result to this file (atomically)")
    D = TT.TrainTableConfig
    p = sub.add_parser("train-coherence", help="in-context Coh against Coh_train (LoRA fine-tuning), the training "
                                                "bootstrap and held-out generalisation, per task and seed (resumable)")
    add_model_arguments(p)
    p.add_argument("--tasks", nargs="+", default=list(TT.DEFAULT_TASKS))
    p.add_argument("--seeds", type=int, nargs="+", default=list(TT.DEFAULT_SEEDS))
    p.add_argument("-n", type=int, default=D.n, help="items per task")
    p.add_argument("--block", type=int, default=D.block, help="items per prequential block of Coh_train (1..n)")
    p.add_argument("--lr", type=float, default=D.lr, help="learning rate of every LoRA fine-tune (AdamW; 0 = none)")
    p.add_argument("--epochs", type=int, default=D.epochs, help="epochs of every fine-tune")
    p.add_argument("--rank", type=int, default=D.rank, help="LoRA rank")
    p.add_argument("--coh-orders", type=int, default=D.coh_orders,
                   help="evaluation orders of every Coh and Coh_train (>= 2, for the paired intervals of P7)")
    p.add_argument("--rounds", type=int, default=D.rounds, help="rounds of the training bootstrap")
    p.add_argument("--heldout", type=int, default=D.heldout,
                   help="held-out items of each task scored after fine-tuning (0 = no generalisation part)")
    p.add_argument("--out", default=None, help="folder of table files (default: the user cache, coherence/lm-tables)")
    p.add_argument("--budget-s", type=float, default=None,
                   help="start no (task, seed) record after this many seconds; rerun to resume")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")


def _add_reports(sub) -> None:
    p = sub.add_parser("predictions", help="the theory's predictions P1-P8 measured in table files")
    p.add_argument("files", nargs="+", help="table JSON files written by `coherence lm table` (P1-P6, P8) or "
                                            "`coherence lm train-coherence` (P7)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("figures", help="the real-model figures from table files (manifest entries)")
    p.add_argument("files", nargs="+", help="table JSON files written by `coherence lm table` or "
                                            "`coherence lm train-coherence`")
    p.add_argument("--out", default=FiguresConfig.out, help=f"output folder (default: {FiguresConfig.out})")
    p.add_argument("--only", nargs="+", choices=(*TABLE_FIGURES, TRAINING_FIGURE), metavar="ID",
                   help="draw only these figures (default: every figure the files allow): "
                        f"{', '.join((*TABLE_FIGURES, TRAINING_FIGURE))}; the manifest keeps the others")
    sub.add_parser("tasks", help="list task names")
    sub.add_parser("methods", help="list method names")


def _add_train(sub) -> None:
    D = TrainConfig
    p = sub.add_parser("train", help="train a small transformer on a synthetic prior; coherence gap in bits")
    p.add_argument("--prior", default=D.prior, choices=PRIORS)
    p.add_argument("-n", type=int, default=D.n, help="items per sequence")
    p.add_argument("--eps", type=float, default=D.eps, help="concept noise")
    p.add_argument("--steps", type=int, default=D.steps)
    p.add_argument("--batch", type=int, default=D.batch)
    p.add_argument("--lr", type=float, default=D.lr)
    p.add_argument("--layers", type=int, default=D.layers)
    p.add_argument("--hidden", type=int, default=D.hidden)
    p.add_argument("--test", type=int, default=D.test, help="held-out vectors for the evaluation")
    p.add_argument("--seed", type=int, default=D.seed)
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: idle cores, at least 1)")
    p.add_argument("--json", action="store_true")


def _add_measurements(sub) -> None:
    D = AgreementConfig
    p = sub.add_parser("agreement", help="a served model's label conditionals against local weights (docs/serving.md)")
    p.add_argument("--out", default=D.out, help=f"the record's JSON file (default: {D.out})")
    p.add_argument("-n", type=int, default=D.n, help=f"word-sentiment items (default {D.n})")
    p.add_argument("--threads", type=int, default=D.threads, help=f"CPU threads of both backends (default {D.threads})")
    D = FastpathConfig
    p = sub.add_parser("fastpath", help="how exact the chunked fast paths are on a local model (docs/lm.md)")
    p.add_argument("--model", default=D.model, help=f"a local model (default: {D.model})")
    p.add_argument("-n", type=int, default=D.n, help=f"items of {D.task} (default {D.n})")
    p.add_argument("--threads", type=int, default=D.threads, help=f"CPU threads (default {D.threads})")
    p.add_argument("--out", default=D.out, help=f"folder of fastpath-MODEL.json (default: {D.out})")


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="lm_command", metavar="SUBCOMMAND")
    _add_run(sub)
    _add_diagnose_and_formats(sub)
    _add_tables(sub)
    _add_reports(sub)
    _add_train(sub)
    _add_measurements(sub)


def _train(args) -> int:
    """``coherence lm train``: :func:`simulations.transformer_training.train`."""
    from simulations.lm.backends.loader import cpu_threads
    from simulations.transformer_training import summary, train

    cfg = TrainConfig(prior=args.prior, n=args.n, eps=args.eps, steps=args.steps, batch=args.batch, lr=args.lr,
                      layers=args.layers, hidden=args.hidden, test=args.test, seed=args.seed)
    cpu_threads(args.threads)
    res = train(cfg)
    print(json.dumps(res, indent=1) if args.json else summary(res))
    return 0


def _figures(args) -> int:
    from simulations.lm.results.figures import produce
    from simulations.lm.results.training_figure import produce_training_figure
    from simulations.lm.results.training_file import is_training, read_any_table

    # training table files draw the in-context vs training figure (P7); the others the rest
    kinds = [is_training(read_any_table(f)) for f in args.files]
    training = [f for f, t in zip(args.files, kinds) if t]
    tables = [f for f, t in zip(args.files, kinds) if not t]
    only = None if args.only is None else set(args.only)
    want_tables = only is None or bool(only & set(TABLE_FIGURES))
    want_training = only is None or TRAINING_FIGURE in only
    entries = (produce(tables, args.out, only) if tables and want_tables else []) + \
        ([produce_training_figure(training, args.out)] if training and want_training else [])
    for e in entries:
        print(f"{e['id']}: {e['finding']}")
    return 0


def _agreement(args) -> int:
    from simulations.lm.backends.agreement import measure, summary_lines

    record = measure(AgreementConfig(out=args.out, n=args.n, threads=args.threads))
    for line in summary_lines(record):
        print(line, file=sys.stderr)
    return 0


def _fastpath(args) -> int:
    from simulations.lm.backends import fastpath

    print(dumps(fastpath.run(FastpathConfig(model=args.model, n=args.n, threads=args.threads, out=args.out)),
                indent=1))
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
    if cmd == "predictions":
        from simulations.lm.results.predictions import report

        return report(args.files, as_json=args.json)
    commands = {"run": lm_run.run, "diagnose": lm_run.diagnose, "formats": lm_run.formats, "table": lm_tables.table,
                "decide": lm_tables.decide, "recheck": lm_tables.recheck,
                "train-coherence": lm_tables.train_coherence, "figures": _figures,
                "train": _train, "agreement": _agreement, "fastpath": _fastpath}
    if cmd in commands:
        return commands[cmd](args)
    print(f"usage: coherence lm {{{','.join(SUBCOMMANDS)}}} ... (see --help)", file=sys.stderr)
    return 2
