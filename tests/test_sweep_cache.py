"""The sweep machinery: cache hits, resume after an interrupt or a kill, atomic writes, parallel
backends agreeing with the sequential one, same seed -> same bytes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from simulations import sweep as S
from simulations.io import atomic_write_text
from sweep_fixture import demo_point


def _calls(log: Path) -> int:
    return len(list(log.iterdir())) if log.exists() else 0


def test_results_match_direct_calls_and_cache_hits(tmp_path):
    log = tmp_path / "log"
    pts = [{"seed": s, "log": str(log)} for s in range(6)]
    r1 = S.sweep(demo_point, pts, cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 6
    # oracle: the function itself, called directly (different draws per seed)
    for p, r in zip(pts, r1):
        assert r["values"] == np.random.default_rng(p["seed"]).standard_normal(3).tolist()
    r2 = S.sweep(demo_point, pts, cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 6, "a cached point was recomputed"
    assert r2 == r1
    # a different salt or a changed parameter is a different key: recomputed
    S.sweep(demo_point, pts[:2], cache=tmp_path / "c", backend="sequential", progress=False, salt="v2")
    assert _calls(log) == 8
    S.sweep(demo_point, [dict(pts[0], draws=4)], cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 9


def test_key_depends_on_point_not_dict_order():
    a = S.point_key(demo_point, {"seed": 1, "draws": 2})
    assert a == S.point_key(demo_point, {"draws": 2, "seed": 1})
    assert a != S.point_key(demo_point, {"seed": 2, "draws": 2})
    assert a != S.point_key(demo_point, {"seed": 1, "draws": 2}, salt="x")


def test_resume_after_simulated_ctrl_c(tmp_path):
    log, flag = tmp_path / "log", tmp_path / "STOP"
    pts = [{"seed": s, "log": str(log)} for s in range(5)]
    pts[3]["interrupt"] = str(flag)
    flag.touch()
    with pytest.raises(KeyboardInterrupt):
        S.sweep(demo_point, pts, cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 3                          # points 0, 1, 2 finished and were cached
    assert len(list((tmp_path / "c").glob("*.json"))) == 3
    flag.unlink()
    res = S.sweep(demo_point, pts, cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 5, "resume recomputed finished points"
    assert [r["seed"] for r in res] == list(range(5))


def test_resume_after_kill(tmp_path):
    """SIGKILL a sweep mid-run in a child process; the rerun computes only the missing points."""
    log, cache = tmp_path / "log", tmp_path / "c"
    code = ("import sys; from simulations import sweep as S; from sweep_fixture import demo_point; "
            f"pts=[{{'seed': s, 'log': {str(log)!r}, 'sleep': 0.25}} for s in range(12)]; "
            f"S.sweep(demo_point, pts, cache={str(cache)!r}, backend='sequential', progress=False)")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root,
                            env=dict(os.environ, PYTHONPATH=f"{root}{os.pathsep}{root / 'tests'}"))
    deadline = time.time() + 60
    while _calls(log) < 3 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(list(cache.glob("*.json")))
    assert 2 <= done < 12
    for f in cache.glob("*.json"):
        json.loads(f.read_text())                     # every cache entry is complete JSON
    before = _calls(log)
    pts = [{"seed": s, "log": str(log), "sleep": 0.25} for s in range(12)]
    res = S.sweep(demo_point, pts, cache=cache, backend="sequential", progress=False)
    assert _calls(log) - before == 12 - done
    assert [r["seed"] for r in res] == list(range(12))


def test_atomic_write_never_leaves_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "x.json"
    atomic_write_text(target, "old\n")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new content that must not appear half-written\n")
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"], "temporary file left behind"


def test_unreadable_cache_entry_is_recomputed(tmp_path):
    log = tmp_path / "log"
    pt = {"seed": 4, "log": str(log)}
    S.sweep(demo_point, [pt], cache=tmp_path / "c", backend="sequential", progress=False)
    (tmp_path / "c" / f"{S.point_key(demo_point, pt)}.json").write_text("{trunc")
    r = S.sweep(demo_point, [pt], cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 2 and r[0]["seed"] == 4


def test_loky_matches_sequential_same_bytes(tmp_path):
    pts = [{"seed": s, "draws": 5} for s in range(8)]
    seq = S.sweep(demo_point, pts, use_cache=False, backend="sequential", progress=False)
    par = S.sweep(demo_point, pts, cache=tmp_path / "c", backend="loky", n_jobs=2, progress=False)
    cached = S.sweep(demo_point, pts, cache=tmp_path / "c", backend="loky", n_jobs=2, progress=False)
    assert S.canonical_json(seq) == S.canonical_json(par) == S.canonical_json(cached)


def test_bad_backend_and_jobs_raise():
    with pytest.raises(ValueError, match="backend"):
        S.sweep(demo_point, [{"seed": 0}], backend="spark", use_cache=False, progress=False)
    with pytest.raises(ValueError, match="n_jobs"):
        S.sweep(demo_point, [{"seed": 0}], n_jobs=0, use_cache=False, progress=False)


def test_cache_lives_in_the_user_cache_folder_not_the_current_one(tmp_path, monkeypatch):
    monkeypatch.delenv(S.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    assert S.cache_dir() == tmp_path / "xdg" / "coherence" / "sweeps"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert S.cache_dir() == tmp_path / "home" / ".cache" / "coherence" / "sweeps"
    monkeypatch.setenv(S.CACHE_ENV, str(tmp_path / "elsewhere"))
    assert S.cache_dir() == tmp_path / "elsewhere" / "sweeps"
    assert S.cache_dir(tmp_path / "arg") == tmp_path / "arg" / "sweeps"     # --cache-dir wins
    S.sweep(demo_point, [{"seed": 1}], backend="sequential", progress=False)
    assert len(list((tmp_path / "elsewhere" / "sweeps").glob("*.json"))) == 1
    assert not (tmp_path / ".cache").exists()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")       # a zombie no longer computes


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_loky_workers_die_with_a_killed_parent(tmp_path):
    """SIGKILL the process running a parallel sweep: its workers, busy with 60 s points, exit
    within seconds instead of finishing their points (or idling for minutes)."""
    log = tmp_path / "log"
    root = Path(__file__).resolve().parents[1]
    code = ("from simulations import sweep as S; from sweep_fixture import demo_point; "
            f"pts=[{{'seed': s, 'log': {str(log)!r}, 'sleep': 60}} for s in range(4)]; "
            f"S.sweep(demo_point, pts, cache={str(tmp_path / 'c')!r}, backend='loky', n_jobs=2, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root,
                            env=dict(os.environ, PYTHONPATH=f"{root}{os.pathsep}{root / 'tests'}"))
    deadline = time.time() + 60
    pids = set()
    while len(pids) < 2 and time.time() < deadline:
        time.sleep(0.1)
        pids = {int(f.name.split("-")[2]) for f in log.iterdir()} if log.exists() else set()
    assert len(pids) == 2, "the workers did not start"
    assert proc.pid not in pids and all(_alive(p) for p in pids)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while any(_alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)
    left = [p for p in pids if _alive(p)]
    for p in left:                            # do not leave them behind if the test fails
        os.kill(p, signal.SIGKILL)
    assert not left, f"workers {left} outlived their killed parent"
