"""``coherence lm recheck``: one stored cell of a table file computed again.

* on a tiny random model's table, a certified cell (given the bootstrap's and ICM's ends, as it was)
  and a landscape with its climb from gold come out with the same labels, the same Coh per order
  and the same forward tokens as stored (each cell runs on a fresh scorer, so its cost is
  deterministic), and ``--out`` holds what ``--json`` prints, with the code version;
* a stored labelling that the code does not reproduce is reported as differing, exit 1;
* a cell the file lacks, a method that is not one, a seed that is not an integer, or another model
  is refused by name, exit 2, before the model loads.
"""
from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from coherence.cli import main  # noqa: E402
from tests.test_docs_contracts import assert_matches, inline_keys  # noqa: E402

ARGS = ["--model", "tiny-random", "--device", "cpu", "--threads", "1", "--dtype", "float32"]


@pytest.fixture(scope="module")
def tiny_table(tmp_path_factory):
    from simulations.lm.backends.loader import load
    from simulations.lm.results import table as T

    lm = load("tiny-random", device="cpu", threads=1)
    out = tmp_path_factory.mktemp("recheck")
    cfg = T.TableConfig(model="tiny-random", n=8, chunk=4, sweeps=1, shots=2, random_labellings=2, n_dev=8,
                        coh_orders=3, checks=2, polish_orders=2, confirm_orders=2, debate_check_items=0,
                        dtype=lm.dtype, formats={"polarity-high": "word-sentiment"})
    T.run_table(lm, cfg, ["polarity-high"], ["zero-shot", "chunked-bootstrap", "chunked-icm", "coherence"], [0], out,
                quiet=True)
    return T.table_path(out, cfg)


def test_a_certified_cell_and_a_landscape_come_out_as_stored(tiny_table, tmp_path, capsys):
    data = json.loads(tiny_table.read_text())
    stored = data["runs"]["polarity-high|coherence|0"]
    assert {"bootstrap", "icm"} <= {s["start"] for s in stored["starts"]}
    out = tmp_path / "recheck.json"
    assert main(["lm", "recheck", str(tiny_table), "--cell", "polarity-high", "coherence", "0", *ARGS, "--json",
                 "--out", str(out)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res == json.loads(out.read_text())
    assert_matches(res, "coherence lm recheck")
    assert res["labels_equal"] is True
    assert res["coherence"]["stored"] == pytest.approx(stored["coherence"], abs=1e-12)
    assert res["coherence"]["max_abs_diff"] < 1e-6
    assert res["forward_tokens"] == {"stored": stored["forward_tokens"], "now": stored["forward_tokens"]}
    assert res["code_version"] and res["threads"] == 1 and res["tokens_per_s"] > 0

    assert main(["lm", "recheck", str(tiny_table), "--cell", "polarity-high", "landscape", "0", *ARGS, "--json"]) == 0
    land = json.loads(capsys.readouterr().out)
    assert_matches(land, "coherence lm recheck")
    assert inline_keys("coherence lm recheck", "coherence") == set(land["coherence"])
    assert land["labels_equal"] is True
    assert land["coherence"]["max_abs_diff"] < 1e-6 and land["landscape_max_abs_diff"] < 1e-6
    tokens = data["landscapes"]["polarity-high|0"]["forward_tokens"]
    assert land["forward_tokens"] == {"stored": tokens, "now": tokens}


def test_a_labelling_the_code_does_not_reproduce_is_reported(tiny_table, tmp_path, capsys):
    data = json.loads(tiny_table.read_text())
    rec = data["runs"]["polarity-high|chunked-bootstrap|0"]
    rec["labels"] = [1 - y for y in rec["labels"]]
    bad = tmp_path / tiny_table.name
    bad.write_text(json.dumps(data))
    assert main(["lm", "recheck", str(bad), "--cell", "polarity-high", "chunked-bootstrap", "0", *ARGS]) == 1
    assert "labels DIFFER" in capsys.readouterr().out


@pytest.mark.parametrize("cell, args, message", [
    (["polarity-high", "coherence", "1"], ARGS, "holds no cell polarity-high coherence 1"),
    (["polarity-low", "zero-shot", "0"], ARGS, "holds no cell polarity-low zero-shot 0"),
    (["polarity-high", "debate", "0"], ARGS, "holds no cell polarity-high debate 0"),
    (["polarity-high", "magic", "0"], ARGS, "METHOD must be `landscape` or one of"),
    (["polarity-high", "coherence", "x"], ARGS, "SEED must be an integer"),
    (["polarity-high", "coherence", "0"], ["--model", "smollm2"], "--model must be the file's model (tiny-random)"),
])
def test_bad_cells_are_refused_before_the_model_loads(tiny_table, monkeypatch, capsys, cell, args, message):
    monkeypatch.setattr("coherence.lm_tables.load_model", lambda *a, **k: pytest.fail("the model loaded"))
    assert main(["lm", "recheck", str(tiny_table), "--cell", *cell, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
