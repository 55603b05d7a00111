"""``coherence figures [--quick] [--only ID ...] [--out DIR]``: regenerate every figure, its data
file and ``manifest.json`` (:func:`simulations.figures.produce_all`; docs/cli.md).

Every argument is checked before any work starts: a bad one is a one-line error and exit status 2.
Exit status 1 when a figure failed (the others are still produced).
"""
from __future__ import annotations

from simulations.figures import MAX_SEED, FiguresConfig, figure_list, produce_all
from simulations.sweep import BACKENDS

from .options import add_cache_arguments, tuple_or_none

D = FiguresConfig


def add_arguments(p) -> None:
    p.add_argument("--quick", action="store_true", default=D.quick,
                   help="small grids and few seeds (minutes on 2 cores)")
    p.add_argument("--only", nargs="+", metavar="ID", default=D.only,
                   help="figure ids (or unique prefixes such as R5) to regenerate; see --list")
    p.add_argument("--out", default=D.out, help=f"output folder (default: {D.out})")
    p.add_argument("--list", action="store_true", help="list the figure ids and exit")
    p.add_argument("--jobs", type=int, default=D.jobs, help=f"parallel workers (-1 = all cores; default {D.jobs})")
    p.add_argument("--backend", choices=BACKENDS, default=D.backend, help=f"joblib backend (default {D.backend})")
    p.add_argument("--scheduler", default=D.scheduler, metavar="ADDRESS",
                   help="dask scheduler address for --backend dask (default: a local cluster)")
    add_cache_arguments(p, D)
    p.add_argument("--seed", type=int, default=D.seed,
                   help=f"base seed of every experiment, 0..{MAX_SEED} (default {D.seed})")
    p.add_argument("--readme", default=D.readme, metavar="FILE",
                   help="also write a markdown section showing every figure of the manifest with its finding")


def config_from(args) -> FiguresConfig:
    return FiguresConfig(quick=bool(args.quick), only=tuple_or_none(args.only), out=args.out, jobs=args.jobs,
                         backend=args.backend, scheduler=args.scheduler, cache_dir=args.cache_dir,
                         use_cache=args.use_cache, seed=args.seed, readme=args.readme)


def run(args) -> int:
    if args.list:
        print(figure_list())
        return 0
    result = produce_all(config_from(args))
    print(result.summary())
    return result.status
