"""Interrupted runs resume: ``coherence check`` and ``coherence figures`` are stopped with SIGINT
(Ctrl-C) or SIGKILL in a child process, rerun, and must end with the same results as a run that
was never interrupted (byte for byte for figures; for checks every field but the timing)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: in registry order: a 0.6 s check, an instant one, a ~4 s one (the signal lands in it), an instant one
CHECKS = ["C2.lambda-eta-map", "C5.R2", "C5.R10", "I.chain-rule"]


def _env(cache: Path) -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), COHERENCE_CACHE_DIR=str(cache))


def default_sigint() -> None:
    """In the child before exec: SIGINT back to its default action. A shell without job control
    (CI runners, `cmd &`) starts commands with SIGINT ignored, and an ignored SIGINT is inherited,
    so Python would never raise KeyboardInterrupt and the test could not interrupt anything."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args, cache: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "coherence.cli", *args], cwd=ROOT, env=_env(cache),
                            preexec_fn=default_sigint,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(args, cache: Path):
    p = _start(args, cache)
    out, err = p.communicate(timeout=300)
    return p.returncode, out, err


def _wait_for(pattern_dir: Path, glob: str, count: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(list(pattern_dir.glob(glob))) >= count:
            return
        if proc.poll() is not None:
            raise AssertionError(f"finished before it could be interrupted: {proc.communicate()}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("nothing was written in time")


def _interrupt(args, cache: Path, glob: str, count: int, sig) -> None:
    """Start ``coherence ARGS``, send ``sig`` once ``count`` files match ``glob`` under the cache,
    and check it stopped as documented: exit 130 on SIGINT, killed on SIGKILL, no traceback."""
    proc = _start(args, cache)
    _wait_for(cache, glob, count, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL), err
    assert "Traceback" not in err


def _without_timing(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


@pytest.fixture(scope="module")
def reference_checks(tmp_path_factory):
    code, out, err = _finish(["check", "--quick", "--json", "--only", *CHECKS], tmp_path_factory.mktemp("ref"))
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_check_resumes_after_interrupt(tmp_path, reference_checks, sig):
    args = ["check", "--quick", "--json", "--only", *CHECKS]
    proc = _start(args, tmp_path)
    _wait_for(tmp_path / "checks", "*/*.json", 1, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    kept = sorted(p.stem for p in (tmp_path / "checks").glob("*/*.json"))
    assert 1 <= len(kept) < len(reference_checks), "the signal did not land mid-run"
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
        partial = json.loads(out)                # still one valid JSON document: the finished records
        assert [r["id"] for r in partial] == kept == [r["id"] for r in reference_checks[:len(kept)]]
        assert "rerun to resume" in err and "Traceback" not in err
    else:
        assert proc.returncode == -signal.SIGKILL
    code, out, err = _finish(args, tmp_path)
    assert code == 0, err
    assert err.count(", cached)") == len(kept)         # the finished checks were not run again
    assert _without_timing(json.loads(out)) == _without_timing(reference_checks)


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


FIG = ["figures", "--quick", "--jobs", "1", "--only"]


@pytest.fixture(scope="module")
def reference_figure(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fig")
    code, _, err = _finish([*FIG, "phase-R8", "--out", str(tmp / "out")], tmp / "cache")
    assert code == 0, err
    return _tree(tmp / "out")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_figures_resume_after_interrupt_with_the_same_bytes(tmp_path, reference_figure, sig):
    args = [*FIG, "phase-R8", "--out", str(tmp_path / "out")]
    _interrupt(args, tmp_path / "cache", "sweeps/*.json", 3, sig)
    assert not (tmp_path / "out" / "manifest.json").exists()       # stopped inside the only figure
    done = len(list((tmp_path / "cache" / "sweeps").glob("*.json")))
    code, _, err = _finish(args, tmp_path / "cache")
    assert code == 0, err
    assert _tree(tmp_path / "out") == reference_figure
    assert len(list((tmp_path / "cache" / "sweeps").glob("*.json"))) >= done


@pytest.mark.slow
def test_interrupted_figures_leave_a_manifest_of_the_finished_ones(tmp_path):
    """Two figures; SIGKILL during the second: the manifest lists the first, and the rerun ends with
    the bytes of an uninterrupted run."""
    two = [*FIG, "R12", "phase-R8"]
    code, _, err = _finish([*two, "--out", str(tmp_path / "ref")], tmp_path / "cache-ref")
    assert code == 0, err
    proc = _start([*two, "--out", str(tmp_path / "out")], tmp_path / "cache")
    _wait_for(tmp_path / "out", "manifest.json", 1, proc, timeout=300)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [f["id"] for f in man["figures"]] == ["R12-leaky-constraints"]
    assert (tmp_path / "out" / "data" / "R12-leaky-constraints.json").exists()
    code, _, err = _finish([*two, "--out", str(tmp_path / "out")], tmp_path / "cache")
    assert code == 0, err
    assert _tree(tmp_path / "out") == _tree(tmp_path / "ref")


@pytest.fixture(scope="module")
def reference_all(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("all-ref")
    code, _, err = _finish(["all", "--quick", "--skip-figures", "--out", str(tmp / "out")], tmp / "cache")
    assert code == 0, err
    return (_without_timing(json.loads((tmp / "out" / "claims.json").read_text())),
            (tmp / "out" / "claims.md").read_bytes())


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_all_resumes_after_interrupt(tmp_path, reference_all, sig):
    """``all`` stopped after a few checks: the claims table on disk is whole (valid JSON, the
    finished checks only), and the rerun runs only the rest and ends with the uninterrupted
    run's claims (every field but the timing; claims.md byte for byte)."""
    args = ["all", "--quick", "--skip-figures", "--out", str(tmp_path / "out")]
    _interrupt(args, tmp_path / "cache", "checks/*/*.json", 5, sig)
    partial = json.loads((tmp_path / "out" / "claims.json").read_text())
    ref_claims, ref_md = reference_all
    assert 1 <= len(partial) < len(ref_claims)
    assert _without_timing(partial) == [r for r in ref_claims if r["id"] in {p["id"] for p in partial}]
    done = len(list((tmp_path / "cache" / "checks").glob("*/*.json")))
    code, _, err = _finish(args, tmp_path / "cache")
    assert code == 0, err
    assert err.count("cached") >= min(done, len(partial)), "the rerun recomputed finished checks"
    assert _without_timing(json.loads((tmp_path / "out" / "claims.json").read_text())) == ref_claims
    assert (tmp_path / "out" / "claims.md").read_bytes() == ref_md
