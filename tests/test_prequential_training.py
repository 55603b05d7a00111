"""Coherence through training and the training bootstrap on a tiny random Llama (no files, CPU).

Learning rate 0 must reproduce the untouched model's zero-shot log-probs block by block; a positive
rate must move them, deterministically for a seed; the model and torch's global random state must
be unchanged by every call; the training bootstrap must stop at a fixed point inside the constraint.
"""
import hashlib
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from simulations.lm.searches.chunked import project, violations  # noqa: E402
from simulations.lm.searches.coherence_estimate import summary  # noqa: E402
from simulations.lm.backends.knowledge import prior_for  # noqa: E402
from simulations.lm.backends.loader import load  # noqa: E402
from simulations.lm.searches.prequential_training import (TrainConfig, coherence_through_training,  # noqa: E402
                                                  coherence_through_training_over_orders, fine_tuned_log_probs)
from simulations.lm.tasks.registry import make_task  # noqa: E402
from simulations.lm.searches.training_bootstrap import training_bootstrap  # noqa: E402

N = 12
FAST = dict(epochs=2, batch=8, block=4)


@pytest.fixture(scope="module")
def lm():
    return load("tiny-random", device="cpu", seed=3)


@pytest.fixture(scope="module")
def task():
    return make_task("arithmetic", N, 0)


@pytest.fixture(scope="module")
def prior(lm, task):
    return prior_for(lm, task)


def _model_state(model):
    """A checksum of every parameter and buffer, the requires_grad flags, the mode, the module types."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    return (h.hexdigest(), tuple((n, p.requires_grad) for n, p in model.named_parameters()), model.training,
            tuple((n, type(m).__name__) for n, m in model.named_modules()), hasattr(model, "peft_config"))


def test_lr_zero_equals_zero_shot_prequential_sum(lm, task, prior):
    b = np.random.default_rng(1).integers(0, 2, N)
    s = np.random.default_rng(2).permutation(N)
    res = coherence_through_training(lm, task, b, s, TrainConfig(lr=0.0, **FAST))
    zs = prior.log_zero_shot()  # the untouched model, through the prior's own scorer
    want_items = zs[s, b[s]]
    want_blocks = [want_items[a:a + 4].sum() for a in range(0, N, 4)]
    assert np.max(np.abs(res["item_log_probs"] - want_items)) < 1e-5
    assert np.max(np.abs(np.array(res["per_block"]) - want_blocks)) < 1e-5
    assert abs(res["coherence"] - zs[np.arange(N), b].sum()) < 1e-5
    assert res["blocks"] == [s[a:a + 4].tolist() for a in range(0, N, 4)]
    # blocks 1 and 2 train on 4 and 8 items: one step of batch 8 each, 2 epochs
    assert res["steps"] == 2 * (1 + 1)
    assert res["tokens"] == res["train_tokens"] + res["score_tokens"] > 0
    assert len(res["losses"]) == 3 and res["losses"][0] == [] and all(len(x) == 2 for x in res["losses"][1:])


def test_lr_positive_moves_log_probs_and_is_deterministic(lm, task, prior):
    train, score = np.arange(8), np.arange(8, N)
    cfg = TrainConfig(lr=2e-2, **FAST)
    a = fine_tuned_log_probs(lm, task, train, task.gold, cfg, score)
    zs = prior.log_zero_shot()[score]
    assert np.max(np.abs(a["log_probs"] - zs)) > 1e-3
    assert np.allclose(np.exp(a["log_probs"]).sum(-1), 1.0)
    slow = fine_tuned_log_probs(lm, task, train, task.gold, TrainConfig(lr=5e-3, epochs=6, batch=8), [])
    assert slow["losses"][-1] < slow["losses"][0] - 0.02  # it learns the labels it is shown
    assert slow["steps"] == 6 and slow["log_probs"].shape == (0, 2)
    again = fine_tuned_log_probs(lm, task, train, task.gold, cfg, score)
    assert np.array_equal(a["log_probs"], again["log_probs"]) and a["losses"] == again["losses"]
    other = fine_tuned_log_probs(lm, task, train, task.gold, TrainConfig(lr=2e-2, seed=1, **FAST), score)
    assert not np.array_equal(a["log_probs"], other["log_probs"])
    # no training items: the untouched model
    none = fine_tuned_log_probs(lm, task, [], task.gold, cfg, score)
    assert none["steps"] == 0 and np.max(np.abs(none["log_probs"] - zs)) < 1e-5


def test_coherence_through_training_is_bit_for_bit_reproducible(lm, task):
    b, s = task.gold, np.random.default_rng(3).permutation(N)
    cfg = TrainConfig(lr=2e-2, **FAST)
    r1 = coherence_through_training(lm, task, b, s, cfg)
    r2 = coherence_through_training(lm, task, b, s, cfg)
    r3 = coherence_through_training(lm, task, b, s, TrainConfig(lr=2e-2, seed=7, **FAST))
    assert r1["per_block"] == r2["per_block"] and np.array_equal(r1["item_log_probs"], r2["item_log_probs"])
    assert r1["per_block"][0] == r3["per_block"][0]  # block 0: the untouched model, whatever the seed
    assert r1["per_block"][1:] != r3["per_block"][1:]


def test_model_and_global_rng_unchanged(lm, task, prior):
    before = _model_state(lm.model)
    zs = prior.log_zero_shot()
    rng_before = torch.get_rng_state()
    coherence_through_training(lm, prior, task.gold, np.arange(N), TrainConfig(lr=5e-2, dropout=0.1, **FAST))
    assert _model_state(lm.model) == before
    assert torch.equal(torch.get_rng_state(), rng_before)
    prior.clear_cache()  # the prior, re-run from scratch on the restored model, gives the same numbers
    assert np.array_equal(prior.log_zero_shot(), zs)


def test_over_orders_is_the_summary_of_single_orders(lm, task):
    orders = np.stack([np.random.default_rng(k).permutation(N) for k in range(2)])
    cfg = TrainConfig(lr=1e-2, **FAST)
    res = coherence_through_training_over_orders(lm, task, task.gold, orders, cfg)
    single = [coherence_through_training(lm, task, task.gold, s, cfg)["coherence"] for s in orders]
    assert {k: res[k] for k in ("mean", "se", "orders", "per_order")} == summary(single)
    assert res["orders"] == 2 and len(res["per_block"]) == 2


@pytest.mark.parametrize("constraint", ["groups", "balance"])
def test_training_bootstrap_converges_inside_the_constraint(lm, task, prior, constraint):
    groups = task.relation_groups(constraint)
    start = np.random.default_rng(4).integers(0, 2, N)
    # lr 0: every round's model is the untouched one, so round 1 lands on the projection of the
    # zero-shot log-odds and round 2 changes nothing
    res = training_bootstrap(lm, task, constraint, groups, start, TrainConfig(lr=0.0, **FAST), rounds=5)
    zs = prior.log_zero_shot()
    want = project(zs[:, 1] - zs[:, 0], constraint, groups)
    assert res["fixed_point"] and res["rounds_run"] < 5
    assert res["rounds_run"] == (1 if np.array_equal(start, want) else 2)
    assert np.array_equal(res["labels"], want)
    assert violations(res["labels"], constraint, groups) == 0
    assert res["history"][-1]["changed"] == 0 and all(h["violations"] == 0 for h in res["history"])
    assert res["accuracy"] == pytest.approx(np.mean(want == task.gold))
    assert res["steps"] == sum(h["steps"] for h in res["history"]) > 0


def test_training_bootstrap_with_learning_records_rounds(lm, task):
    res = training_bootstrap(lm, task, "groups", None, task.gold, TrainConfig(lr=2e-2, **FAST), rounds=2,
                             coh_orders=2)
    groups = task.relation_groups("groups")
    assert 1 <= res["rounds_run"] <= 2 and len(res["history"]) == res["rounds_run"]
    assert violations(res["labels"], "groups", groups) == 0
    assert res["fixed_point"] == (res["history"][-1]["changed"] == 0)
    h = res["history"][0]
    assert set(h["coh_train"]) == {"mean", "se", "orders", "per_order"} and h["coh_train"]["orders"] == 2
    assert res["tokens"] == sum(x["tokens"] + x["coh_tokens"] for x in res["history"])
    assert res["start_accuracy"] == 1.0


@pytest.mark.parametrize("field,value,range_text", [
    ("lr", -1e-3, "[0, inf)"), ("lr", float("nan"), "[0, inf)"), ("block", 0, "[1, inf)"), ("rank", 0, "[1, inf)"),
    ("epochs", 0, "[1, inf)"), ("batch", -2, "[1, inf)"), ("alpha", 0.0, "(0, inf)"), ("dropout", 1.0, "[0, 1)"),
    ("seed", -1, "[0, inf)")])
def test_bad_config_names_the_field_and_its_range(field, value, range_text):
    with pytest.raises(ValueError, match=f"^{field} must .*" + re.escape(range_text)):
        TrainConfig(**{field: value})


def test_target_modules_are_checked():
    assert TrainConfig(target_modules=("q_proj", "k_proj")).target_modules == ("q_proj", "k_proj")
    for bad in ("q_proj", (), ("lm_head",)):
        with pytest.raises(ValueError, match="target_modules"):
            TrainConfig(target_modules=bad)


def test_bad_arguments_are_refused(lm, task):
    with pytest.raises(ValueError, match="order must be a permutation"):
        coherence_through_training(lm, task, task.gold, np.arange(N - 1), TrainConfig(**FAST))
    with pytest.raises(ValueError, match="labels must be a length-12"):
        coherence_through_training(lm, task, np.full(N, 2), np.arange(N), TrainConfig(**FAST))
    other = load("tiny-random", device="cpu", seed=4)
    with pytest.raises(ValueError, match="another model"):
        coherence_through_training(lm, prior_for(other, task), task.gold, np.arange(N), TrainConfig(**FAST))
    with pytest.raises(ValueError, match="constraint must be one of"):
        training_bootstrap(lm, task, "nonsense", None, task.gold, TrainConfig(**FAST))
