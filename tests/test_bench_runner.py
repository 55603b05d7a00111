"""``coherence bench`` runner: missing extras are skipped with a note or refused by name (exit 2),
and every row obeys the contract (peer rows name their configuration; ratio < 1 says why)."""
from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

import coherence.benchmarks.runner as bench
from coherence.cli import main

HIDDEN = {"torch", "transformers", "constriction", "pgmpy", "sklearn"}
BENCH_DIR = Path(bench.__file__).parent


def _defines_name(path: Path) -> bool:
    """Whether the module at ``path`` assigns ``NAME`` at its top level (a benchmark module)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    targets = [t for n in body if isinstance(n, ast.Assign) for t in n.targets]
    targets += [n.target for n in body if isinstance(n, ast.AnnAssign)]
    return any(isinstance(t, ast.Name) and t.id == "NAME" for t in targets)


def test_every_benchmark_module_in_the_folder_is_registered():
    on_disk = sorted(p.stem for p in BENCH_DIR.glob("*.py") if _defines_name(p))
    registered = sorted(m.__name__.rsplit(".", 1)[-1] for m in bench.BENCHMARKS)
    assert on_disk and registered == on_disk, f"add to coherence/benchmarks/runner.py BENCHMARKS: {on_disk}"
    names = [m.NAME for m in bench.BENCHMARKS]
    assert names == sorted(set(names)), "BENCHMARKS: name order, each name once"
    assert list(bench.discover()) == names and all(hasattr(m, "run") for m in bench.BENCHMARKS)


def test_the_registry_imports_no_extra():
    code = ("import sys, coherence.benchmarks.runner; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(HIDDEN)!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture
def bare_install(monkeypatch):
    """Pretend the [lm] and [peers] extras are not installed."""
    real = importlib.util.find_spec
    monkeypatch.setattr(bench, "find_spec", lambda name, *a: None if name.split(".")[0] in HIDDEN else real(name, *a))


@pytest.mark.parametrize("name,extra", [("lm-icm-step", "[lm]"), ("coder-vs-constriction", "[peers]"),
                                        ("loo-vs-pgmpy", "[peers]")])
def test_only_a_benchmark_whose_extra_is_missing_exits_2_naming_the_extra(bare_install, capsys, name, extra):
    assert main(["bench", "--only", name]) == 2
    err = capsys.readouterr().err
    assert extra in err and name in err and "unknown" not in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_whole_run_skips_missing_extras_and_runs_the_rest(bare_install, monkeypatch, capsys):
    ok = types.SimpleNamespace(NAME="fake-ok", WHAT="a benchmark with no extra", EXTRA=None, REQUIRES=(),
                               run=lambda quick: {"ours": 1.0, "baseline": 3.0, "baseline_is": "x", "params": {}})
    real = bench.discover()
    registry = {"fake-ok": ok, **{n: real[n] for n in ("lm-icm-step", "coder-vs-constriction")}}
    monkeypatch.setattr(bench, "discover", lambda: registry)
    assert main(["bench", "--quick", "--json"]) == 0
    out = capsys.readouterr()
    rows = json.loads(out.out)
    assert [r["name"] for r in rows] == ["fake-ok"] and rows[0]["ratio"] == 3.0
    notes = [ln for ln in out.err.splitlines() if ln.startswith("[bench] skip")]
    assert len(notes) == 2 and "[lm]" in notes[0] and "[peers]" in notes[1]


def test_unknown_benchmark_is_still_unknown(capsys):
    assert main(["bench", "--only", "no-such-bench"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err


def test_row_contract():
    mod = types.SimpleNamespace(WHAT="w")
    base = {"ours": 2.0, "baseline": 1.0, "baseline_is": "p"}
    with pytest.raises(RuntimeError, match="why"):
        bench.make_row("r", mod, base)
    row = bench.make_row("r", mod, dict(base, why="because"))
    assert row["ratio"] == 0.5 and row["extrapolated"] is None
    with pytest.raises(RuntimeError, match="peer_best_config"):
        bench.make_row("r", mod, dict(base, why="w", peer="lib 1", config="a", agreement=0.0))
    assert bench.make_row("r", mod, {"ours": 1.0, "baseline": 2.0, "baseline_is": "p", "peer": "lib 1",
                                     "config": "a", "peer_best_config": "a", "agreement": 0.0})["ratio"] == 2.0


def test_scaling_exponent_recovers_known_slopes():
    from coherence.benchmarks.scaling import exponent

    x = [10, 100, 1000, 10_000]
    assert exponent(x, [3.0 * v**2 for v in x]) == pytest.approx(2.0, abs=1e-12)
    # fixed cost at small sizes: only the largest three sizes are fitted
    assert exponent(x, [5.0, 0.1, 1.0, 10.0]) == pytest.approx(1.0, abs=1e-12)


def test_scaling_refuses_unwritable_out_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["bench", "--scaling", "--out", str(blocker / "figures")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "[bench] scaling" not in err
