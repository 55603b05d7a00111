"""``coherence all``: the main job -- every figure, then every claim check, then the claims table.

Writes ``figures/claims.json`` (the ``coherence check --json`` records) and ``figures/claims.md``
(the markdown claims table) next to the figures and their manifest. Both are rewritten
(atomically) after every check, and every finished check and figure is cached, so an
interrupted run keeps its work and a rerun resumes (docs/reliability.md). Every argument, the
output folder included, is checked before any work starts. Exit status 0 exactly when the
figures were all produced and every verdict equals its expectation.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from proofs_check.registry import all_checks
from proofs_check.runner import checked_cache_folder, format_markdown, format_table, run_checks
from simulations import figures
from simulations.io import atomic_write_json, atomic_write_text, check_writable
from simulations.sweep import add_cache_arguments


def add_arguments(p) -> None:
    p.add_argument("--quick", action="store_true", help="quick mode for figures and checks (minutes on a laptop)")
    p.add_argument("--out", default="figures", help="folder for figures, data, manifest and claims table")
    p.add_argument("--skip-figures", action="store_true", help="only run the checks and write the claims table")
    add_cache_arguments(p)


def figure_args(args) -> argparse.Namespace:
    """The ``coherence figures`` arguments this run passes on."""
    parser = argparse.ArgumentParser(prog="coherence figures")
    figures.add_arguments(parser)
    argv = ["--out", str(args.out)] + (["--quick"] if args.quick else [])
    argv += (["--no-cache"] if args.no_cache else []) + (["--cache-dir", args.cache_dir] if args.cache_dir else [])
    return parser.parse_args(argv)


def write_claims(out: Path, records: list, quick: bool) -> None:
    atomic_write_json(out / "claims.json", records)
    atomic_write_text(out / "claims.md", format_markdown(records, quick) + "\n")


def run(args) -> int:
    out = check_writable(Path(args.out), argument="--out")
    fig_args = figure_args(args)
    if not args.skip_figures:
        figures.validate(fig_args)
    folder = checked_cache_folder(args)
    quick = bool(args.quick)
    status = 0
    if not args.skip_figures:
        print("[all] figures ...", file=sys.stderr, flush=True)
        status |= int(figures.run(fig_args) or 0)
    print("[all] checks ...", file=sys.stderr, flush=True)
    records = run_checks(all_checks(), quick, folder, on_record=lambda recs: write_claims(out, recs, quick))
    print(format_table(records))
    print(f"\nwrote {out / 'claims.json'}, {out / 'claims.md'}" + ("" if args.skip_figures else f", figures in {out}/"))
    if not all(r["verdict"] == r["expected"] for r in records):
        status |= 1
    return status
