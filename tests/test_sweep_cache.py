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


def _calls(log: Path) -> int:
    return len(list(log.iterdir())) if log.exists() else 0


def test_results_match_direct_calls_and_cache_hits(tmp_path):
    log = tmp_path / "log"
    pts = [{"seed": s, "log": str(log)} for s in range(6)]
    r1 = S.sweep(S.demo_point, pts, cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 6
    # oracle: the function itself, called directly (different draws per seed)
    for p, r in zip(pts, r1):
        assert r["values"] == np.random.default_rng(p["seed"]).standard_normal(3).tolist()
    r2 = S.sweep(S.demo_point, pts, cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 6, "a cached point was recomputed"
    assert r2 == r1
    # a different salt or a changed parameter is a different key: recomputed
    S.sweep(S.demo_point, pts[:2], cache=tmp_path / "c", backend="sequential", progress=False, salt="v2")
    assert _calls(log) == 8
    S.sweep(S.demo_point, [dict(pts[0], draws=4)], cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 9


def test_key_depends_on_point_not_dict_order():
    a = S.point_key(S.demo_point, {"seed": 1, "draws": 2})
    assert a == S.point_key(S.demo_point, {"draws": 2, "seed": 1})
    assert a != S.point_key(S.demo_point, {"seed": 2, "draws": 2})
    assert a != S.point_key(S.demo_point, {"seed": 1, "draws": 2}, salt="x")


def test_resume_after_simulated_ctrl_c(tmp_path):
    log, flag = tmp_path / "log", tmp_path / "STOP"
    pts = [{"seed": s, "log": str(log)} for s in range(5)]
    pts[3]["interrupt"] = str(flag)
    flag.touch()
    with pytest.raises(KeyboardInterrupt):
        S.sweep(S.demo_point, pts, cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 3                          # points 0, 1, 2 finished and were cached
    assert len(list((tmp_path / "c").glob("*.json"))) == 3
    flag.unlink()
    res = S.sweep(S.demo_point, pts, cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 5, "resume recomputed finished points"
    assert [r["seed"] for r in res] == list(range(5))


def test_resume_after_kill(tmp_path):
    """SIGKILL a sweep mid-run in a child process; the rerun computes only the missing points."""
    log, cache = tmp_path / "log", tmp_path / "c"
    code = ("import sys; from simulations import sweep as S; "
            f"pts=[{{'seed': s, 'log': {str(log)!r}, 'sleep': 0.25}} for s in range(12)]; "
            f"S.sweep(S.demo_point, pts, cache={str(cache)!r}, backend='sequential', progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1])
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
    res = S.sweep(S.demo_point, pts, cache=cache, backend="sequential", progress=False)
    assert _calls(log) - before == 12 - done
    assert [r["seed"] for r in res] == list(range(12))


def test_atomic_write_never_leaves_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "x.json"
    S.atomic_write_text(target, "old\n")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        S.atomic_write_text(target, "new content that must not appear half-written\n")
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"], "temporary file left behind"


def test_unreadable_cache_entry_is_recomputed(tmp_path):
    log = tmp_path / "log"
    pt = {"seed": 4, "log": str(log)}
    S.sweep(S.demo_point, [pt], cache=tmp_path / "c", backend="sequential", progress=False)
    (tmp_path / "c" / f"{S.point_key(S.demo_point, pt)}.json").write_text("{trunc")
    r = S.sweep(S.demo_point, [pt], cache=tmp_path / "c", backend="sequential", progress=False)
    assert _calls(log) == 2 and r[0]["seed"] == 4


def test_loky_matches_sequential_same_bytes(tmp_path):
    pts = [{"seed": s, "draws": 5} for s in range(8)]
    seq = S.sweep(S.demo_point, pts, use_cache=False, backend="sequential", progress=False)
    par = S.sweep(S.demo_point, pts, cache=tmp_path / "c", backend="loky", n_jobs=2, progress=False)
    cached = S.sweep(S.demo_point, pts, cache=tmp_path / "c", backend="loky", n_jobs=2, progress=False)
    assert S.canonical_json(seq) == S.canonical_json(par) == S.canonical_json(cached)


def test_bad_backend_and_jobs_raise():
    with pytest.raises(ValueError, match="backend"):
        S.sweep(S.demo_point, [{"seed": 0}], backend="spark", use_cache=False, progress=False)
    with pytest.raises(ValueError, match="n_jobs"):
        S.sweep(S.demo_point, [{"seed": 0}], n_jobs=0, use_cache=False, progress=False)
