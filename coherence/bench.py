"""``coherence bench``: speed ratios measured side by side in one process
(:mod:`coherence.benchmarks.runner`; ``--scaling``: :mod:`coherence.benchmarks.scaling`).

``--json`` prints one JSON list of rows on stdout (docs/cli.md); otherwise a table, and under it
what a benchmark's own report adds. Progress and skip notes go to stderr. Asking by name
(``--only``) for an unknown benchmark, or one whose extra is not installed, exits 2.
"""
from __future__ import annotations

from simulations.io import dumps

from .benchmarks import runner, scaling
from .benchmarks.runner import BenchConfig
from .benchmarks.scaling import ScalingConfig
from .options import tuple_or_none


def add_arguments(p) -> None:
    p.add_argument("--quick", action="store_true", default=BenchConfig.quick, help="smaller sizes, fewer repeats")
    p.add_argument("--only", nargs="+", metavar="NAME", default=BenchConfig.only, help="run only these benchmarks")
    p.add_argument("--json", action="store_true", help="print one JSON list on stdout")
    p.add_argument("--list", action="store_true", help="list benchmark names and exit")
    p.add_argument("--threads", type=int, default=BenchConfig.threads, metavar="N",
                   help=f"BLAS/OpenMP threads for every benchmark, ours and peers alike (default "
                        f"{BenchConfig.threads}: on a shared machine multi-threaded BLAS timings are dominated by "
                        f"contention); needs threadpoolctl")
    p.add_argument("--scaling", action="store_true",
                   help="time against n for the main fast paths and their baselines; write the log-log "
                        "figure (bench-scaling.png/.pdf) and its data (data/bench-scaling.json) under --out")
    p.add_argument("--out", default=ScalingConfig.out, metavar="DIR",
                   help=f"folder for --scaling output (default: {ScalingConfig.out})")


def config_from(args) -> BenchConfig:
    return BenchConfig(quick=bool(args.quick), only=tuple_or_none(args.only), threads=args.threads)


def run(args) -> int:
    config = config_from(args)
    registry = runner.discover()
    if args.list:
        if registry:
            print(runner.format_list(registry))
        return 0
    if args.scaling:
        with runner.thread_limit(config.threads):
            return scaling.run(ScalingConfig(quick=config.quick, out=args.out, threads=config.threads))
    rows = runner.run_benchmarks(config, registry)
    print(dumps(rows, indent=2) if args.json else runner.format_rows(rows, registry))
    return 0
