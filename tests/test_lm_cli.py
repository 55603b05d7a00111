"""`coherence lm` end to end on tiny-random: docs/cli.md fields, recomputed accuracy, listings."""
import json

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from coherence.cli import main  # noqa: E402


@pytest.mark.parametrize("method", ["zero-shot", "golden-few-shot", "random-few-shot"])
def test_run_json_contract(capsys, method):
    rc = main(["lm", "run", "--model", "tiny-random", "--task", "comparison", "--method", method,
               "-n", "6", "--seed", "1", "--shots", "3", "--device", "cpu", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("accuracy", "coherence", "labels", "gold", "forward_tokens", "seconds", "model", "task",
                "method", "n", "seed"):
        assert key in out
    labels, gold = np.array(out["labels"]), np.array(out["gold"])
    assert out["accuracy"] == pytest.approx(np.mean(labels == gold))
    assert out["n"] == 6 and out["forward_tokens"] > 0 and out["coherence"] < 0


def test_listings(capsys):
    assert main(["lm", "tasks"]) == 0
    assert "nonsalient" in capsys.readouterr().out
    assert main(["lm", "methods"]) == 0
    out = capsys.readouterr().out
    for m in ("zero-shot", "random-few-shot", "golden-few-shot", "bootstrap", "icm", "icm-paper", "gibbs"):
        assert m in out


def test_bad_method_is_usage_error(capsys):
    rc = main(["lm", "run", "--model", "tiny-random", "--method", "oracle", "-n", "4", "--device", "cpu"])
    assert rc == 2 and "method" in capsys.readouterr().err


@pytest.mark.parametrize("method", ["bootstrap", "icm", "icm-paper", "gibbs"])
def test_searches_run_on_lm_and_report_true_coherence(capsys, method):
    """The reported coherence is Coh of the returned labels, the mean over the held-out evaluation
    orders with its standard error, recomputed here from explicit prompt chains (both in float32:
    ``--dtype auto`` measures the speed, and on a loaded CPU may pick bfloat16)."""
    from simulations.lm.backends.loader import load
    from simulations.lm.backends.prior import LMPrior, PromptFormat
    from simulations.lm.tasks.registry import make_task

    rc = main(["lm", "run", "--model", "tiny-random", "--task", "comparison", "--method", method,
               "-n", "6", "--seed", "2", "--steps", "2", "--device", "cpu", "--dtype", "float32", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    task = make_task("comparison", 6, 2)
    prior = LMPrior(load("tiny-random", device="cpu"), task.queries(), PromptFormat(label_words=task.label_words))
    from simulations.lm.searches.coherence_estimate import evaluation_orders

    b = np.array(out["labels"])
    per_order = [sum(prior.explicit_log_conditional(b, s[t], s[:t])[b[s[t]]] for t in range(6))
                 for s in evaluation_orders(6, 6, 2)]
    assert out["coherence"] == pytest.approx(np.mean(per_order), abs=1e-4)
    assert out["coh"]["se"] == pytest.approx(np.std(per_order, ddof=1) / np.sqrt(6), abs=1e-4)
    assert out["coherence_per_order"] == pytest.approx(per_order, abs=1e-4)
    assert out["inconsistencies"] == len(task.inconsistent_pairs(b))
