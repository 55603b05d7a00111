"""Running the claim and identity checks (``coherence check``, ``coherence all``; docs/cli.md):
selection, the resumable record cache, and the table, markdown and claims-file formats.

What a run does is a :class:`CheckRunConfig`; the command line (:mod:`coherence.check`) builds one
and prints what :func:`run_checks` returns. Progress goes to stderr.

Resume: every finished record is written at once, atomically, one file per check id, to
``<cache root>/checks/<fingerprint>-<quick|full>/<id>.json`` (the cache root of
:func:`simulations.io.cache_root`; the fingerprint hashes the sources of :mod:`theory`,
:mod:`simulations` and :mod:`proofs_check`, so a record of other code is never reused; the checks
fix their own seeds, so mode and code determine a record). A rerun after Ctrl-C or ``kill``
reads the finished records and runs only the rest. A check that raised (verdict ``error``) is
not stored. A stored record carries the SHA-256 of its content and is checked on read
(:func:`record_schema`): one that is damaged, edited (a hand-changed verdict), or of the wrong
shape is run again, with one warning line on stderr.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from simulations.io import atomic_write_json, atomic_write_text, cache_root, check_writable, dumps
from simulations.stored import (anything, non_negative, nullable, number, obj, one_of, read_cache_entry, string,
                                write_cache_entry)
from simulations.sweep import code_fingerprint

from .catalogue import all_checks
from .registry import run_check, select
from .verdicts import VERDICTS

#: the packages whose sources key the check cache
FINGERPRINTED = ("theory", "simulations", "proofs_check")


@dataclass(frozen=True)
class CheckRunConfig:
    """A run of the checks; every default of ``coherence check`` is defined here, once."""

    #: smaller instances and fewer Monte Carlo draws
    quick: bool = False
    #: exact check ids or prefixes (``C5``, ``C5.R9``, ``I.chain``); None: every check
    only: tuple[str, ...] | None = None
    #: the cache root (:func:`simulations.io.cache_root`); None: the default root
    cache_dir: str | None = None
    #: reuse and store finished records
    use_cache: bool = True


def cache_folder(root, quick: bool) -> Path:
    """Where finished records of this code and mode are kept (see the module docstring)."""
    return cache_root(root) / "checks" / f"{code_fingerprint(FINGERPRINTED)}-{'quick' if quick else 'full'}"


def checked_cache_folder(config: CheckRunConfig):
    """:func:`cache_folder` of ``config`` (its cache root and mode), checked writable before any
    check runs; None when the cache is not used."""
    if not config.use_cache:
        return None
    folder = cache_folder(config.cache_dir, bool(config.quick))
    check_writable(folder, argument="--cache-dir")
    return folder


def selected_checks(config: CheckRunConfig) -> list:
    """The registered checks ``config.only`` selects (all of them when None); raises
    ``ValueError`` naming ``--only`` for an empty or unmatched pattern."""
    return select(all_checks(), None if config.only is None else list(config.only))


def as_expected(records: list) -> bool:
    """Whether every verdict equals its expectation."""
    return all(r["verdict"] == r["expected"] for r in records)


def record_schema(check):
    """Validator of the stored record of ``check`` (docs/cli.md): its ``id``, ``claim`` and
    ``expected`` those of the registered check, a ``verdict`` among :data:`VERDICTS` (a check
    that raised is never stored), ``seconds`` a number >= 0, and the other fields typed."""
    return obj({"id": one_of(check.id), "claim": one_of(check.claim), "statement": string,
                "expected": one_of(check.expected), "verdict": one_of(*VERDICTS), "measured": anything,
                "tolerance": nullable(number), "conditions": nullable(string),
                "counterexample": nullable(obj()), "seconds": non_negative, "module": string})


def load_record(folder, check):
    """The stored record of ``check`` (a registered :class:`~proofs_check.registry.Check`), or
    None: missing, or invalid (unreadable, wrong shape, checksum mismatch) with one warning
    line on stderr, so that the check runs again."""
    if folder is None:
        return None
    return read_cache_entry(Path(folder) / f"{check.id}.json", record_schema(check), kind="check record")


def run_checks(checks, quick: bool, folder=None, records=None, on_record=None) -> list:
    """Run ``checks`` in order, reusing the records stored in ``folder`` and storing each new one
    as soon as it finishes. ``records`` (a list, appended to) holds the finished records even when
    a ``KeyboardInterrupt`` escapes; ``on_record(records)`` is called after each."""
    records = [] if records is None else records
    for j, c in enumerate(checks, 1):
        rec = load_record(folder, c)     # before the progress line: a warning gets a line of its own
        print(f"[{j}/{len(checks)}] {c.id} ...", end="", file=sys.stderr, flush=True)
        cached = rec is not None
        if rec is None:
            # round-trip through strict JSON so a fresh record equals what a resumed run reads
            rec = json.loads(dumps(run_check(c, bool(quick))))
            if folder is not None and rec["verdict"] != "error":
                rec = write_cache_entry(Path(folder) / f"{c.id}.json", rec, indent=1)
        records.append(rec)
        if on_record is not None:
            on_record(records)
        mark = "" if rec["verdict"] == rec["expected"] else "  <-- unexpected"
        print(f" {rec['verdict']} ({rec['seconds']:.1f} s{', cached' if cached else ''}){mark}",
              file=sys.stderr, flush=True)
    return records


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


def format_list(checks) -> str:
    """One line per check: id, expected verdict and statement (``coherence check --list``)."""
    return "\n".join(f"{c.id:<44} [{c.expected}] {c.statement}" for c in checks)


def write_claims(out: Path, records: list, quick: bool) -> None:
    """``out/claims.json`` (the records) and ``out/claims.md`` (the markdown claims table), atomically."""
    atomic_write_json(Path(out) / "claims.json", records)
    atomic_write_text(Path(out) / "claims.md", format_markdown(records, quick) + "\n")
