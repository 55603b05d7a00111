"""``coherence check``: run every claim and identity check and report verdicts (docs/cli.md).

``--json`` prints one JSON list of records on stdout; ``--markdown`` prints the claims table
for the README; otherwise a readable table. Progress goes to stderr. Exit status 0 exactly when
every verdict equals its expectation, 1 otherwise, 2 for bad usage, 130 when interrupted. With
``--json``, an interrupted run still prints the records it finished (they are kept: a rerun
resumes, :mod:`proofs_check.runner`).
"""
from __future__ import annotations

import json
import sys
import time

from proofs_check import runner
from proofs_check.runner import CheckRunConfig

from .options import add_cache_arguments, tuple_or_none


def add_arguments(parser) -> None:
    parser.add_argument("--quick", action="store_true", default=CheckRunConfig.quick,
                        help="smaller instances and fewer Monte Carlo draws (under 3 minutes on 2 cores)")
    parser.add_argument("--only", nargs="+", metavar="ID", default=CheckRunConfig.only,
                        help="run only these checks: exact ids or prefixes (C5, C5.R9, I.chain)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON list of records (docs/cli.md)")
    out.add_argument("--markdown", action="store_true", help="print the claims table as markdown")
    out.add_argument("--list", action="store_true", help="list the check ids and statements, run nothing")
    add_cache_arguments(parser, CheckRunConfig)


def config_from(args) -> CheckRunConfig:
    return CheckRunConfig(quick=bool(args.quick), only=tuple_or_none(args.only), cache_dir=args.cache_dir,
                          use_cache=args.use_cache)


def print_json(records: list) -> None:
    json.dump(records, sys.stdout, indent=1)
    sys.stdout.write("\n")
    sys.stdout.flush()


def run(args) -> int:
    config = config_from(args)
    checks = runner.selected_checks(config)   # ValueError -> exit 2 via the CLI
    if args.list:
        if checks:
            print(runner.format_list(checks))
        return 0
    folder = runner.checked_cache_folder(config)
    records = []
    t0 = time.perf_counter()
    try:
        runner.run_checks(checks, config.quick, folder, records)
    except KeyboardInterrupt:
        if args.json:       # the finished records are still one valid JSON document
            print_json(records)
        print(f"\ninterrupted after {len(records)}/{len(checks)} checks; they are kept: rerun to resume",
              file=sys.stderr, flush=True)
        raise
    print(f"{len(checks)} checks in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.json:
        print_json(records)
    elif args.markdown:
        print(runner.format_markdown(records, config.quick))
    else:
        print(runner.format_table(records))
    return 0 if runner.as_expected(records) else 1
