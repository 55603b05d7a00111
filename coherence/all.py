"""``coherence all``: the main job -- every figure, then every claim check, then the claims table.

Writes ``figures/claims.json`` (the ``coherence check --json`` records) and ``figures/claims.md``
(the markdown claims table) next to the figures and their manifest. Both are rewritten
(atomically) after every check, and every finished check and figure is cached, so an
interrupted run keeps its work and a rerun resumes (docs/reliability.md). Every argument, the
output folder included, is checked before any work starts. Exit status 0 exactly when the
figures were all produced and every verdict equals its expectation.

The figures run with the defaults of :class:`~simulations.figures.FiguresConfig` and the checks
with those of :class:`~proofs_check.runner.CheckRunConfig`, but for the options below.
"""
from __future__ import annotations

import sys
from pathlib import Path

from proofs_check import runner
from proofs_check.runner import CheckRunConfig
from simulations import figures
from simulations.figures import FiguresConfig
from simulations.io import check_writable

from .options import add_cache_arguments


def add_arguments(p) -> None:
    p.add_argument("--quick", action="store_true", default=FiguresConfig.quick,
                   help="quick mode for figures and checks (minutes on a laptop)")
    p.add_argument("--out", default=FiguresConfig.out, help="folder for figures, data, manifest and claims table")
    p.add_argument("--skip-figures", action="store_true", help="only run the checks and write the claims table")
    add_cache_arguments(p, FiguresConfig)


def figures_config(args) -> FiguresConfig:
    """The figures this run produces: every one, into ``--out``, with the same cache."""
    return FiguresConfig(quick=bool(args.quick), out=str(args.out), cache_dir=args.cache_dir or None,
                         use_cache=args.use_cache)


def checks_config(args) -> CheckRunConfig:
    """The checks this run runs: every one, with the same cache."""
    return CheckRunConfig(quick=bool(args.quick), cache_dir=args.cache_dir, use_cache=args.use_cache)


def run(args) -> int:
    out = check_writable(Path(args.out), argument="--out")
    fig_config, check_config = figures_config(args), checks_config(args)
    if not args.skip_figures:
        figures.validate(fig_config)
    folder = runner.checked_cache_folder(check_config)
    quick = check_config.quick
    status = 0
    if not args.skip_figures:
        print("[all] figures ...", file=sys.stderr, flush=True)
        produced = figures.produce_all(fig_config)
        print(produced.summary())
        status |= produced.status
    print("[all] checks ...", file=sys.stderr, flush=True)
    records = runner.run_checks(runner.selected_checks(check_config), quick, folder,
                                on_record=lambda recs: runner.write_claims(out, recs, quick))
    print(runner.format_table(records))
    print(f"\nwrote {out / 'claims.json'}, {out / 'claims.md'}" + ("" if args.skip_figures else f", figures in {out}/"))
    if not runner.as_expected(records):
        status |= 1
    return status
