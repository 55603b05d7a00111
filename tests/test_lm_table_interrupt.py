"""`coherence lm table` interrupted by SIGKILL or SIGINT resumes: the file on disk is always valid
JSON, the rerun computes only the missing cells, and its records equal an uninterrupted run's
(timings aside: same seed, same numbers)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]
TIMING = {"seconds", "tokens_per_s"}
ARGS = ["lm", "table", "--model", "tiny-random", "--device", "cpu", "--threads", "1", "-n", "8", "--chunk", "2",
        "--sweeps", "2", "--coh-orders", "2", "--chains", "2", "--seeds", "0",
        "--tasks", "polarity-high", "capitals-easy",
        "--methods", "zero-shot", "golden-few-shot", "chunked-bootstrap", "coherence"]


def default_sigint() -> None:
    """In the child before exec: SIGINT back to its default action (a shell without job control
    starts commands with SIGINT ignored, and that is inherited)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cmd(out):
    return [sys.executable, "-m", "coherence.cli", *ARGS, "--out", str(out)]


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT))


def _records(folder):
    (f,) = list(Path(folder).glob("tiny-random-n8-*.json"))
    data = json.loads(f.read_text())
    return {k: {a: b for a, b in r.items() if a not in TIMING} for k, r in data["runs"].items()}, data


def _interrupt(out, sig):
    p = subprocess.Popen(_cmd(out), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=default_sigint)
    deadline = time.time() + 300
    while time.time() < deadline:
        files = list(Path(out).glob("tiny-random-n8-*.json"))
        if files and p.poll() is None:
            try:
                if len(json.loads(files[0].read_text())["runs"]) >= 2:
                    break
            except ValueError:  # pragma: no cover - the writer is atomic; a partial file is a failure
                pytest.fail("a half-written table file was visible")
        if p.poll() is not None:
            break
        time.sleep(0.02)
    assert p.poll() is None, "the table finished before it could be interrupted"
    p.send_signal(sig)
    rc = p.wait(timeout=60)
    return rc, p.stderr.read().decode()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_table_resumes_to_the_same_records(tmp_path, sig):
    full = tmp_path / "full"
    r = subprocess.run(_cmd(full), env=_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    want, _ = _records(full)
    part = tmp_path / "part"
    rc, err = _interrupt(part, sig)
    if sig == signal.SIGINT:
        assert rc == 130 and "Traceback" not in err
    else:
        assert rc == -signal.SIGKILL
    done, _ = _records(part)           # valid JSON after the interrupt
    assert 2 <= len(done) < len(want)
    assert all(done[k] == want[k] for k in done)
    r = subprocess.run(_cmd(part), env=_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    got, data = _records(part)
    assert got == want
