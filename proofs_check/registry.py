"""The check registry: one record per claim or identity of docs/theory.md sections 3 and 5.

A check is a function ``f(quick: bool) -> Outcome`` registered with :func:`check`, which fixes
its id, claim, statement, expected verdict, tolerance and conditions. :func:`run_check` times
it and turns it into the record of docs/cli.md (``coherence check --json``); a check that raises
is reported with verdict ``"error"`` (never equal to any expectation, so the run fails).

Verdicts: ``"holds"`` (the statement is true on every instance examined, within tolerance),
``"fails"`` (a counterexample was found; it is in ``counterexample``), and
``"holds-under-conditions"`` (true inside the stated conditions, with a counterexample outside)
and ``"not judged"`` (the data cannot decide: the real-model predictions P1-P8 on undecided cases
or without a committed file, :mod:`proofs_check.p_real_models`).
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from simulations.io import json_safe
from .verdicts import VERDICTS

CLAIMS = ("C1", "C2", "C3", "C4", "C5", "I", *(f"P{j}" for j in range(1, 9)))


@dataclass
class Outcome:
    """What a check measured. ``conditions`` and ``tolerance``, when given, refine the registered ones."""

    verdict: str
    measured: Any
    counterexample: Any = None
    conditions: str | None = None
    tolerance: float | None = None


@dataclass(frozen=True)
class Check:
    id: str
    claim: str
    statement: str
    expected: str
    tolerance: float | None
    conditions: str
    func: Callable[[bool], Outcome] = field(compare=False)

    @property
    def module(self) -> str:
        return self.func.__module__


def check(id: str, statement: str, expected: str = "holds", tolerance: float | None = None,
          conditions: str = ""):
    """Mark ``f(quick) -> Outcome`` as the check ``id`` (``"<claim>.<name>"``): the decorator stores
    the :class:`Check` on the function as ``CHECK`` and returns the function unchanged. Nothing is
    registered here: :mod:`proofs_check.catalogue` imports the check modules explicitly and
    collects what they define (:func:`collect`)."""
    claim = id.split(".", 1)[0]
    if claim not in CLAIMS:
        raise ValueError(f"check id must start with one of {CLAIMS}, got {id!r}")
    if expected not in VERDICTS:
        raise ValueError(f"expected must be one of {VERDICTS}, got {expected!r}")

    def deco(func):
        func.CHECK = Check(id, claim, statement, expected, tolerance, conditions, func)
        return func

    return deco


def collect(modules) -> list[Check]:
    """The checks defined in ``modules`` (module objects), in claim order, then module order, then
    definition order. Raises ``ValueError`` on a duplicate id."""
    found, seen = [], set()
    for mod in modules:
        for obj in vars(mod).values():
            c = getattr(obj, "CHECK", None)
            # a check imported from another module is that module's, not this one's
            if isinstance(c, Check) and c.module == mod.__name__:
                if c.id in seen:
                    raise ValueError(f"duplicate check id {c.id!r}")
                seen.add(c.id)
                found.append(c)
    order = {c: i for i, c in enumerate(CLAIMS)}
    return sorted(found, key=lambda c: order[c.claim])


def select(checks: list[Check], only: list[str] | None) -> list[Check]:
    """Checks whose id equals or starts with one of ``only`` (``C5`` selects ``C5.*``, ``C5.R9``
    selects ``C5.R9.*``). Raises ``ValueError`` when a pattern matches nothing or is empty (``''``
    is a prefix of every id: taken as one, it would run all the checks the user meant to narrow)."""
    if only is None:
        return checks
    if not only or any(not pat.strip() for pat in only):
        raise ValueError("--only needs check ids or prefixes, got an empty one; ids look like "
                         "C2.lambda-eta-map (run `coherence check --list` to see them)")
    out, seen = [], set()
    for pat in only:
        hits = [c for c in checks if c.id == pat or c.id.startswith(pat.rstrip(".") + ".")]
        if not hits:  # a bare prefix ("C2.lam") when no id or dotted group matches
            hits = [c for c in checks if c.id.startswith(pat)]
        if not hits:
            raise ValueError(f"--only {pat!r} matches no check id; ids look like C2.lambda-eta-map "
                             f"(run `coherence check --list` to see them)")
        for c in hits:
            if c.id not in seen:
                seen.add(c.id)
                out.append(c)
    return [c for c in checks if c.id in seen]


def run_check(c: Check, quick: bool) -> dict:
    """Run one check and return its docs/cli.md record."""
    t0 = time.perf_counter()
    try:
        out = c.func(quick)
        if not isinstance(out, Outcome):
            raise TypeError(f"check {c.id} returned {type(out).__name__}, not Outcome")
        if out.verdict not in VERDICTS:
            raise ValueError(f"check {c.id} returned verdict {out.verdict!r}")
        verdict, measured, cex = out.verdict, out.measured, out.counterexample
        conditions = out.conditions if out.conditions is not None else c.conditions
        tol = out.tolerance if out.tolerance is not None else c.tolerance
    except Exception as exc:  # a broken check is reported, not raised: the run must go on
        verdict, measured, cex = "error", {"error": f"{type(exc).__name__}: {exc}",
                                           "traceback": traceback.format_exc(limit=4)}, None
        conditions, tol = c.conditions, c.tolerance
    return json_safe({
        "id": c.id, "claim": c.claim, "statement": c.statement, "expected": c.expected,
        "verdict": verdict, "measured": measured, "tolerance": tol, "conditions": conditions,
        "counterexample": cex, "seconds": round(time.perf_counter() - t0, 3), "module": c.module,
    })


# -- helpers shared by the checks -------------------------------------------------------------

def within(err: float, tol: float) -> str:
    """``"holds"`` when ``|err| <= tol`` else ``"fails"``."""
    return "holds" if abs(float(err)) <= tol else "fails"


def regime_outcome(result) -> Outcome:
    """The :class:`Outcome` of a regime's measurement, a
    :class:`~simulations.regimes.decision_rule.CheckResult` (verdict, measured, counterexample)."""
    return Outcome(result.verdict, result.measured, counterexample=result.counterexample)
