"""The prepared GPU table script runs end to end on CPU at small n (tiny-random) and writes a
resumable table file whose records hold the settings the script passed."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[1]


def test_gpu_table_script_on_cpu(tmp_path):
    env = dict(os.environ, MODELS="tiny-random", N="8", DEVICE="cpu", CHUNK="4", SEEDS="0",
               TASKS="polarity-high capitals-easy", OUT=str(tmp_path), PYTHON=sys.executable,
               PYTHONPATH=str(ROOT))
    r = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_lm_table.sh")], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    files = list(tmp_path.glob("tiny-random-n8-*.json"))
    assert len(files) == 1
    data = json.loads(files[0].read_text())
    assert data["config"]["n"] == 8 and data["config"]["chunk"] == 4
    assert {k.split("|")[0] for k in data["runs"]} == {"polarity-high", "capitals-easy", "polarity-pairs"}
    assert "P1:" in r.stdout and "P3:" in r.stdout


def test_gpu_table_script_spent_budget_runs_no_cell_and_still_reports(tmp_path):
    """BUDGET=0: every model's share is spent before its first cell, so the script writes table
    files without runs, says how many cells are left, and still exits 0 with the predictions."""
    env = dict(os.environ, MODELS="tiny-random", N="8", DEVICE="cpu", CHUNK="4", SEEDS="0",
               TASKS="polarity-high", OUT=str(tmp_path), PYTHON=sys.executable, PYTHONPATH=str(ROOT), BUDGET="0")
    r = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_lm_table.sh")], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    files = list(tmp_path.glob("tiny-random-n8-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["runs"] == {}
    assert r.stderr.count("--budget-s 0 spent") == 2  # the main tasks and the contrast pairs
    assert "P1:" in r.stdout
