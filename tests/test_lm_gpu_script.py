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
               PYTHONPATH=str(ROOT), TRAIN_N="8", TRAIN_HELDOUT="4", TRAIN_BLOCK="4", TRAIN_ORDERS="3")
    r = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_lm_table.sh")], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    files = list(tmp_path.glob("tiny-random-n8-*.json"))
    assert len(files) == 1
    data = json.loads(files[0].read_text())
    assert data["config"]["n"] == 8 and data["config"]["chunk"] == 4
    assert {k.split("|")[0] for k in data["runs"]} == {"polarity-high", "capitals-easy", "polarity-pairs",
                                                        "polarity-random-pairs"}
    assert "P1:" in r.stdout and "P3:" in r.stdout
    # the training table, at the settings the script passed, judged for P7 in the same report
    train = list((tmp_path / "training").glob("train-tiny-random-n8-*.json"))
    assert len(train) == 1
    t = json.loads(train[0].read_text())
    assert (t["config"]["n"], t["config"]["heldout"], t["config"]["block"], t["config"]["coh_orders"]) == (8, 4, 4, 3)
    assert set(t["records"]) == {"polarity-pairs|0", "polarity-high|0"}
    assert "P7:" in r.stdout


def test_gpu_script_adds_the_truthfulqa_testbed_from_a_users_copy(tmp_path):
    """TRUTHFULQA and TRUTHFULQA_EVAL: one diagnose per model on whole groups of the evaluation
    subset, under the testbed's relation, recording the subset it measured."""
    recs = [{"question": f"Q{q}?", "choice": f"C{q}.{j}", "label": int(j < q % 4), "consistency_id": 10 + q}
            for q in range(6) for j in range(4)]
    (tmp_path / "tqa.json").write_text(json.dumps(recs))
    (tmp_path / "ev.json").write_text(json.dumps({"consistency_ids": [10, 11, 12, 13]}))
    out = tmp_path / "out"
    env = dict(os.environ, MODELS="tiny-random", N="8", TQA_N="8", DEVICE="cpu", CHUNK="4", SEEDS="0",
               TASKS="polarity-high", OUT=str(out), PYTHON=sys.executable, PYTHONPATH=str(ROOT), BUDGET="0",
               TRUTHFULQA=str(tmp_path / "tqa.json"), TRUTHFULQA_EVAL=str(tmp_path / "ev.json"))
    r = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_lm_table.sh")], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    d = json.loads((out / "diagnose" / "truthfulqa-tiny-random-n8.json").read_text())
    assert d["preset"] == "truthfulqa" and d["constraint"] == "free-groups" and d["n"] == 8
    assert set(d["subset"]["consistency_ids"]) <= {10, 11, 12, 13} and len(d["subset"]["consistency_ids"]) == 2
    # its stages are kept, so a rerun of the script resumes the diagnosis instead of repeating it
    ckpt = json.loads((out / "diagnose" / "truthfulqa-tiny-random-n8.checkpoint.json").read_text())
    assert list(ckpt["stages"])[-1] == "decisive" and ckpt["identity"]["task_sha256"] == d["task_sha256"]
    assert ckpt["forward_tokens"] == d["forward_tokens"]


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
    assert r.stderr.count("--budget-s 0 spent") == 3  # the main tasks, the contrast pairs, the training table
    assert "P1:" in r.stdout


def test_docs_state_the_scripts_training_defaults_and_their_interval_widths():
    """docs/lm.md's GPU paragraph: the training table's n, held-out items and orders are the
    script's defaults, and the interval half-widths quoted are Student-t quantiles at orders - 1
    degrees of freedom (2 orders: the default; 4: the script's)."""
    import re

    from scipy.stats import t

    script = (ROOT / "scripts" / "gpu_lm_table.sh").read_text()
    default = {k: int(v) for k, v in re.findall(r"^(TRAIN_\w+)=\$\{\w+:-(\d+)\}$", script, re.M)}
    text = " ".join((ROOT / "docs" / "lm.md").read_text().split())
    gpu = text[text.index("## GPU"):text.index("## Precision")]
    assert f"at n = {default['TRAIN_N']} with {default['TRAIN_HELDOUT']} held-out items" in gpu
    assert default["TRAIN_N"] + default["TRAIN_HELDOUT"] == 128  # every contrast pair of the test split
    wide = f"{t.ppf(0.975, default['TRAIN_ORDERS'] - 1):.1f} standard errors"
    assert f"{default['TRAIN_ORDERS']} evaluation orders instead of 2, so P7's intervals are {wide}" in gpu
    assert f"rather than {t.ppf(0.975, 1):.1f}" in gpu
