"""Options and checks the ``coherence lm`` subcommands share (:mod:`coherence.lm`).

Every default is read from the configuration the option fills: the model options from
:class:`~simulations.lm.backends.where.ModelConfig` (a served option's from
:func:`~simulations.lm.backends.where.open_served`), the task from
:class:`~simulations.lm.tasks.registry.TaskChoice`, the search settings from the subcommand's own
configuration (:class:`~simulations.lm.results.single_run.RunConfig`,
:class:`~simulations.lm.results.diagnose.DiagnoseConfig`,
:class:`~simulations.lm.results.table.TableConfig`). The checks refuse a bad value by its flag,
before any model loads.
"""
from __future__ import annotations

from simulations.io import CACHE_DIR_HELP
from simulations.lm.backends.where import ModelConfig, open_configured, served_default
from simulations.lm.tasks.registry import NAMED_N, TaskChoice

M = ModelConfig


def add_model_arguments(p) -> None:
    """``--model``, ``--device``, ``--dtype``, ``--threads``, ``--json``, ``--cache-dir`` and the
    served-model options."""
    p.add_argument("--model", default=M.model,
                   help="smollm2 | gemma3-270m | tiny-random | local model dir | .gguf file "
                        "| openai:URL[#MODEL] (a server)")
    p.add_argument("--device", default=M.device, help="auto (cuda, then cpu) | cpu | cuda | cuda:N")
    p.add_argument("--dtype", default=M.dtype, choices=("auto", "float32", "bfloat16", "float16", "float64"),
                   help="floating-point type of a local model's weights and activations: auto (default: float32 on "
                        "CUDA; on a CPU bfloat16 when it advertises bf16 units and a one-time micro-benchmark finds "
                        "it faster, else float32; cached per machine and model, stated on stderr) or a forced type")
    p.add_argument("--threads", type=int, default=M.threads,
                   help="CPU threads (default: the cores left idle by the load average, at least 1)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    add_served_arguments(p)


def add_served_arguments(p) -> None:
    """``--cache-dir`` (the cache root, as on every command) and the options of served models;
    each unset one is ``None``, meaning :func:`~simulations.lm.backends.where.open_served`'s default."""
    p.add_argument("--cache-dir", default=M.cache_dir, metavar="DIR",
                   help=CACHE_DIR_HELP + " (here: lm-tables/, responses/ and GGUF conversions)")
    g = p.add_argument_group("served models (--model openai:URL[#MODEL]; docs/serving.md)")
    g.add_argument("--response-cache", default=M.response_cache, metavar="DIR",
                   help="keep the server's responses in DIR (default: responses/ under the cache root)")
    g.add_argument("--no-response-cache", dest="use_cache", action="store_false", default=M.use_cache,
                   help="keep responses in memory only")
    g.add_argument("--top-logprobs", type=int, default=M.top_logprobs,
                   help=f"top-K next-token logprobs to ask for (default {served_default('top_logprobs')})")
    g.add_argument("--max-workers", type=int, default=M.max_workers,
                   help=f"requests in flight, in [1, 1024] (default {served_default('max_workers')})")
    g.add_argument("--timeout", type=float, default=M.timeout,
                   help=f"seconds per request, in (0, 86400] (default {served_default('timeout'):g})")
    g.add_argument("--retries", type=int, default=M.retries,
                   help=f"retries on 429/5xx/timeouts, in [0, 100] (default {served_default('retries')})")
    g.add_argument("--echo", choices=["auto", "off"], default=M.echo,
                   help="score an order in one request when the server's prompt logprobs verify "
                        f"(default {served_default('echo')})")


def model_config(args) -> ModelConfig:
    return ModelConfig(model=args.model, device=args.device, dtype=args.dtype, threads=args.threads,
                       cache_dir=args.cache_dir, response_cache=args.response_cache, use_cache=args.use_cache,
                       top_logprobs=args.top_logprobs, max_workers=args.max_workers, timeout=args.timeout,
                       retries=args.retries, echo=args.echo)


def load_model(args):
    """The model the parsed model options name (:func:`~simulations.lm.backends.where.open_configured`)."""
    return open_configured(model_config(args))


def add_task_arguments(p) -> None:
    """``--task``, ``-n``, ``--format``, ``--template``, ``--label-words``, ``--subset``, ``--eval-ids``."""
    T = TaskChoice
    p.add_argument("--task", default=T.task, help="see `coherence lm tasks`")
    p.add_argument("-n", type=int, default=T.n, help=f"items per task (default {NAMED_N}; a whole JSONL file)")
    p.add_argument("--format", default=T.format,
                   help="prompt format of the task's family (see `coherence lm formats`); 'auto' = the best zero-shot "
                        "AUC on the dev split; default: the family's first format")
    p.add_argument("--template", default=T.template, help="custom template with {choice} (and optionally {question})")
    p.add_argument("--label-words", nargs=2, default=T.label_words, metavar=("WORD0", "WORD1"),
                   help="custom label words (label 0 first), each one token after a space")
    p.add_argument("--subset", type=int, default=T.subset, metavar="N",
                   help="a task file: N items of whole consistency groups drawn with --seed, balanced by label "
                        "where the data allows")
    p.add_argument("--eval-ids", default=T.eval_ids, metavar="FILE",
                   help="a task file: keep the consistency ids listed in FILE (a JSON list, or an object with "
                        "'consistency_ids', as LLG's eval_sets)")


def task_choice(args) -> TaskChoice:
    return TaskChoice(task=args.task, n=args.n, seed=getattr(args, "seed", TaskChoice.seed), format=args.format,
                      template=args.template, label_words=None if args.label_words is None else tuple(args.label_words),
                      subset=args.subset, eval_ids=args.eval_ids)


def add_search_arguments(p, D, shots: int | None = None) -> None:
    """The search settings, their defaults those of the configuration class ``D`` (``shots``:
    the default of ``--shots`` when ``D`` has none)."""
    from simulations.lm.tasks.constraint_choice import CHOICES

    p.add_argument("--constraint", default=D.constraint, metavar="{" + ",".join(CHOICES) + "}",
                   help="labellings the searches may end on: auto (the task's own) | none | free-groups (as none) | "
                        "balance (half the items true) | groups or exactly-one (exactly one true per consistency_id) | "
                        "at-most-one (at most one per id) | mirror-pairs (the two items of an id take opposite labels) "
                        "| same-answer:FIELD (one label per value of FIELD in an id, different values not both true)")
    p.add_argument("--chunk", type=int, default=D.chunk,
                   help="items per context pass in the chunked searches (1 = exact LOO)")
    p.add_argument("--sweeps", type=int, default=D.sweeps, help="sweeps of the chunked searches")
    p.add_argument("--shots", type=int, default=D.shots if shots is None else shots,
                   help="demonstrations for the few-shot baselines (0 = all others)")
    p.add_argument("--checks", type=int, default=D.checks,
                   help="moves checked per step of the certified ascent's polish and of the climb from gold")
    p.add_argument("--polish-orders", type=int, default=D.polish_orders,
                   help="orders of the certified ascent's final selection and polish, and of the climb from gold")
    p.add_argument("--confirm-orders", type=int, default=D.confirm_orders,
                   help="fresh orders on which each move of the polish and of the climb from gold is confirmed "
                        "(0 = none; else >= 2)")
    p.add_argument("--fresh-orders", type=int, default=D.fresh_orders,
                   help="most fresh orders the fresh check after the polish and the climb from gold screens a move "
                        "on (0 = no fresh check; else a power of two >= 4)")


def add_coh_argument(p, default: int) -> None:
    p.add_argument("--coh-orders", type=int, default=default,
                   help="held-out evaluation orders of every reported Coh (its standard error needs >= 2)")


def check_numbers(args) -> None:
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
    confirm = getattr(args, "confirm_orders", None)
    if confirm is not None and (confirm < 0 or confirm == 1):  # a paired standard error needs two orders
        raise ValueError(f"--confirm-orders must be 0 (no confirmation) or an integer >= 2, got {confirm}")
    fresh = getattr(args, "fresh_orders", None)
    if fresh is not None:
        from simulations.lm.searches.fresh_check import check_fresh_orders

        try:
            check_fresh_orders(fresh)
        except ValueError as e:
            raise ValueError(f"--{e}".replace("--fresh orders", "--fresh-orders", 1)) from None
    budget = getattr(args, "budget_s", None)
    if budget is not None and not budget >= 0:  # also refuses nan
        raise ValueError(f"--budget-s must be a number of seconds >= 0, got {budget}")
    for v in getattr(args, "seeds", None) or ():
        if v < 0:
            raise ValueError(f"--seeds must be integers >= 0, got {v}")


def check_name(arg: str, value: str, allowed) -> None:
    if value not in allowed and not (arg == "--task" and value.startswith(("jsonl:", "icm:"))):
        raise ValueError(f"{arg} must be one of {sorted(allowed)}, got {value!r}")


def debate_config(settings: dict, flags: dict):
    """The :class:`~simulations.lm.searches.debate.DebateConfig` of ``settings``, a bad value
    refused by its flag (``flags``: field -> flag) before any model loads."""
    from simulations.lm.searches.debate import DebateConfig

    try:
        return DebateConfig(**settings)
    except ValueError as exc:
        field = str(exc).split(" ", 1)[0]
        raise ValueError(f"{flags.get(field, field)} {str(exc).split(' ', 1)[1]}") from None
