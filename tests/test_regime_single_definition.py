"""Each failure regime's parameters appear in exactly one module (issue: one source of truth).

Two light, structural guards. (1) Every C5 regime check (``C5.R<j>.*``) reads its regime module in
:mod:`simulations.regimes` and builds no prior or random stream itself. (2) Neither the regime
checks (:mod:`proofs_check.c5_regimes`) nor the modules of :mod:`simulations.experiments` (the
shared figure machinery and the claims' figures; a regime's figures live in its own module) hold a
literal list, tuple or constant ``range`` equal to a list-valued parameter of a regime module (the
figure's ``params``, a phase diagram's ``phase_params`` or the check's ``check_params``), so a
copied grid or parameter vector is caught. That each regime has exactly one home is
tests/test_regime_homes.py."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from proofs_check.catalogue import all_checks
from simulations.regimes import REGIMES

ROOT = Path(__file__).resolve().parent.parent
#: what a check must not call to build its own instance: prior families, random streams, the shared
#: random families and tasks that now live with the regimes (simulations.regimes.r10_non_exchangeable,
#: simulations.claims.c3_kl_optimality, simulations.arithmetic_task, simulations.regimes.r06_degenerate)
BUILDERS = {"ConceptMixture", "InContextSimulator", "DirichletMultinomial", "TablePrior", "default_rng",
            "random_simulator", "task_prior", "arithmetic_task", "truth_and_constant"}
#: regime checks that still build their own instances, with where they do it (none left)
NOT_YET: dict = {}


def _names(code) -> set:
    """Every global, attribute and imported name a function's code (and its nested code) uses."""
    out = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            out |= _names(const)
    return out


def _regime_checks() -> list:
    out = [c for c in all_checks() if re.match(r"C5\.R\d+\.", c.id)]
    assert {c.id.split(".")[1] for c in out} == set(REGIMES)          # every regime has a check
    return out


def _reads(func, module) -> bool:
    names = _names(func.__code__)
    return module.__name__.rsplit(".", 1)[1] in names or any(func.__globals__.get(n) is module for n in names)


@pytest.mark.parametrize("check", _regime_checks(), ids=lambda c: c.id)
def test_regime_check_reads_its_regime_module_and_builds_nothing(check):
    module = REGIMES[check.id.split(".")[1]]
    if check.id in NOT_YET:
        pytest.skip(NOT_YET[check.id])
    assert _reads(check.func, module), f"{check.id} does not read {module.__name__}"
    assert not _names(check.func.__code__) & BUILDERS, f"{check.id} builds its own instance"


def test_the_exceptions_are_still_exceptions():
    """NOT_YET lists exactly the checks that do not read their regime module (remove an entry once fixed)."""
    late = {c.id for c in _regime_checks() if not _reads(c.func, REGIMES[c.id.split(".")[1]])}
    assert late == set(NOT_YET)


def _typed(values) -> tuple:
    return tuple((type(v).__name__, v) for v in values)


def _parameter_vectors() -> dict:
    """Every list-valued numeric parameter (two or more entries) of every regime module, both sizes;
    seed lists are plain ``range``s, shared by design, and are left out."""
    out = {}
    for tag, module in REGIMES.items():
        for fn in ("params", "phase_params", "check_params"):
            for quick in (True, False):
                for key, v in getattr(module, fn)(quick).items() if hasattr(module, fn) else ():
                    if key != "seeds" and isinstance(v, (list, tuple)) and len(v) >= 2 \
                            and all(type(e) in (int, float) for e in v):
                        out.setdefault(_typed(v), set()).add(f"{tag} {fn}()[{key!r}]")
    return out


def _literal(node):
    """A literal numeric list/tuple, or a ``range`` with constant arguments, as typed values."""
    if isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) >= 2 \
            and all(isinstance(e, ast.Constant) and type(e.value) in (int, float) for e in node.elts):
        return _typed(e.value for e in node.elts)
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "range" and node.args \
            and all(isinstance(a, ast.Constant) and type(a.value) is int for a in node.args):
        return _typed(range(*(a.value for a in node.args)))
    return None


def test_parameter_vectors_sanity():
    vectors = _parameter_vectors()
    assert _typed([8, 12, 16]) in vectors and _typed([0, 2, 4, 6, 8, 10]) in vectors     # R7 ns, R13 ms
    assert _literal(ast.parse("range(0, 11, 2)").body[0].value) == _typed([0, 2, 4, 6, 8, 10])


def test_no_regime_parameter_vector_is_copied_into_checks_or_figures():
    vectors = _parameter_vectors()
    files = sorted((ROOT / "proofs_check" / "c5_regimes").glob("*.py")) + \
        sorted((ROOT / "simulations" / "experiments").glob("*.py"))
    copies = [f"{f.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)} == {sorted(vectors[lit])}"
              for f in files for node in ast.walk(ast.parse(f.read_text()))
              if (lit := _literal(node)) is not None and lit in vectors]
    assert not copies, copies
