"""``coherence all``: the main job -- every figure, then every claim check, then the claims table.

Writes ``figures/claims.json`` (the ``coherence check --json`` records) and ``figures/claims.md``
(the markdown claims table) next to the figures and their manifest. Exit status 0 exactly when
the figures were all produced and every verdict equals its expectation.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path


def add_arguments(p) -> None:
    p.add_argument("--quick", action="store_true", help="quick mode for figures and checks (minutes on a laptop)")
    p.add_argument("--out", default="figures", help="folder for figures, data, manifest and claims table")
    p.add_argument("--skip-figures", action="store_true", help="only run the checks and write the claims table")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def run(args) -> int:
    from proofs_check.registry import all_checks, run_check
    from proofs_check.runner import format_markdown, format_table

    out = Path(args.out)
    status = 0
    if not args.skip_figures:
        from simulations import figures

        parser = argparse.ArgumentParser(prog="coherence figures")
        figures.add_arguments(parser)
        fig_args = parser.parse_args(["--out", str(out)] + (["--quick"] if args.quick else []))
        print("[all] figures ...", file=sys.stderr, flush=True)
        status |= int(figures.run(fig_args) or 0)
    print("[all] checks ...", file=sys.stderr, flush=True)
    records = []
    checks = all_checks()
    for j, c in enumerate(checks, 1):
        rec = run_check(c, bool(args.quick))
        records.append(rec)
        print(f"[{j}/{len(checks)}] {c.id}: {rec['verdict']} ({rec['seconds']:.1f} s)", file=sys.stderr, flush=True)
    _atomic_write(out / "claims.json", json.dumps(records, indent=1) + "\n")
    _atomic_write(out / "claims.md", format_markdown(records, bool(args.quick)) + "\n")
    print(format_table(records))
    print(f"\nwrote {out / 'claims.json'}, {out / 'claims.md'}" + ("" if args.skip_figures else f", figures in {out}/"))
    if not all(r["verdict"] == r["expected"] for r in records):
        status |= 1
    return status
