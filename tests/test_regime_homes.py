"""A regime in one module: for each of R1-R13, exactly one module under ``simulations/`` holds its
parameters and its figures' Experiments, and it is the module registered for it in
:data:`simulations.regimes.REGIMES`.

Read statically (``ast``, every ``.py`` file under ``simulations/``, none imported):

* a figure id (a string passed as ``id=``) starting with ``R<k>-`` belongs to regime ``R<k>``, and a
  phase diagram's id ``phase-R<k>-...`` to the first regime it names (its owner);
* a regime's parameters are a dict literal with exactly the keys of the regime's ``params(quick)``
  (a copied parameter set has the same keys, whatever its values).

Each regime must have exactly one home for both, its registered module. At run time, the module's
``EXPERIMENT`` sweeps the module's own ``params`` and evaluates the module's own ``instance``, and
its ``check_result`` is what its C5 check calls (tests/test_regime_single_definition.py)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from simulations.regimes import REGIMES

ROOT = Path(__file__).resolve().parents[1]
SIMULATIONS = ROOT / "simulations"
FIGURE_ID = re.compile(r"^(?:phase-)?(R\d+)-")


def _param_keys() -> dict:
    """Regime tag -> the key set of its ``params(quick)`` (the same in both modes)."""
    keys = {tag: frozenset(mod.params(True)) for tag, mod in REGIMES.items()}
    assert all(keys[tag] == frozenset(REGIMES[tag].params(False)) for tag in REGIMES)
    assert len(set(keys.values())) == len(keys), "two regimes share a parameter key set: the scan would be ambiguous"
    return keys


def _string_start(node) -> str | None:
    """The literal start of a string expression: a constant, or the first part of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value)
    return None


def homes(files, param_keys: dict) -> dict:
    """``{tag: {"figures": {file, ...}, "params": {file, ...}}}`` over ``files``."""
    by_keys = {keys: tag for tag, keys in param_keys.items()}
    out = {tag: {"figures": set(), "params": set()} for tag in param_keys}
    for f in files:
        tree = ast.parse(Path(f).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    start = _string_start(kw.value) if kw.arg == "id" else None
                    m = FIGURE_ID.match(start or "")
                    if m and m.group(1) in out:
                        out[m.group(1)]["figures"].add(str(f))
            elif isinstance(node, ast.Dict) and node.keys and all(
                    isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
                tag = by_keys.get(frozenset(k.value for k in node.keys))
                if tag is not None:
                    out[tag]["params"].add(str(f))
    return out


def misplaced(found: dict) -> list:
    """Every regime whose figures or parameters are not in exactly its registered module."""
    bad = []
    for tag, where in found.items():
        home = str(Path(REGIMES[tag].__file__).resolve())
        for what in ("figures", "params"):
            if where[what] != {home}:
                bad.append(f"{tag} {what}: {sorted(where[what]) or 'nowhere'} (expected {home})")
    return bad


def _files() -> list:
    return sorted(p.resolve() for p in SIMULATIONS.rglob("*.py"))


def test_every_regime_has_exactly_one_home():
    assert set(REGIMES) == {f"R{k}" for k in range(1, 14)}
    assert not misplaced(homes(_files(), _param_keys()))


@pytest.mark.parametrize("tag", sorted(REGIMES, key=lambda t: int(t[1:])))
def test_the_home_builds_its_figures_from_its_own_parameters_and_instances(tag):
    mod = REGIMES[tag]
    exp = mod.EXPERIMENT
    assert exp.id.startswith(f"{tag}-") and exp.params is mod.params
    point = exp.points(mod.params(True))[0]
    assert point["module"] == mod.__name__ and callable(mod.instance)
    assert callable(mod.check_result)
    if hasattr(mod, "PHASE"):
        assert mod.PHASE.id.startswith(f"phase-{tag}-") and mod.PHASE.params is mod.phase_params
        assert mod.PHASE.points(mod.phase_params(True))[0]["module"] == mod.__name__


def test_every_figure_of_a_regime_is_in_the_registry():
    from simulations.experiments import REGISTRY

    ids = {e.id for e in REGISTRY()}
    for tag, mod in REGIMES.items():
        assert mod.EXPERIMENT.id in ids
        assert not hasattr(mod, "PHASE") or mod.PHASE.id in ids


@pytest.mark.parametrize("tag", ["R5", "R8", "R13"])
def test_a_stray_copy_is_caught(tag, tmp_path):
    """The scan must be able to fail: a verbatim copy of a regime module elsewhere under
    simulations/ (the old layout's second rNN file) gives that regime two homes."""
    stray = tmp_path / "simulations" / "experiments" / Path(REGIMES[tag].__file__).name
    stray.parent.mkdir(parents=True)
    stray.write_text(Path(REGIMES[tag].__file__).read_text(encoding="utf-8"), encoding="utf-8")
    bad = misplaced(homes(_files() + [stray.resolve()], _param_keys()))
    assert any(b.startswith(f"{tag} figures:") for b in bad) and any(b.startswith(f"{tag} params:") for b in bad)
    # a figure alone (parameters read from the regime) is caught too
    figure_only = tmp_path / "figure_only.py"
    figure_only.write_text(f"EXPERIMENT = regime_experiment(id='{tag}-copy', params=params)\n", encoding="utf-8")
    bad = misplaced(homes(_files() + [figure_only.resolve()], _param_keys()))
    assert [b for b in bad if b.startswith(f"{tag} ")] == [b for b in bad if b.startswith(f"{tag} figures:")] != []
