"""Exploring one failure regime at chosen parameters (``coherence explore``; the command line is
:mod:`coherence.explore`): :func:`explore` runs what an :class:`ExploreConfig` asks for, and its
:class:`Exploration` gives, for each parameter value, every method's accuracy with its 95% interval
across seeds, the per-instance measurements, and the closed-form predictions, as a table or JSON.

The regime and its parameters are parsed and range-checked, before any worker starts, by
:mod:`simulations.explore_params`.

Verdict rule (docs/reliability.md): the regime's verdict compares measured and predicted switch
points within two steps of the grid. explore judges only a sweep whose largest step along each
axis is at most the experiment's reference step (the largest step of its quick default grid), so
the tolerance is at most ``2 x reference step``, and prints it; a coarser sweep is reported as
"not judged: grid too coarse", one with a single x or a predicted boundary outside the sweep as
not judged either.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from .explore_params import apply_sets, fmt_default, select_regime, validate
from .io import dumps
from .sweep import code_fingerprint, sweep


@dataclass(frozen=True)
class ExploreConfig:
    """One exploration; every default of ``coherence explore`` is defined here, once."""

    #: regime or figure id, or its tag (``R5``)
    regime: str
    #: ``NAME=VALUE`` overrides, applied in order (:func:`~simulations.explore_params.apply_sets`)
    sets: tuple[str, ...] = ()
    #: start from the full (not quick) parameters
    full: bool = False
    #: parallel workers (-1 = all cores)
    jobs: int = 2
    #: the cache root (:func:`simulations.io.cache_root`); None: the default root
    cache_dir: str | None = None
    #: reuse and store finished sweep points
    use_cache: bool = True


# -- output -------------------------------------------------------------------------------------------

def plain_title(title: str) -> str:
    """The experiment's title without its trailing parenthesised default parameters."""
    return re.sub(r"\s*\([^()]*=[^()]*\)\s*$", "", title)


def params_line(params: dict, defaults: dict) -> str:
    shown = []
    for k, v in params.items():
        if k in ("quick", "seed", "xs", "ys"):
            continue
        val = f"{len(v)}" if k == "seeds" else fmt_default(v)
        shown.append(f"{k} = {val}" + (" (set)" if v != defaults.get(k) else ""))
    return "parameters: " + ", ".join(shown)


def judgement(exp, data: dict, params: dict) -> dict:
    return _judged(_judgement(exp, data, params))


def _judgement(exp, data: dict, params: dict) -> dict:
    """Whether the verdict is judged on this sweep, why not, and its tolerance (module docstring)."""
    quick = exp.params(True)
    steps, tol = {}, None
    for axis in ("xs", "ys"):
        grid, ref = params.get(axis), quick.get(axis)
        if not isinstance(grid, list) or not isinstance(ref, list) or len(ref) < 2:
            continue
        step = max((b - a for a, b in zip(grid, grid[1:])), default=math.inf)
        ref_step = max(b - a for a, b in zip(ref, ref[1:]))
        steps[axis] = (step, ref_step)
    xs = [float(x) for x in data.get("x", [])]
    if "xs" in steps:
        tol = 2 * steps["xs"][1]
    if "x" in data and len(xs) < 2:
        return {"judged": False, "reason": "not defined for a single x; sweep with --set xs=A,B,C", "tolerance": tol}
    outside = [b for b in data.get("boundaries", []) if isinstance(b, dict) and b.get("x") is not None
               and xs and not (min(xs) <= float(b["x"]) <= max(xs))]
    if outside:
        where = ", ".join(f"x = {float(b['x']):.4g}" for b in outside)
        return {"judged": False, "tolerance": tol,
                "reason": f"inconclusive for this sweep (predicted boundary outside the range: {where})"}
    coarse = [f"{a} step {s:g} > reference {r:g}" for a, (s, r) in steps.items() if s > r + 1e-12]
    if coarse:
        return {"judged": False, "tolerance": tol,
                "reason": f"grid too coarse ({'; '.join(coarse)}; the verdict needs steps <= the reference step)"}
    if "xs" in steps:
        tol = 2 * steps["xs"][0]
    return {"judged": True, "reason": None, "tolerance": tol}


def _judged(j: dict) -> dict:
    tol = j["tolerance"]
    return dict(j, tolerance=None if tol is None or not math.isfinite(tol) else float(f"{tol:.6g}"))


def _table(exp, data, params, defaults) -> str:
    lines = [f"{exp.id}: {plain_title(exp.title)}", params_line(params, defaults),
             f"prediction: {exp.prediction}"]
    if "accuracy" in data:
        for b in data.get("boundaries", []):
            if b.get("x") is not None:
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
    j = judgement(exp, data, params)
    lines.append("")
    if j["judged"]:
        finding, verdict = exp.judge(data, params)
        lines.append(f"finding: {finding}")
        tol = ("" if j["tolerance"] is None
               else f" (tolerance: measured vs predicted switch within 2 grid steps = +-{j['tolerance']:.4g})")
        lines.append(f"verdict: {verdict}{tol}")
    else:
        lines.append(f"verdict: not judged: {j['reason']}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Exploration:
    """What :func:`explore` measured: the experiment, the parameters run (and the defaults they
    changed), the summarised data and the :func:`judgement` of the verdict."""

    exp: object
    params: dict
    defaults: dict
    data: dict
    judgement: dict

    def as_json(self) -> str:
        """One JSON document (docs/cli.md)."""
        j = self.judgement
        finding, verdict = self.exp.judge(self.data, self.params) if j["judged"] else (None, "not judged")
        return dumps({"id": self.exp.id, "params": self.params, "data": self.data, "finding": finding,
                      "verdict": verdict, "judgement": j}, sort_keys=True)

    def table(self) -> str:
        """The readable table."""
        return _table(self.exp, self.data, self.params, self.defaults)


def explore(config: ExploreConfig) -> Exploration:
    """Check every value of ``config`` (a one-line ``ValueError`` naming it), then run the sweep."""
    from .experiments.base import rounded
    from .figures import check_cache_dir, check_jobs

    exp = select_regime(config.regime)
    check_jobs(config.jobs)
    sets = list(config.sets)
    # the defaults are rounded as figures rounds them (same points, same cache entries); values
    # given by --set are not: the range checks and the run both see them exactly as given
    defaults = rounded(exp.params(not config.full))
    params = apply_sets(defaults, sets, exp)
    params = dict(params, quick=not config.full, seed=0)
    validate(exp, params, sets)
    cache = check_cache_dir(config.cache_dir, config.use_cache)
    results = sweep(exp.evaluate, exp.points(params), salt=f"{exp.id}:{exp.version}:{code_fingerprint()}",
                    cache=cache, use_cache=cache is not None, n_jobs=config.jobs, desc=exp.id)
    data = json.loads(dumps(rounded(exp.summarize(params, results)), sort_keys=True))
    return Exploration(exp=exp, params=params, defaults=defaults, data=data, judgement=judgement(exp, data, params))
