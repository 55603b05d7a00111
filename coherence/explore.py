"""``coherence explore REGIME [--set NAME=VALUE ...] [--json]``: run one failure regime at chosen
parameters and print, for each parameter value, every method's accuracy with its 95% interval
across seeds, the per-instance measurements, and the closed-form predictions
(:func:`simulations.explore.explore`; docs/cli.md).

Bad input is one line naming the parameter and its accepted range, exit status 2.
"""
from __future__ import annotations

from simulations import explore_params
from simulations.explore import ExploreConfig, explore

from .options import add_cache_arguments

D = ExploreConfig


def help_epilog() -> str:
    """The regimes and their parameters, shown under ``coherence explore --help``."""
    return explore_params.help_epilog()


def add_arguments(p) -> None:
    p.add_argument("regime", metavar="REGIME", help="regime or figure id, e.g. R5 or R5-compressibility-bias "
                                                    "(the list and each one's parameters are below)")
    p.add_argument("--set", dest="sets", action="append", default=list(D.sets), metavar="NAME=VALUE",
                   help="override a parameter (repeatable); x=V runs the single value V; seeds=N uses N seeds")
    p.add_argument("--full", action="store_true", default=D.full,
                   help="start from the full (not quick) parameters")
    p.add_argument("--jobs", type=int, default=D.jobs, help=f"parallel workers (-1 = all cores; default {D.jobs})")
    add_cache_arguments(p, D)
    p.add_argument("--json", action="store_true", help="print one JSON document (the summarised data)")


def config_from(args) -> ExploreConfig:
    return ExploreConfig(regime=args.regime, sets=tuple(args.sets), full=bool(args.full), jobs=args.jobs,
                         cache_dir=args.cache_dir, use_cache=args.use_cache)


def run(args) -> int:
    result = explore(config_from(args))
    print(result.as_json() if args.json else result.table())
    return 0
