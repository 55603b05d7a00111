"""The real-model predictions P1-P8 as checks of `coherence check` (proofs_check.p_real_models):
the same verdicts as `coherence lm predictions` on the same files, the combination rule over
models, `not judged` with a reason when there is no file, and no [lm] extra needed to run them."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from proofs_check import p_real_models as P
from proofs_check.catalogue import all_checks
from proofs_check.registry import run_check
from simulations.lm.results.predictions import evaluate
from simulations.lm.results.training_prediction import p7
from simulations.lm.results.table_file import read_table_file
from simulations.lm.results.training_file import read_training_file

ROOT = Path(__file__).resolve().parents[1]


def _checks():
    return {c.claim: c for c in all_checks() if c.claim.startswith("P")}


def test_every_prediction_is_a_check_of_its_own_claim():
    assert sorted(_checks()) == [f"P{j}" for j in range(1, 9)]
    assert all(c.module == "proofs_check.p_real_models" for c in _checks().values())


@pytest.mark.parametrize("verdicts, want", [
    ({"a": "holds", "b": "holds"}, "holds"), ({"a": "holds", "b": "fails"}, "fails"),
    ({"a": "holds", "b": "not judged"}, "not judged"), ({"a": "not judged", "b": "fails"}, "fails"), ({}, "not judged"),
])
def test_models_combine_into_one_verdict(verdicts, want):
    assert P.combine(verdicts) == want


def test_committed_files_give_the_verdicts_of_lm_predictions():
    """Each P-check reports, per model, the verdict `coherence lm predictions` gives on the same
    committed file; a failing model is the counterexample."""
    tables = P.table_files()
    assert tables, "the committed n = 64 tables are missing"
    by_model = {}
    for f in tables:
        data = read_table_file(f)
        by_model[data["config"]["model"]] = {p["id"]: p["verdict"] for p in evaluate(data)}
    for claim, c in _checks().items():
        rec = run_check(c, quick=True)
        if claim == "P7":
            files = sorted(P.LM_DATA.glob(P.TRAINING))
            want = {read_training_file(f)["config"]["model"]: p7(read_training_file(f))["verdict"] for f in files}
        else:
            want = {m: v[claim] for m, v in by_model.items()}
        if not want:
            assert rec["verdict"] == "not judged" and "no committed file" in rec["measured"]["reason"]
            continue
        assert {m: r["verdict"] for m, r in rec["measured"]["models"].items()} == want, claim
        assert rec["verdict"] == P.combine(want), claim
        if rec["verdict"] == "fails":
            assert set(rec["counterexample"]) == {m for m, v in want.items() if v == "fails"}
        else:
            assert rec["counterexample"] is None


def test_no_file_is_not_judged_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(P, "LM_DATA", tmp_path)
    for c in _checks().values():
        rec = run_check(c, quick=True)
        assert rec["verdict"] == "not judged" and rec["measured"]["files"] == []
        assert "no committed file matches" in rec["measured"]["reason"]


def test_a_file_that_confirms_and_one_that_refutes(tmp_path, monkeypatch):
    """Two synthetic table files, judged by P5 (a sampler's statement read from the Gibbs
    records): chains that never flip and disagree confirm it, chains that flip and agree refute
    it; the refuting model is the counterexample."""
    src = P.table_files()[0]
    base = json.loads(src.read_text())
    for model, (flips, chains) in {"calm": (0, [[0, 1], [1, 0]]), "restless": (5, [[0, 1], [0, 1]])}.items():
        d = json.loads(json.dumps(base))
        d["config"]["model"] = model
        for r in d["runs"].values():
            if r["method"] == "chunked-gibbs":
                r["chains_final"] = [c * (r["n"] // 2) for c in chains]
                r["trace"] = [[0] * r["n"], [int(i < flips) for i in range(r["n"])]]
        (tmp_path / f"{model}-n64-x.json").write_text(json.dumps(d))
    monkeypatch.setattr(P, "LM_DATA", tmp_path)
    rec = run_check(_checks()["P5"], quick=True)
    got = {m: r["verdict"] for m, r in rec["measured"]["models"].items()}
    assert got == {"calm": "holds", "restless": "fails"} and rec["verdict"] == "fails"
    assert set(rec["counterexample"]) == {"restless"}


def test_the_checks_need_no_language_model_library():
    code = ("import sys; import proofs_check.p_real_models; "
            "print([m for m in ('torch', 'transformers', 'peft') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
