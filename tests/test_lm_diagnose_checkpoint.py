"""``lm diagnose --checkpoint``: an interrupted diagnosis resumes at the stage it stopped in.

* interrupted in the certified ascent, a rerun reads the stages done (the zero-shot scores, the
  landscape, the free ascent) without recomputing them and ends with the same result as a run
  never interrupted, its tokens totalling both runs';
* a checkpoint of another run (other settings) or a file that is not a checkpoint is refused by
  name, exit 2, before the model loads.
"""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from coherence.cli import main  # noqa: E402
from simulations.lm.results import diagnose as D  # noqa: E402
from simulations.lm.results.checkpoint import Checkpoint  # noqa: E402

DIAG = ["lm", "diagnose", "--model", "tiny-random", "--task", "polarity-high", "-n", "8", "--chunk", "2",
        "--sweeps", "1", "--device", "cpu", "--threads", "1", "--json", "--quiet", "--confirm-orders", "2",
        "--polish-orders", "2", "--checks", "2"]
# what a run spent, at any depth: it depends on the prefixes the scorer kept from earlier stages
TIMING = ("seconds", "forward_tokens", "tokens")


def _untimed(d):
    if isinstance(d, dict):
        return {k: _untimed(v) for k, v in d.items() if k not in TIMING}
    if isinstance(d, list):
        return [_untimed(v) for v in d]
    return json.loads(json.dumps(d))


def test_an_interrupted_diagnosis_resumes_at_its_stage_and_ends_alike(capsys, tmp_path, monkeypatch):
    assert main(DIAG) == 0
    whole = json.loads(capsys.readouterr().out)
    path = tmp_path / "diag.json"
    real = D.certified_ascent

    def interrupted(*a, **k):  # the constrained ascent is interrupted, after the free one finished
        if k["constraint"] != "none":
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(D, "certified_ascent", interrupted)
    assert main(DIAG + ["--checkpoint", str(path)]) == 130
    assert "interrupted (finished work is kept; rerun to resume)" in capsys.readouterr().err
    kept = json.loads(path.read_text())
    assert list(kept["stages"]) == ["zero_shot", "landscape", "found_free"] and kept["forward_tokens"] > 0
    first_tokens = kept["forward_tokens"]
    monkeypatch.setattr(D, "certified_ascent", real)
    ran = []
    zs = D.zero_shot
    monkeypatch.setattr(D, "zero_shot", lambda *a, **k: (ran.append("zero_shot"), zs(*a, **k))[1])
    monkeypatch.setattr(D, "certified_ascent", lambda *a, **k: (ran.append(k["constraint"]), real(*a, **k))[1])
    assert main(DIAG + ["--checkpoint", str(path)]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert ran == ["balance"]  # the zero-shot scores and the free ascent were read, not recomputed
    assert _untimed(resumed) == _untimed(whole)
    done = json.loads(path.read_text())
    assert list(done["stages"]) == ["zero_shot", "landscape", "found_free", "found_constrained", "gold_climb",
                                    "decisive"]
    assert resumed["forward_tokens"] == done["forward_tokens"] > first_tokens
    # both runs' tokens: at least the uninterrupted run's (the interruption came before the certified ascent
    # spent any), and a little more, since the second process starts with no prefix in the scorer's stores
    assert whole["forward_tokens"] <= resumed["forward_tokens"] <= 1.1 * whole["forward_tokens"]
    # a finished checkpoint answers a rerun at once, with the same result
    assert main(DIAG + ["--checkpoint", str(path)]) == 0
    assert _untimed(json.loads(capsys.readouterr().out)) == _untimed(whole)


def test_a_checkpoint_of_other_settings_or_no_checkpoint_is_refused(capsys, tmp_path, monkeypatch):
    path = tmp_path / "diag.json"
    other = Checkpoint(path, {"model": "tiny-random", "config": {"seed": 5}})
    other.save("zero_shot", {"labels": np.zeros(8)}, forward_tokens=1, seconds=0.1)
    assert main(DIAG + ["--checkpoint", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"checkpoint {path}: its config is" in err and "delete the file or name another" in err
    assert "Traceback" not in err
    monkeypatch.setattr("simulations.lm.backends.loader.load", lambda *a, **k: pytest.fail("the model loaded"))
    bad = tmp_path / "bad.json"
    for text in ("[1, 2]", "not json", '{"stages": {}}'):
        bad.write_text(text)
        assert main(DIAG + ["--checkpoint", str(bad)]) == 2
        err = capsys.readouterr().err
        assert f"checkpoint {bad}: not a" in err and "Traceback" not in err
    assert main(DIAG + ["--checkpoint", str(tmp_path)]) == 2  # a folder
    assert "not a readable checkpoint file" in capsys.readouterr().err


def test_the_text_report_counts_the_moves_confirmation_refused(capsys):
    """Without ``--json`` the certificate line says how many moves improved on the polish orders
    alone (a certificate with ``unconfirmed`` 0, or without it, says nothing more)."""
    assert main([a for a in DIAG if a != "--json"] + ["--confirm-orders", "2"]) == 0
    out = capsys.readouterr().out
    # the free ascent's certificate comes first, the constrained one's last
    line = [r for r in out.splitlines() if "certificate: no improving move among" in r][-1]
    assert main(DIAG) == 0
    c = json.loads(capsys.readouterr().out)["found_constrained"]["certificate"]
    assert f"among {c['checked']} checked (of {c['total']})" in line
    assert ("more improved on the polish orders but not on fresh ones" in line) == (c["unconfirmed"] > 0)
    record = {**json.loads(json.dumps(c)), "unconfirmed": 3}
    assert "3 more improved" in _certificate_line(record)
    assert "more improved" not in _certificate_line({**record, "unconfirmed": 0})


def _certificate_line(certificate):
    """The certificate line of :func:`render` for a minimal record holding ``certificate``."""
    land = {"gold": {"mean": -1.0, "se": 0.1, "accuracy": 1.0}}
    found = {"constraint": "balance", "coherence": {"mean": -1.0, "se": 0.1}, "accuracy": 1.0,
             "certificate": certificate, "starts": [{}]}
    d = {"model": "m", "task": "t", "n": 2, "seed": 0, "format": {"name": "f"}, "constraint": "balance",
         "constraint_leak_accuracy": 0.5, "zero_shot": {"accuracy": 0.5, "auc": 0.5, "auc_interval": [0.1, 0.9]},
         "coh": {"orders": 2}, "landscape": land, "comparisons": {}, "found_free": None, "found_constrained": found,
         "gold_climb": {"local_maximum": True, "gain": 0.0, "accuracy": 1.0},
         "regimes": {"unconstrained": {"regime": "r", "reason": "x"}, "constrained": {"regime": "r", "reason": "x"}},
         "forward_tokens": 1, "seconds": 1.0}
    return next(r for r in D.render(d).splitlines() if "certificate:" in r)
