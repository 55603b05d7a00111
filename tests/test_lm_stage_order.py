"""The four stages of ``coherence lm`` keep their order, tasks -> backends -> searches -> results:
a module of an earlier stage never imports a module of a later one. Every import statement of
``simulations/lm/{tasks,backends,searches,results}/*.py`` is read with ``ast``, those inside
functions too (a deferred import is still a dependency)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LM = ROOT / "simulations" / "lm"
STAGES = ("tasks", "backends", "searches", "results")
#: (importing module, imported module) pairs allowed against the order, each with its reason
ALLOWED = {}


def imported_modules(source: str, package: str) -> set:
    """The dotted names ``source`` imports (a module of ``package``): ``import a.b`` gives ``a.b``;
    ``from a import b`` gives ``a`` and ``a.b`` (``b`` may be a module); relative imports are
    resolved against ``package``."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                target = ".".join(parts + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out |= {f"{target}.{a.name}" for a in node.names}
    return out


def stage_of(module: str):
    """The index in :data:`STAGES` of the stage ``module`` belongs to (``None``: no stage)."""
    parts = module.split(".")
    if parts[:2] == ["simulations", "lm"] and len(parts) > 2 and parts[2] in STAGES:
        return STAGES.index(parts[2])
    return None


def later_stage_imports(module: str, source: str) -> list:
    """``(module, imported)`` for every import in ``source`` of a stage later than ``module``'s."""
    own = stage_of(module)
    package = module.rsplit(".", 1)[0]
    return sorted((module, t) for t in imported_modules(source, package)
                  if own is not None and (stage_of(t) or 0) > own)


def violations() -> list:
    """Every import against the stage order in the stage packages, less :data:`ALLOWED`."""
    bad = []
    for stage in STAGES:
        for path in sorted((LM / stage).glob("*.py")):
            module = f"simulations.lm.{stage}.{path.stem}"
            bad += later_stage_imports(module, path.read_text(encoding="utf-8"))
    return [(m, t) for m, t in bad if not any(m == a and (t == b or t.startswith(b + ".")) for a, b in ALLOWED)]


def test_every_stage_exists():
    for stage in STAGES:
        assert list((LM / stage).glob("*.py")), stage


def test_no_stage_imports_a_later_stage():
    bad = violations()
    assert not bad, f"an earlier stage imports a later one (tasks -> backends -> searches -> results): {bad}"


def test_the_walker_finds_a_planted_violation():
    planted = ("import numpy as np\n"
               "from simulations.lm.tasks import relations\n"
               "def f():\n"
               "    from simulations.lm.searches.chunked import project\n"
               "    from simulations.lm import results\n"
               "    from ..backends import loader\n"
               "    return project\n")
    found = later_stage_imports("simulations.lm.tasks.planted", planted)
    assert ("simulations.lm.tasks.planted", "simulations.lm.searches.chunked") in found
    assert ("simulations.lm.tasks.planted", "simulations.lm.results") in found
    assert ("simulations.lm.tasks.planted", "simulations.lm.backends.loader") in found
    assert not [t for _, t in found if t.startswith("simulations.lm.tasks")]
    # the same imports are in order from the last stage
    assert later_stage_imports("simulations.lm.results.planted", planted) == []
