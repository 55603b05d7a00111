"""``coherence check``: run every claim and identity check and report verdicts (docs/cli.md).

``--json`` prints one JSON list of records on stdout; ``--markdown`` prints the claims table
for the README; otherwise a readable table. Progress goes to stderr. Exit status 0 exactly when
every verdict equals its expectation, 1 otherwise, 2 for bad usage.
"""
from __future__ import annotations

import json
import sys
import time

from .registry import all_checks, run_check, select


def add_arguments(parser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="smaller instances and fewer Monte Carlo draws (under 3 minutes on 2 cores)")
    parser.add_argument("--only", nargs="+", metavar="ID",
                        help="run only these checks: exact ids or prefixes (C5, C5.R9, I.chain)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON list of records (docs/cli.md)")
    out.add_argument("--markdown", action="store_true", help="print the claims table as markdown")
    out.add_argument("--list", action="store_true", help="list the check ids and statements, run nothing")


def _short(x, width: int = 60) -> str:
    s = json.dumps(x, separators=(",", ":")) if not isinstance(x, str) else x
    return s if len(s) <= width else s[: width - 3] + "..."


def format_table(records: list[dict]) -> str:
    """A plain-text table: one line per check, then the statement and measurement indented."""
    lines = []
    w = max([len(r["id"]) for r in records] + [2])
    lines.append(f"{'id':<{w}}  {'expected':<22} {'verdict':<22} {'ok':<3} {'s':>7}")
    lines.append("-" * (w + 60))
    for r in records:
        ok = "ok" if r["verdict"] == r["expected"] else "NO"
        lines.append(f"{r['id']:<{w}}  {r['expected']:<22} {r['verdict']:<22} {ok:<3} {r['seconds']:>7.2f}")
        lines.append(f"{'':<{w}}    {r['statement']}")
        lines.append(f"{'':<{w}}    measured: {_short(r['measured'], 110)}")
        if r.get("counterexample") is not None:
            lines.append(f"{'':<{w}}    counterexample: {_short(r['counterexample'], 104)}")
    bad = [r["id"] for r in records if r["verdict"] != r["expected"]]
    total = sum(r["seconds"] for r in records)
    lines.append("-" * (w + 60))
    lines.append(f"{len(records) - len(bad)}/{len(records)} checks as expected in {total:.1f} s"
                 + (f"; unexpected: {', '.join(bad)}" if bad else ""))
    return "\n".join(lines)


def _md(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def format_markdown(records: list[dict], quick: bool = True) -> str:
    """The README claims table: verdicts, conditions and the command reproducing each check."""
    flag = " --quick" if quick else ""
    lines = ["| check | statement | expected | verdict | conditions | reproduce |",
             "|---|---|---|---|---|---|"]
    for r in records:
        verdict = r["verdict"] if r["verdict"] == r["expected"] else f"**{r['verdict']}** (unexpected)"
        cond = r["conditions"] or ""
        if r.get("counterexample") is not None:
            cond += (" " if cond else "") + "Counterexample in `--json`."
        lines.append(f"| `{r['id']}` | {_md(r['statement'])} | {r['expected']} | {verdict} | {_md(cond)} "
                     f"| `coherence check{flag} --only {r['id']}` |")
    return "\n".join(lines)


def run(args) -> int:
    checks = select(all_checks(), args.only)   # ValueError -> exit 2 via the CLI
    if args.list:
        for c in checks:
            print(f"{c.id:<44} [{c.expected}] {c.statement}")
        return 0
    records = []
    t0 = time.perf_counter()
    for j, c in enumerate(checks, 1):
        print(f"[{j}/{len(checks)}] {c.id} ...", end="", file=sys.stderr, flush=True)
        rec = run_check(c, bool(args.quick))
        records.append(rec)
        mark = "" if rec["verdict"] == rec["expected"] else "  <-- unexpected"
        print(f" {rec['verdict']} ({rec['seconds']:.1f} s){mark}", file=sys.stderr, flush=True)
    print(f"{len(checks)} checks in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.json:
        json.dump(records, sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif args.markdown:
        print(format_markdown(records, bool(args.quick)))
    else:
        print(format_table(records))
    return 0 if all(r["verdict"] == r["expected"] for r in records) else 1
