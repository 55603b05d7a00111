"""The benchmark runner: finds the benchmarks, runs those a :class:`BenchConfig` selects and builds
their rows (``coherence bench``; the command line is :mod:`coherence.bench`).

Each benchmark is a module in :mod:`coherence.benchmarks` (timing helpers: :mod:`coherence.benchmarks.timing`),
listed in :data:`BENCHMARKS` (adding a benchmark is one module and one line there), and
defining ``NAME``, ``WHAT``, ``EXTRA`` (the pip extra that installs what it imports, or ``None``),
``REQUIRES`` (the importable modules it needs) and ``run(quick: bool) -> dict`` with keys ``ours`` and ``baseline``
(seconds), ``baseline_is`` and ``params``. This runner adds ``name``, ``what``,
``ratio = baseline / ours`` and ``unit``. A module may also define ``report(row) -> str``:
text printed under the table (without ``--json``) for what one ratio cannot show.

* A **peer** row (a library that is not ours) also carries ``peer`` (library and version),
  ``config`` (the peer configuration timed as ``baseline``), ``peer_best_config`` (the fastest
  of the configurations swept, the others with their times in ``params["configs"]``) and
  ``agreement`` (max abs difference of the two answers). ``config`` is the best one, so the ratio
  is against the peer at its best.
* A row with ``ratio < 1`` carries ``why``.
* A baseline timed on a subset and scaled says so in ``extrapolated`` (``None`` when timed in full).
* Where the baseline is a naive loop, the row also carries ``reference`` (seconds),
  ``reference_is`` and ``ratio_vs_reference``: a vectorised numpy version written the way a
  competent user would, timed in full unless ``reference_extrapolated`` says otherwise.

Machines are shared and noisy, so only the ratio of two timings taken in the same run is
meaningful; absolute seconds are reported for context. A benchmark whose extra is not installed
is skipped with a one-line note on stderr; asking for it by name (``--only``) is an error
naming the extra (exit 2).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.util import find_spec

# the module ``enumerate`` is aliased so that it does not shadow the builtin here
from . import (coder_constriction, dm_scipy, gibbs_updates, icm_incremental, joint_pgmpy, kriging_sklearn,
               lm_forward, lm_icm_step, lm_rows, loo_pgmpy, self_training_sklearn)
from . import enumerate as enumerate_bench

PEER_KEYS = ("peer", "config", "peer_best_config", "agreement")

#: every benchmark module, in ``NAME`` order (the one registry line of a benchmark); importing
#: them needs no extra: what an extra installs is imported inside their functions
BENCHMARKS = (coder_constriction, dm_scipy, enumerate_bench, gibbs_updates, icm_incremental, joint_pgmpy,
              kriging_sklearn, lm_forward, lm_icm_step, lm_rows, loo_pgmpy, self_training_sklearn)


@dataclass(frozen=True)
class BenchConfig:
    """A run of the benchmarks; every default of ``coherence bench`` is defined here, once
    (``--scaling``'s own settings: :class:`coherence.benchmarks.scaling.ScalingConfig`)."""

    #: smaller sizes, fewer repeats
    quick: bool = False
    #: benchmark names; None: every benchmark whose extra is installed
    only: tuple[str, ...] | None = None
    #: BLAS/OpenMP threads for every benchmark, ours and peers alike
    threads: int = 1


def discover() -> dict:
    """``NAME -> module`` for every benchmark in :data:`BENCHMARKS` (whether or not its extra is
    installed), sorted by name."""
    return {mod.NAME: mod for mod in sorted(BENCHMARKS, key=lambda m: m.NAME)}


def missing_modules(mod) -> list:
    """The modules in ``mod.REQUIRES`` that cannot be imported here."""
    return [m for m in getattr(mod, "REQUIRES", ()) if find_spec(m) is None]


def install_hint(mod) -> str:
    extra = getattr(mod, "EXTRA", None)
    missing = ", ".join(missing_modules(mod))
    if extra is None:
        return f"missing module(s) {missing}"
    return f"needs the [{extra}] extra: pip install 'coherence-toolkit[{extra}]' (missing: {missing})"


def format_list(registry: dict) -> str:
    """One line per benchmark: name, what it times, and why it would be skipped here."""
    lines = []
    for name, mod in registry.items():
        note = "" if not missing_modules(mod) else f"  [skipped here: {install_hint(mod)}]"
        lines.append(f"{name:24s} {mod.WHAT}{note}")
    return "\n".join(lines)


def make_row(name: str, mod, res: dict) -> dict:
    """The runner's row for one benchmark result; checks the row contract (module docstring)."""
    row = {"name": name, "what": mod.WHAT, "ours": res["ours"], "baseline": res["baseline"],
           "baseline_is": res["baseline_is"], "ratio": res["baseline"] / res["ours"],
           "unit": res.get("unit", "s"), "extrapolated": res.get("extrapolated"), "params": res.get("params", {})}
    if "reference" in res:
        row["ratio_vs_reference"] = res["reference"] / res["ours"]
        row.setdefault("reference_extrapolated", res.get("reference_extrapolated"))
    row.update({k: v for k, v in res.items() if k not in row})
    if "peer" in row:
        absent = [k for k in PEER_KEYS if k not in row]
        if absent:
            raise RuntimeError(f"benchmark {name}: peer row lacks {absent}")
    if min(row["ratio"], row.get("ratio_vs_reference", 1.0)) < 1 and not row.get("why"):
        raise RuntimeError(f"benchmark {name}: a ratio < 1 needs a 'why'")
    return row


def thread_limit(threads: int):
    """A context limiting BLAS/OpenMP pools to ``threads`` (threadpoolctl, installed with the
    [peers] extra); without threadpoolctl, a note and no limit."""
    import contextlib

    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"--threads: accepted range is an integer >= 1, got {threads!r}")
    if find_spec("threadpoolctl") is None:
        print("[bench] threadpoolctl not installed: BLAS thread count not limited", file=sys.stderr)
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


def run_benchmarks(config: BenchConfig, registry: dict | None = None) -> list:
    """The rows of the benchmarks ``config`` selects from ``registry`` (default :func:`discover`),
    in name order. Raises ``ValueError`` naming ``--only`` for an unknown benchmark or one whose
    extra is missing; without ``only`` such a benchmark is skipped with a note on stderr."""
    registry = discover() if registry is None else registry
    names = list(config.only) if config.only else list(registry)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"--only: unknown benchmark(s) {unknown}; accepted: {sorted(registry)}")
    if config.only:
        for n in names:
            if missing_modules(registry[n]):
                raise ValueError(f"--only: benchmark {n} {install_hint(registry[n])}")
    rows = []
    with thread_limit(config.threads):
        for name in names:
            mod = registry[name]
            if missing_modules(mod):
                print(f"[bench] skip {name}: {install_hint(mod)}", file=sys.stderr, flush=True)
                continue
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            row = make_row(name, mod, mod.run(bool(config.quick)))
            row["blas_threads"] = config.threads
            rows.append(row)
    return rows


def format_rows(rows: list, registry: dict) -> str:
    """The readable table, then what each benchmark's ``report(row)`` adds under it."""
    lines = [f"{'name':24s} {'ours':>10s} {'baseline':>10s} {'ratio':>9s}  baseline is"]
    for r in rows:
        lines.append(f"{r['name']:24s} {r['ours']:10.4g} {r['baseline']:10.4g} {r['ratio']:9.3g}  {r['baseline_is']}")
    for r in rows:
        detail = getattr(registry[r["name"]], "report", None)
        if detail is not None:
            lines.append(f"\n{r['name']}:\n{detail(r)}")
    return "\n".join(lines)
