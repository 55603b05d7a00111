"""``coherence bench``: speed ratios measured side by side in one process.

Each benchmark is a module in :mod:`coherence.benchmarks` defining ``NAME``, ``WHAT`` and
``run(quick: bool) -> dict`` with keys ``ours`` and ``baseline`` (seconds), ``baseline_is`` and
``params``; this runner adds ``name``, ``what``, ``ratio = baseline / ours`` and ``unit``.
Machines are shared and noisy, so only the ratio of two timings taken in the same run is
meaningful; absolute seconds are reported for context.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time


def discover() -> dict:
    from . import benchmarks

    out = {}
    for info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        mod = importlib.import_module(f"{benchmarks.__name__}.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            out[mod.NAME] = mod
    return out


def best_of(fn, repeat: int = 3) -> float:
    """Minimum wall time of ``repeat`` calls (seconds): the least noisy estimate on a shared box."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def add_arguments(p) -> None:
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    p.add_argument("--json", action="store_true", help="print one JSON list on stdout")
    p.add_argument("--list", action="store_true", help="list benchmark names and exit")


def run(args) -> int:
    registry = discover()
    if args.list:
        for name, mod in registry.items():
            print(f"{name:24s} {mod.WHAT}")
        return 0
    names = args.only or list(registry)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"--only: unknown benchmark(s) {unknown}; accepted: {sorted(registry)}")
    rows = []
    for name in names:
        mod = registry[name]
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        res = mod.run(bool(args.quick))
        row = {"name": name, "what": mod.WHAT, "ours": res["ours"], "baseline": res["baseline"],
               "baseline_is": res["baseline_is"], "ratio": res["baseline"] / res["ours"],
               "unit": res.get("unit", "s"), "params": res.get("params", {})}
        row.update({k: v for k, v in res.items() if k not in row})
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2, default=float))
    else:
        print(f"{'name':24s} {'ours':>10s} {'baseline':>10s} {'ratio':>9s}  baseline is")
        for r in rows:
            print(f"{r['name']:24s} {r['ours']:10.4g} {r['baseline']:10.4g} {r['ratio']:9.1f}  {r['baseline_is']}")
    return 0
