"""``coherence explore REGIME [--set NAME=VALUE ...] [--json]``: run one failure regime at chosen
parameters and print, for each parameter value, every method's accuracy with its 95% interval
across seeds, the per-instance measurements, and the closed-form predictions.

``REGIME`` is a figure id or its tag (``R5``, ``C2``, ...; see ``coherence figures --list``).
``--set`` overrides one entry of the experiment's parameters (the quick defaults): numbers,
comma-separated lists (``xs=0.1,0.2``), or ``x=VALUE`` as a shorthand for a single ``xs``.
"""
from __future__ import annotations

import json
import sys

from .sweep import code_fingerprint, sweep


def add_arguments(p) -> None:
    p.add_argument("regime", metavar="REGIME", help="regime or figure id, e.g. R5 or R5-compressibility-bias")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="override a parameter (repeatable); x=V runs the single value V; seeds=N uses N seeds")
    p.add_argument("--full", action="store_true", help="start from the full (not quick) parameters")
    p.add_argument("--jobs", type=int, default=2, help="parallel workers (default 2)")
    p.add_argument("--no-cache", action="store_true", help="recompute instead of reading the sweep cache")
    p.add_argument("--json", action="store_true", help="print one JSON document (the summarised data)")


def _coerce(name: str, text: str, default):
    def one(t, d):
        if isinstance(d, bool):
            return t.lower() in ("1", "true", "yes")
        if isinstance(d, int) and not isinstance(d, bool):
            return int(float(t))
        if isinstance(d, float) or d is None:
            return float(t)
        return t
    if isinstance(default, list):
        d0 = default[0] if default else 0.0
        return [one(t, d0) for t in text.split(",") if t]
    try:
        return one(text, default)
    except ValueError as exc:
        raise ValueError(f"--set {name}={text}: expected a {type(default).__name__}") from exc


def apply_sets(params: dict, sets: list) -> dict:
    """``params`` updated by ``NAME=VALUE`` strings (types follow the defaults)."""
    out = dict(params)
    for s in sets:
        if "=" not in s:
            raise ValueError(f"--set expects NAME=VALUE, got {s!r}")
        name, value = s.split("=", 1)
        if name == "x":
            out["xs"] = _coerce("xs", value, out.get("xs", [0.0]))
            continue
        if name == "seeds" and "," not in value:
            out["seeds"] = list(range(int(value)))
            continue
        if name not in out:
            raise ValueError(f"--set {name}: unknown parameter; accepted: {', '.join(sorted(out))} (and x)")
        out[name] = _coerce(name, value, out[name])
    return out


def _table(exp, data) -> str:
    lines = [f"{exp.id}: {exp.title}", f"prediction: {exp.prediction}"]
    if "accuracy" in data:
        for b in data.get("boundaries", []):
            lines.append(f"closed-form boundary: {b['label']} at x = {b['x']:.4g}")
        from .experiments.style import LABELS

        methods = [m for m in LABELS if m in data["accuracy"]]
        meas = list(data.get("measures", {}))
        head = f"{'x':>8}  " + "  ".join(f"{m:>17}" for m in methods + meas)
        lines += ["", "mean [95% CI] across seeds", head, "-" * len(head)]
        for j, x in enumerate(data["x"]):
            cells = []
            for m in methods:
                r = data["accuracy"][m][j]
                cells.append("n/a" if r["mean"] is None else f"{r['mean']:.3f} [{r['lo']:.2f},{r['hi']:.2f}]")
            for m in meas:
                r = data["measures"][m][j]
                cells.append("n/a" if r["mean"] is None else f"{r['mean']:.4g}")
            lines.append(f"{x:>8.4g}  " + "  ".join(f"{c:>17}" for c in cells))
    elif "grid" in data:
        for name, Z in data["grid"].items():
            lines += ["", f"{name} (rows: y, columns: x; mean over seeds)",
                      "y \\ x".rjust(8) + "  " + " ".join(f"{x:>7.4g}" for x in data["x"])]
            for y, row in zip(data["y"], Z):
                lines.append(f"{y:>8.4g}  " + " ".join("    n/a" if v is None else f"{v:>7.3f}" for v in row))
    else:
        for key, value in data.items():
            if isinstance(value, dict):
                lines.append(f"{key}: " + json.dumps(value, sort_keys=True)[:600])
            elif isinstance(value, list) and len(value) <= 20 and not any(isinstance(v, list) for v in value):
                lines.append(f"{key}: {value}")
    if "x" in data and len(data["x"]) < 2:
        # findings and verdicts locate a switch point, which needs a sweep over x
        lines += ["", "finding/verdict: not defined for a single x; sweep with --set xs=A,B,C"]
    else:
        xs = [float(x) for x in data.get("x", [])]
        outside = [b for b in data.get("boundaries", []) if isinstance(b, dict) and b.get("x") is not None
                   and not (min(xs) <= float(b["x"]) <= max(xs))] if xs else []
        lines += ["", f"finding: {exp.finding(data)}"]
        if outside:
            # a verdict compares measured and predicted switch points; one outside the sweep cannot be compared
            where = ", ".join(f"x = {float(b['x']):.4g}" for b in outside)
            lines.append(f"verdict: inconclusive for this sweep (predicted boundary outside the range: {where})")
        else:
            lines.append(f"verdict: {exp.verdict(data)}")
    return "\n".join(lines)


def run(args) -> int:
    from .experiments import select
    from .experiments.base import rounded

    exp = select([args.regime])[0]
    params = apply_sets(exp.params(not args.full), args.sets)
    params = rounded(dict(params, quick=not args.full, seed=0))
    results = sweep(exp.evaluate, exp.points(params), salt=f"{exp.id}:{exp.version}:{code_fingerprint()}", use_cache=not args.no_cache,
                    n_jobs=args.jobs, desc=exp.id)
    data = json.loads(json.dumps(rounded(exp.summarize(params, results)), sort_keys=True))
    if args.json:
        print(json.dumps({"id": exp.id, "params": params, "data": data, "finding": exp.finding(data),
                          "verdict": exp.verdict(data)}, sort_keys=True))
    else:
        print(_table(exp, data))
    return 0
