"""The floor plan: data flows theory -> simulations -> proofs_check -> coherence, nothing reaches
back up, and no module imports itself through a circle. One leaf is shared downwards: the verdict
vocabulary, owned by the checks (:mod:`proofs_check.verdicts`), which the figures and the
real-model predictions in ``simulations`` state their verdicts in; it imports nothing.
Every import statement of the four packages is read with ``ast`` (those inside functions too: a
deferred import is still a dependency)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("theory", "simulations", "proofs_check", "coherence")
#: which packages each may import (its own included)
ALLOWED = {"theory": {"theory"}, "simulations": {"theory", "simulations"},
           "proofs_check": {"theory", "simulations", "proofs_check"},
           "coherence": {"theory", "simulations", "proofs_check", "coherence"}}
#: modules of a higher package that a lower one may import: leaves that import nothing themselves
SHARED_LEAVES = {"proofs_check.verdicts"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set:
    mod = _module(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            # "from pkg import submodule" depends on the submodule when it is one
            for a in node.names:
                if (ROOT / Path(*f"{target}.{a.name}".split("."))).with_suffix(".py").is_file():
                    out.add(f"{target}.{a.name}")
    return {t for t in out if t.split(".")[0] in PACKAGES}


def _graph() -> dict:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    mods = {_module(p): p for p in files}
    graph = {}
    for m, p in mods.items():
        deps = set()
        for t in _imports(p):
            # resolve to the deepest known module (a name imported from a module is not a module)
            while t and t not in mods:
                t = t.rsplit(".", 1)[0] if "." in t else ""
            if t and t != m:
                deps.add(t)
        graph[m] = deps
    return graph


def _upward(graph) -> list:
    return sorted((m, d) for m, deps in graph.items() for d in deps
                  if d.split(".")[0] not in ALLOWED[m.split(".")[0]] and d not in SHARED_LEAVES)


def test_the_shared_leaves_import_nothing():
    """A leaf every layer may read stays a leaf: no import at all, so it cannot pull a layer's
    modules into a lower one."""
    for leaf in SHARED_LEAVES:
        tree = ast.parse((ROOT / Path(*leaf.split("."))).with_suffix(".py").read_text(encoding="utf-8"))
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert not imports, (leaf, [ast.unparse(n) for n in imports])


def test_nothing_reaches_back_up():
    bad = _upward(_graph())
    assert not bad, bad


def test_no_import_circle_between_modules():
    graph = _graph()
    # a package's __init__ importing its own submodules is how a package exposes them, not a
    # circle of concepts: edges from a package to its own submodules are left out
    edges = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(edges[m]):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert not cycles, cycles[:5]


def test_the_parser_sees_a_planted_violation(tmp_path, monkeypatch):
    """The walker must be able to fail: a theory module importing simulations is caught."""
    fake = tmp_path / "theory" / "bad.py"
    fake.parent.mkdir()
    fake.write_text("def f():\n    from simulations import sweep\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert _imports(fake) == {"simulations"}
    assert _upward({"theory.bad": {"simulations"}, "simulations.x": {"theory.bad"}}) == [("theory.bad", "simulations")]


def test_lm_is_laid_out_in_stages():
    """``simulations/lm/`` holds its four stage packages (task -> backend prior -> search ->
    result, docs/development.md) and at most 10 modules directly; no module shares its
    package's name."""
    lm = ROOT / "simulations" / "lm"
    direct = sorted(p.name for p in lm.glob("*.py"))
    assert len(direct) <= 10, direct
    for stage in ("tasks", "backends", "searches", "results"):
        assert (lm / stage / "__init__.py").is_file(), stage
        assert not (lm / stage / f"{stage}.py").exists(), stage
        assert len(list((lm / stage).glob("*.py"))) > 1, stage
