"""A finished rerun replaces the committed table of its model (``rerun_report.promote``), and the
docs read the verdicts it changed (``changes_block``) and the reruns' own blocks
(``committed_tables``) from the files. No model: a committed table stands in for both files."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from simulations.lm.results.rerun_report import changes_block, committed_tables, promote

LM = Path(__file__).resolve().parents[1] / "figures" / "data" / "lm"
OLD = "smollm2-n64-e2aebb02dc.json"
SOURCE = LM / OLD if (LM / OLD).exists() else LM / "superseded" / OLD


def _folder(tmp_path, drop: int = 0):
    """A table folder holding the committed table ``OLD`` and, in ``in-progress/``, a rerun of it
    (the same cells, a rerun's config) less its first ``drop`` cells."""
    lm = tmp_path / "lm"
    (lm / "in-progress").mkdir(parents=True)
    shutil.copy(SOURCE, lm / OLD)
    data = json.loads(SOURCE.read_text())
    data["config"]["confirm_orders"] = 8
    for key in sorted(data["runs"])[:drop]:
        del data["runs"][key]
    rerun = lm / "in-progress" / "smollm2-n64-0123456789.json"
    rerun.write_text(json.dumps(data))
    return lm, rerun


def test_a_rerun_lacking_a_committed_cell_is_not_promoted(tmp_path):
    lm, rerun = _folder(tmp_path, drop=2)
    with pytest.raises(ValueError, match="lacks 2 cells of smollm2-n64-e2aebb02dc.json"):
        promote(rerun, lm)
    assert rerun.exists() and (lm / OLD).exists() and not (lm / "superseded").exists()
    assert changes_block(lm) == "(no table replaced)"
    # the rerun is read from in-progress, the older table (no confirm_orders) is not a rerun's
    assert committed_tables(lm) == [rerun]


def test_a_finished_rerun_takes_the_committed_tables_place(tmp_path):
    lm, rerun = _folder(tmp_path)
    n_runs = len(json.loads(rerun.read_text())["runs"])
    target = promote(rerun, lm)
    assert target == lm / rerun.name and not rerun.exists()
    assert (lm / "superseded" / OLD).read_bytes() == SOURCE.read_bytes()
    assert not (lm / OLD).exists()
    assert json.loads(target.read_text())["replaces"] == [OLD]
    assert committed_tables(lm) == [target]
    text = changes_block(lm)
    assert text.startswith(f"`{target.name}` replaced `superseded/{OLD}` (smollm2): verdicts on the {n_runs} "
                           f"cells both hold (the replaced table has {n_runs}, the rerun {n_runs}):")
    # the same cells judged twice: no verdict can change
    rows = [line for line in text.splitlines() if line.startswith("| P")]
    assert len(rows) == 7 and all(line.endswith("| no |") for line in rows)
    assert "| prediction | replaced table | rerun | changed |" in text


def test_a_table_extended_by_the_fresh_check_inherits_what_its_table_replaced(tmp_path):
    """A rerun extended by the fresh check (``carried_from.extended``) takes the place of the rerun
    it extends, which moves to superseded/, and is compared with the table that one replaced."""
    lm, rerun = _folder(tmp_path)
    first = promote(rerun, lm)
    data = json.loads(first.read_text())
    data["config"]["fresh_orders"] = 16
    data["carried_from"] = {"config": json.loads(first.read_text())["config"], "extended": ["fresh_orders"]}
    del data["replaces"]
    ext = lm / "in-progress" / "smollm2-n64-9876543210.json"
    ext.write_text(json.dumps(data))
    target = promote(ext, lm)
    got = json.loads(target.read_text())
    assert got["replaces"] == [OLD] and got["extends"] == [first.name]
    assert not first.exists() and (lm / "superseded" / first.name).exists() and (lm / "superseded" / OLD).exists()
    assert changes_block(lm).startswith(f"`{target.name}` replaced `superseded/{OLD}` (smollm2)")


def test_docs_name_the_promotion_step_that_exists():
    """docs/lm.md's steps to finish a rerun call this module's promote with the committed folder."""
    text = " ".join((LM.parents[2] / "docs" / "lm.md").read_text().split())
    assert ("`python -c \"from simulations.lm.results.rerun_report import promote; "
            "promote('FILE', 'figures/data/lm')\"`") in text
    assert "`coherence lm decide FILE --model M`" in text


def test_promote_refuses_a_file_outside_in_progress_and_a_second_promotion(tmp_path):
    """A rerun promoted twice (an interrupted promotion run again) or a committed table passed by
    mistake is refused with nothing moved, so the table a rerun replaced is never lost."""
    lm, rerun = _folder(tmp_path)
    with pytest.raises(ValueError, match="is not in"):
        promote(lm / OLD, lm)
    assert (lm / OLD).exists()
    copy = rerun.read_bytes()
    target = promote(rerun, lm)
    rerun.write_bytes(copy)  # the rerun is back in in-progress, as after an interruption
    with pytest.raises(ValueError, match="was promoted already"):
        promote(rerun, lm)
    assert json.loads(target.read_text())["replaces"] == [OLD] and (lm / "superseded" / OLD).exists()


def test_a_rerun_lacking_cells_of_one_of_two_committed_tables_is_refused(tmp_path):
    """Every committed table of the model and n is checked, and with a cell missing from any of
    them the first refusal leaves all files where they were."""
    lm, rerun = _folder(tmp_path)
    data = json.loads(SOURCE.read_text())
    key = sorted(data["runs"])[0]
    r = data["runs"][key]
    extra = {**r, "seed": 7}
    data["runs"][f"{r['task']}|{r['method']}|7"] = extra
    data["landscapes"][f"{r['task']}|7"] = data["landscapes"][f"{r['task']}|{r['seed']}"]
    (lm / "smollm2-n64-ffffffffff.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="lacks 1 cells of smollm2-n64-ffffffffff.json"):
        promote(rerun, lm)
    assert rerun.exists() and (lm / OLD).exists() and (lm / "smollm2-n64-ffffffffff.json").exists()
