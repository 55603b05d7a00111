"""Reliability, third round, section 4 (docs/reliability.md, "One cache root, and checks before
work"): one cache root for every command, ``--set`` values checked and run as given, empty
selections refused, output folders checked before computing, ``lm run --steps`` named, and no
remaining time on a bar whose total is an upper bound."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from coherence.cli import main


class Stop(Exception):
    """Raised where the work would start: what led there is what the test checks."""


def one_line_error(capsys, code, name):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, (code, err)
    assert name in lines[0], (name, err)
    return lines[0]


# -- one cache root ------------------------------------------------------------------------------

@pytest.fixture
def roots(tmp_path, monkeypatch):
    """``$COHERENCE_CACHE_DIR`` set to ``env/`` and ``$XDG_CACHE_HOME`` to ``xdg/`` (the old,
    wrong default of ``lm``), so a path under either says which one a command used."""
    monkeypatch.setenv("COHERENCE_CACHE_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


def test_every_lm_cache_lies_under_the_one_cache_root(roots, monkeypatch, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from simulations.lm.backends import where as backends, loader
    from coherence import lm_tables as lm_cli

    env, arg = roots / "env", roots / "arg"
    # served responses: responses/ under the root; --response-cache names a folder of their own
    assert backends.open_model("openai:http://127.0.0.1:9#m").cache.root == env / "responses"
    assert backends.open_model("openai:http://127.0.0.1:9#m", cache_dir=arg).cache.root == arg / "responses"
    assert backends.open_model("openai:http://127.0.0.1:9#m", response_cache=roots / "r").cache.root == roots / "r"
    # GGUF conversions
    gguf = roots / "m.gguf"
    gguf.write_bytes(b"GGUF")
    # converted weights: <root>/models, unless COHERENCE_MODEL_CACHE names a folder of their own
    monkeypatch.delenv("COHERENCE_MODEL_CACHE", raising=False)
    assert loader._gguf_cache_dir(gguf).parent == env / "models"
    assert loader._gguf_cache_dir(gguf, arg).parent == arg / "models"
    monkeypatch.setenv("COHERENCE_MODEL_CACHE", str(roots / "weights"))
    assert loader._gguf_cache_dir(gguf, arg).parent == roots / "weights"

    # lm table's default --out, from the environment and from --cache-dir (which wins)
    seen = []

    def record(path, argument):
        seen.append(Path(path))
        raise Stop

    monkeypatch.setattr(lm_cli, "check_writable", record)
    table = ["lm", "table", "--model", "tiny-random", "--tasks", "comparison", "--methods", "zero-shot", "-n", "8",
             "--seeds", "0"]
    for extra in ([], ["--cache-dir", str(arg)]):
        with pytest.raises(Stop):
            main(table + extra)
    assert seen == [env / "lm-tables", arg / "lm-tables"]

    # lm run --cache-dir reaches the local model's loader as the cache root (it used to be refused
    # as a served-only option)
    def load(*a, cache_dir=None, **k):
        seen.append(cache_dir)
        raise Stop

    monkeypatch.setattr(loader, "load", load)
    with pytest.raises(Stop):
        main(["lm", "run", "--model", "tiny-random", "--task", "comparison", "-n", "4", "--cache-dir", str(arg)])
    assert seen[-1] == str(arg)
    assert not (roots / "xdg").exists()


# -- values checked as given ----------------------------------------------------------------------

EXPLORE = ["explore", "R5", "--set", "seeds=1", "--set", "n=6", "--jobs", "1", "--no-cache", "--json"]


def test_a_value_inside_its_range_is_not_rounded_out_of_it(capsys):
    assert main(EXPLORE + ["--set", "eps_w=0.49999999", "--set", "x=0.1"]) == 0
    assert json.loads(capsys.readouterr().out)["params"]["eps_w"] == 0.49999999
    # just outside is refused, and shown as given (not as 0.5)
    line = one_line_error(capsys, main(EXPLORE + ["--set", "eps_w=0.50000001"]), "eps_w")
    assert "eps_w=0.50000001" in line


def test_a_list_runs_exactly_as_it_was_checked(capsys):
    assert main(EXPLORE + ["--set", "xs=0.1000001,0.1000002"]) == 0
    assert json.loads(capsys.readouterr().out)["params"]["xs"] == [0.1000001, 0.1000002]


# -- empty selections ----------------------------------------------------------------------------

@pytest.mark.parametrize("only", ["", " "])
def test_an_empty_check_selection_is_refused(monkeypatch, capsys, tmp_path, only):
    import proofs_check.runner

    def run_checks(*a, **k):
        raise AssertionError("an empty --only ran the checks")

    monkeypatch.setattr(proofs_check.runner, "run_checks", run_checks)
    one_line_error(capsys, main(["check", "--only", only, "--cache-dir", str(tmp_path)]), "--only")
    # figures too: '' is a prefix of every id, refused rather than called ambiguous or read as all
    line = one_line_error(capsys, main(["figures", "--only", only, "--out", str(tmp_path / "f")]), "--only")
    assert "empty" in line


# -- output folders checked before computing --------------------------------------------------------

@pytest.mark.parametrize("blocked", ["a file", "read-only"])
def test_figures_refuse_an_unwritable_data_folder_before_computing(monkeypatch, capsys, tmp_path, blocked):
    import simulations.figures

    if blocked == "read-only" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")

    def produce(*a, **k):
        raise AssertionError("the figure was computed before --out was checked")

    monkeypatch.setattr(simulations.figures, "produce", produce)
    out = tmp_path / "D"
    out.mkdir()
    if blocked == "a file":
        (out / "data").write_text("not a folder")
    else:
        (out / "data").mkdir(mode=0o555)
    argv = ["figures", "--quick", "--only", "R5", "--out", str(out), "--cache-dir", str(tmp_path / "c"), "--jobs", "1"]
    line = one_line_error(capsys, main(argv), "--out")
    assert str(out / "data") in line


# -- lm run --steps ---------------------------------------------------------------------------------

def test_lm_run_names_steps(monkeypatch, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")

    def load(*a, **k):
        raise AssertionError("the model was loaded before --steps was checked")

    monkeypatch.setattr("simulations.lm.backends.loader.load", load)
    argv = ["lm", "run", "--model", "tiny-random", "--task", "comparison", "-n", "4", "--method", "bootstrap",
            "--steps", "-1"]
    line = one_line_error(capsys, main(argv), "--steps")
    assert "sweeps" not in line


# -- progress bars ------------------------------------------------------------------------------------

def test_a_bar_whose_total_is_an_upper_bound_claims_no_remaining_time(capsys):
    from priors import concept_mixture
    from simulations.search import run_search
    from simulations.search.progress import StderrBar

    with StderrBar("lm bootstrap") as bar:
        res = run_search("bootstrap", concept_mixture(2, 7), labels={0: 1, 1: 0}, progress=bar, sweeps=100)
    assert res.extras["fixed_point"] and res.extras["sweeps_run"] < 100    # the total was not what ran
    err = capsys.readouterr().err
    assert "lm bootstrap" in err and "/100" in err
    # tqdm's remaining time follows a "<" ("[00:00<?, ...]", "[00:01<3:16:47, ...]")
    assert "<" not in err, err
