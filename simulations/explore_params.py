"""The parameters of ``coherence explore`` (:mod:`simulations.explore`): parsing ``--set``
overrides, the accepted range of every parameter, and the list of regimes its ``--help`` shows.

``REGIME`` is a figure id or its tag (``R5``, ``C2``, ...; ``coherence explore --help`` lists them
with their parameters). ``--set`` overrides one parameter (the quick defaults): a number, a
comma-separated list (``xs=0.1,0.2``), ``x=VALUE`` for a single ``xs``, ``seeds=N`` for N seeds.

Every value is checked before any worker starts (type, range, and for regime sweeps the instance
is built once in this process), as given: never rounded first, so the run uses exactly the values
checked. Bad input is one line naming the parameter and its accepted range, exit status 2.
Ranges come from :data:`RANGES` by parameter name, from an experiment's ``extras["ranges"]`` when
it declares them, and for the sweep axes (``xs``, ``ys`` and list parameters) from the span of
the experiment's full default grid.
"""
from __future__ import annotations

import math

from theory.validation import MAX_ENUMERATION

#: largest number of behaviour vectors k^n one explore point may enumerate (exact decoding runs at
#: every point; kept below the library's limit so one point stays interactive)
EXPLORE_ENUMERATION = min(MAX_ENUMERATION, 2**20)
#: largest number of seeds
MAX_SEEDS = 1000

#: accepted range by parameter name: (kind, low, high, low_open, high_open, meaning)
RANGES = {
    "n": ("int", 2, None, False, False, "items (k^n <= 2^20 behaviours are enumerated)"),
    "K": ("int", 2, 8, False, False, "labels per item"),
    "m": ("int", 1, 64, False, False, "concepts / labelled items of the construction"),
    "groups": ("int", 2, 6, False, False, "constraint groups"),
    "n_random": ("int", 1, 1000, False, False, "random instances"),
    "runs": ("int", 1, 1000, False, False, "independent runs"),
    "sweeps": ("int", 1, 10000, False, False, "Gibbs sweeps"),
    "burn": ("int", 0, 10000, False, False, "burn-in sweeps"),
    "rho_n": ("int", 2, 64, False, False, "items of the correlation runs"),
    "alpha": ("float", 0.0, 100.0, True, False, "concentration"),
    "signal": ("float", 0.0, 100.0, False, False, "signal strength"),
    "agree": ("float", 0.0, 1.0, False, False, "fraction of items where two concepts agree"),
}
for _eps in ("eps", "eps_t", "eps_w", "eps_o", "eps_r", "eps_f", "gap_eps"):
    RANGES[_eps] = ("float", 0.0, 0.5, True, True, "flip probability per item")
RANGES["eta"] = ("float", 0.0, 0.5, False, True, "label flip probability")
for _w in ("w_t", "w_w", "w_o", "w_flipped"):
    RANGES[_w] = ("float", 0.0, 1.0, True, True, "prior weight of a concept")


# -- parameters: parsing and ranges ---------------------------------------------------------------

def _kind(default) -> str:
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    return "float"


def _describe(kind, lo, hi, lo_open=False, hi_open=False) -> str:
    what = "an integer" if kind == "int" else "a number"
    if lo is None and hi is None:
        return what
    left = "(" if lo_open else "["
    right = ")" if hi_open or hi is None else "]"
    return f"{what} in {left}{'-inf' if lo is None else lo:g}, {'inf' if hi is None else hi:g}{right}"


def _grid_span(exp, name):
    """``(low, high)`` of the experiment's full default list ``name`` (None if it has none)."""
    values = exp.params(False).get(name)
    if isinstance(values, list) and values and all(isinstance(v, (int, float)) for v in values):
        return min(values), max(values)
    return None


def param_range(exp, name: str, params: dict):
    """``(kind, low, high, low_open, high_open, meaning)`` accepted for ``name`` in ``exp``."""
    # exp None: ranges by name only (apply_sets on a plain dict)
    declared = (getattr(exp, "extras", None) or {}).get("ranges", {})
    default = (exp.params(True) if exp is not None else params).get(name)
    is_list = isinstance(default, list)
    kind = _kind(default[0] if is_list and default else default)
    if name in declared:
        lo, hi = declared[name]
        return kind, lo, hi, False, False, "declared by the experiment"
    if name == "n":
        k = int(params.get("K", 2))
        meaning = RANGES["n"][5] + (f", here k = K = {k}" if "K" in params else "")
        return "int", 2, int(math.log(EXPLORE_ENUMERATION) / math.log(k) + 1e-9), False, False, meaning
    if name in RANGES and not is_list:
        return RANGES[name]
    span = _grid_span(exp, name) if exp is not None else None
    if span is not None:
        return kind, span[0], span[1], False, False, "the span of the full default grid"
    return kind, None, None, False, False, "no range known"


def _parse_number(name: str, text: str, kind: str, exp, params):
    rng = param_range(exp, name, params)
    accepted = _describe(*rng[:5])
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"--set {name}={text}: {name} must be {accepted}") from None
    if not math.isfinite(x):
        raise ValueError(f"--set {name}={text}: {name} must be {accepted}")
    if kind == "int":
        if not x.is_integer():
            raise ValueError(f"--set {name}={text}: {name} must be {accepted} (an integer parameter)")
        return int(x)
    return x


def _shown(value) -> str:
    """``value`` as short as possible without hiding what was given: ``%g`` unless that rounds
    it (``0.50000001`` is shown as such, never as ``0.5``)."""
    short = f"{value:g}"
    if float(short) == value:
        return short
    return str(value) if isinstance(value, int) else repr(float(value))


def _in_range(name: str, value, exp, params) -> None:
    kind, lo, hi, lo_open, hi_open, meaning = param_range(exp, name, params)
    bad = (lo is not None and (value < lo or (lo_open and value == lo))) or \
          (hi is not None and (value > hi or (hi_open and value == hi)))
    if bad:
        raise ValueError(f"--set {name}={_shown(value)}: {name} must be {_describe(kind, lo, hi, lo_open, hi_open)} "
                         f"({meaning})")


def _seeds(text: str) -> list:
    if "," not in text:
        try:
            count = float(text)
        except ValueError:
            count = float("nan")
        if not (math.isfinite(count) and count.is_integer() and 1 <= count <= MAX_SEEDS):
            raise ValueError(f"--set seeds={text}: seeds must be a number of seeds, an integer in [1, {MAX_SEEDS}], "
                             f"or a list of seeds (integers >= 0, e.g. seeds=0,5,7)")
        return list(range(int(count)))
    out = []
    for t in text.split(","):
        try:
            s = float(t)
        except ValueError:
            s = float("nan")
        if not (math.isfinite(s) and s.is_integer() and 0 <= s < 2**31):
            raise ValueError(f"--set seeds={text}: each seed must be an integer in [0, {2**31 - 1}], got {t!r}")
        out.append(int(s))
    if len(set(out)) != len(out) or len(out) > MAX_SEEDS:
        raise ValueError(f"--set seeds={text}: seeds must be distinct, at most {MAX_SEEDS}")
    return out


def apply_sets(params: dict, sets: list, exp=None) -> dict:
    """``params`` updated by ``NAME=VALUE`` strings; types follow the defaults and every value is
    checked against :func:`param_range`. Raises ``ValueError`` naming the parameter."""
    out = dict(params)
    for s in sets:
        if "=" not in s:
            raise ValueError(f"--set expects NAME=VALUE, got {s!r}")
        name, value = s.split("=", 1)
        name = name.strip()
        if name == "x":
            name = "xs"
        if name == "seeds":
            out["seeds"] = _seeds(value)
            continue
        if name not in out or name in ("quick", "seed"):
            accepted = ", ".join(sorted(k for k in out if k not in ("quick", "seed")))
            raise ValueError(f"--set {name}: unknown parameter of {exp.id if exp else 'this regime'}; "
                             f"accepted: {accepted} (and x)")
        default = out[name]
        if isinstance(default, list):
            kind = _kind(default[0]) if default else "float"
            parts = [t for t in value.split(",")]
            if not value or any(t.strip() == "" for t in parts):
                raise ValueError(f"--set {name}={value}: {name} must be a comma-separated list of numbers")
            vals = [_parse_number(name, t, kind, exp, out) for t in parts]
            if any(b <= a for a, b in zip(vals, vals[1:])):
                raise ValueError(f"--set {name}={value}: {name} must be strictly increasing")
            out[name] = vals
        else:
            out[name] = _parse_number(name, value, _kind(default), exp, out)
    return out


def validate(exp, params: dict, sets=()) -> None:
    """Check every parameter against its range, then (regime sweeps) build each instance once,
    so a value the model rejects is a one-line error before any worker starts."""
    # n last: its range depends on K
    for name, value in sorted(params.items(), key=lambda kv: kv[0] == "n"):
        if name in ("quick", "seed", "seeds"):
            continue
        for v in (value if isinstance(value, list) else [value]):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                _in_range(name, v, exp, params)
    points = exp.points(params)
    point = points[0] if points and isinstance(points[0], dict) else {}
    # a regime sweep's point names the module whose instance(params, x, seed) it evaluates; a phase
    # diagram's point also names its cell function (simulations.experiments.phase)
    if point.get("module") and "cell" not in point:
        import importlib

        build = getattr(importlib.import_module(point["module"]), "instance", None)
        for x in (params.get("xs") or [] if build else []):
            try:
                build(params, x, params["seeds"][0])
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                given = " ".join(sets) or "(defaults)"
                raise ValueError(f"--set {given}: {exp.id} cannot be built at x = {x:g} with these parameters: "
                                 f"{exc}") from None


# -- regimes listing (explore --help) ---------------------------------------------------------------

def fmt_default(v) -> str:
    if isinstance(v, list):
        if len(v) > 4:
            return f"{_shown(v[0])}..{_shown(v[-1])} ({len(v)} values)" if all(isinstance(t, (int, float)) for t in v) \
                else str(v)
        return ",".join(_shown(t) for t in v)
    return _shown(v) if isinstance(v, (int, float)) else str(v)


def help_epilog() -> str:
    """Every regime with its parameters: quick default and accepted range."""
    from .experiments import REGISTRY

    lines = ["regimes and their parameters (quick default; accepted values):"]
    for exp in REGISTRY():
        p = exp.params(True)
        lines.append(f"  {exp.id}  ({', '.join(exp.claims)})")
        for name, v in p.items():
            if name == "seeds":
                lines.append(f"      seeds = {len(v)}  (a count in [1, {MAX_SEEDS}] or a list of seeds)")
                continue
            kind, lo, hi, lo_open, hi_open, _ = param_range(exp, name, p)
            lines.append(f"      {name} = {fmt_default(v)}  ({_describe(kind, lo, hi, lo_open, hi_open)})")
    lines.append("verdict: judged only when each axis' largest step is at most the quick default grid's "
                 "(tolerance <= 2 such steps); see docs/reliability.md")
    return "\n".join(lines)


def select_regime(name: str):
    from .experiments import REGISTRY, select

    try:
        return select([name])[0]
    except ValueError:
        ids = ", ".join(e.id for e in REGISTRY())
        raise ValueError(f"REGIME {name!r} is not a regime or figure id; valid: {ids} "
                         f"(tags such as R5 work too)") from None
