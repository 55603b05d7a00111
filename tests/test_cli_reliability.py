"""Bad input to the CLI: every bad argument exits 2 with one stderr line naming it (no
traceback), found by a hypothesis fuzz over argument strings and by a table of known cases;
output files get the user's umask."""
from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coherence.cli import main

ROOT = Path(__file__).resolve().parents[1]


class Reached(BaseException):
    """Raised instead of starting the work: the arguments were all accepted."""


@pytest.fixture
def no_work(monkeypatch, tmp_path):
    """Valid arguments stop where the work would start (sweep, figure, checks)."""
    import proofs_check.runner
    import simulations.explore
    import simulations.figures

    def stop(*a, **k):
        raise Reached

    monkeypatch.setattr(simulations.explore, "sweep", stop)
    monkeypatch.setattr(simulations.figures, "produce", stop)
    monkeypatch.setattr(proofs_check.runner, "run_checks", stop)
    monkeypatch.chdir(tmp_path)


def outcome(argv):
    """``("reached", "")`` when the work would start, else ``(exit code, stderr)``."""
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except Reached:
            return "reached", ""
        except SystemExit as e:
            code = e.code
    return code, err.getvalue()


def assert_one_line_error(argv, code, err, names):
    assert code == 2, (argv, code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, (argv, err)
    assert "Traceback" not in err
    # the argument is named as a word, not merely as a substring of some other word
    assert any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w])", lines[0]) for n in names), (argv, lines[0], names)


# -- (a) fuzz ---------------------------------------------------------------------------------

NUMBERISH = st.one_of(
    st.sampled_from(["0", "-2", "1e9", "abc", "12.7", "nan", "inf", "-inf", "", " ", "1e-300", "0x10", "3,", ",",
                     "1,1", "0.3,0.1", "2**31", "9" * 30, "-0", "+5", "1_000"]),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
)
REGIME_PARAMS = ["n", "x", "xs", "seeds", "w_t", "w_w", "eps_w", "agree", "K", "bogus", ""]
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@FUZZ
@given(regime=st.one_of(st.sampled_from(["R5", "R8", "R13", "C2", "phase-R5", "R99", "r5", "-", ""]),
                        st.text(max_size=8)),
       name=st.sampled_from(REGIME_PARAMS), value=NUMBERISH, jobs=st.one_of(st.none(), NUMBERISH))
def test_fuzz_explore(no_work, regime, name, value, jobs):
    if regime.startswith("-") or "\x00" in value + str(jobs):
        return          # an option-like REGIME is argparse's business; NUL cannot reach argv
    argv = ["explore", regime, "--set", f"{name}={value}"] + ([f"--jobs={jobs}"] if jobs is not None else [])
    code, err = outcome(argv)
    if code != "reached":
        names = [name or "--set", "REGIME"] + (["xs"] if name == "x" else []) + (["--jobs"] if jobs is not None else [])
        assert_one_line_error(argv, code, err, names)


@FUZZ
@given(option=st.sampled_from(["--seed", "--jobs", "--out", "--backend", "--cache-dir", "--readme", "--only"]),
       value=NUMBERISH)
def test_fuzz_figures(no_work, option, value):
    if "\x00" in value or value.startswith("-") and option in ("--out", "--cache-dir", "--readme", "--only"):
        return
    argv = ["figures", "--quick", "--only", "phase-R8", "--jobs", "1", f"{option}={value}"]
    code, err = outcome(argv)
    if code != "reached":
        assert_one_line_error(argv, code, err, [option])


@FUZZ
@given(option=st.sampled_from(["--only", "--cache-dir"]), value=NUMBERISH)
def test_fuzz_check(no_work, option, value):
    if "\x00" in value or value.startswith("-"):
        return
    argv = ["check", "--quick", f"{option}={value}"]
    code, err = outcome(argv)
    if code != "reached":
        assert_one_line_error(argv, code, err, [option])


# -- (b) one row per reported case -------------------------------------------------------------

CASES = [
    # (argv, words the one error line must contain)
    (["explore", "R5", "--set", "seeds=0"], ["seeds", "[1, 1000]"]),
    (["explore", "R5", "--set", "seeds=-2"], ["seeds", "[1, 1000]"]),
    (["explore", "R5", "--set", "seeds=abc"], ["seeds", "[1, 1000]"]),
    (["explore", "R5", "--set", "n=1e9"], ["n must be an integer in [2, 20]"]),
    (["explore", "R5", "--set", "n=-3"], ["n must be an integer in [2, 20]"]),
    (["explore", "R5", "--set", "n=12.7"], ["n must be an integer", "integer parameter"]),
    (["explore", "R5", "--set", "x=abc"], ["xs", "[0.01, 0.445]"]),
    (["explore", "R5", "--set", "x=0.7"], ["xs", "[0.01, 0.445]"]),
    (["explore", "R5", "--set", "w_t=0.8"], ["w_t=0.8", "sum to 1"]),
    (["explore", "R5", "--set", "eps_w=0.5"], ["eps_w", "(0, 0.5)"]),
    (["explore", "R13", "--set", "K=4", "--set", "n=11"], ["n must be an integer in [2, 10]"]),
    (["explore", "R13", "--set", "K=9"], ["K must be an integer in [2, 8]"]),
    (["explore", "R5", "--set", "agree=1.5"], ["agree must be a number in [0, 1]"]),
    (["explore", "R5", "--jobs", "0"], ["--jobs"]),
    (["explore", "R99"], ["REGIME 'R99'", "R5-compressibility-bias", "R13-many-labels"]),
    (["figures", "--seed", "-5", "--only", "phase-R8"], ["--seed", "[0, 2147483647]"]),
    (["figures", "--out", "pyproject.toml", "--only", "phase-R8"], ["--out"]),
    (["figures", "--out", "/proc/x", "--only", "phase-R8"], ["--out"]),
    (["figures", "--readme", "/proc/x/r.md", "--only", "phase-R8"], ["--readme"]),
    (["figures", "--cache-dir", "/proc/c", "--only", "phase-R8"], ["--cache-dir"]),
    (["figures", "--only", "R99"], ["--only", "R99"]),
    (["all", "--quick", "--skip-figures", "--out", "/proc/x"], ["--out"]),
    (["all", "--quick", "--out", "pyproject.toml"], ["--out"]),
    (["check", "--only", "C9.nothing"], ["--only", "C9.nothing"]),
    (["check", "--cache-dir", "/proc/c"], ["--cache-dir"]),
]


@pytest.mark.parametrize("argv,words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_reported_case_is_a_one_line_error(no_work, argv, words):
    if any(a.startswith("/proc") for a in argv) and not Path("/proc/self").exists():
        pytest.skip("needs /proc")
    (Path.cwd() / "pyproject.toml").write_text("a file, not a folder\n")
    code, err = outcome(argv)
    assert_one_line_error(argv, code, err, [words[0]])
    for w in words:
        assert w in err, (w, err)
    assert "--only" not in err or argv[0] != "explore"     # explore does not talk about figures' --only


def test_the_error_lines_shown_in_the_docs_are_the_real_ones(no_work):
    doc = (ROOT / "docs" / "reliability.md").read_text()
    shown = [line for line in doc.splitlines() if line.startswith("coherence ") and ": error: " in line]
    assert len(shown) == 2
    for argv, line in zip([["figures", "--seed", "-5"], ["explore", "R5", "--set", "n=1e9"]], shown):
        code, err = outcome(argv)
        assert code == 2 and err.strip() == line


def test_dask_without_the_extra_names_it(tmp_path):
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('dask', 'distributed'):\n"
            "            raise ModuleNotFoundError(name, name=name)\n"
            "sys.meta_path.insert(0, Block())\n"
            "from coherence.cli import main\n"
            "sys.exit(main(['figures', '--backend', 'dask', '--only', 'phase-R8', "
            f"'--out', {str(tmp_path / 'f')!r}]))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 2, p.stderr
    assert p.stderr.strip().splitlines() == [p.stderr.strip()] and "pip install -e '.[dask]'" in p.stderr
    assert not (tmp_path / "f").exists()              # refused before any work


def test_explore_help_lists_regimes_parameters_defaults_and_ranges(capsys):
    with pytest.raises(SystemExit) as e:
        main(["explore", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    from simulations.experiments import REGISTRY

    for exp in REGISTRY():
        assert f"  {exp.id}  (" in out, exp.id
    assert "      w_t = 0.7  (a number in (0, 1))" in out
    assert "      n = 12  (an integer in [2, 20])" in out
    assert "seeds = 4  (a count in [1, 1000]" in out


def test_explore_title_shows_the_set_parameters(capsys):
    assert main(["explore", "R5", "--set", "n=10", "--set", "x=0.2", "--set", "seeds=1", "--no-cache",
                 "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    head = out.splitlines()[:2]
    assert "n = 12" not in out and "n = 10 (set)" in head[1] and "w_t = 0.7," in head[1], head
    assert "verdict: not judged: not defined for a single x" in out


def test_explore_coarse_grid_is_not_judged_and_the_verdict_states_its_tolerance(capsys):
    """A 0.1-step grid cannot place a switch predicted between its points to better than 0.1;
    with a tolerance of two of the user's own steps it once 'confirmed' a far-off switch. Now it is
    not judged, and the reported tolerance is two reference steps."""
    assert main(["explore", "R5", "--set", "xs=0.02,0.1,0.2,0.3,0.4", "--set", "seeds=1", "--no-cache", "--jobs", "1",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "not judged" and doc["finding"] is None
    assert doc["judgement"]["reason"].startswith("grid too coarse (xs step 0.1 > reference 0.01")
    assert doc["judgement"]["tolerance"] == 0.02


# -- (d) permissions -------------------------------------------------------------------------

@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o077, 0o600)])
def test_outputs_follow_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        assert main(["figures", "--quick", "--only", "phase-R8", "--out", str(tmp_path / "f"), "--jobs", "1",
                     "--cache-dir", str(tmp_path / "c")]) == 0
        assert main(["check", "--quick", "--only", "I.chain-rule", "--json", "--cache-dir", str(tmp_path / "c")]) == 0
    finally:
        os.umask(old)
    files = ([p for p in (tmp_path / "f").rglob("*") if p.is_file()]
             + [p for p in (tmp_path / "c").rglob("*") if p.is_file()])
    assert len(files) >= 6
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {mode}, [(p.name, oct(p.stat().st_mode)) for p in files]
