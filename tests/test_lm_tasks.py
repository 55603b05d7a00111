"""Generated tasks: gold labels re-derived by parsing each claim, consistency logic, determinism."""
import json
import re

import numpy as np
import pytest

from simulations.lm.tasks.registry import TASKS, load_jsonl, make_task


def _parse_sum(choice):
    a, b, c = map(int, re.match(r"(\d+)\+(\d+)=(-?\d+)", choice).groups())
    return a + b == c


@pytest.mark.parametrize("name", ["arithmetic", "imbalanced", "salient-wrong"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_arithmetic_gold_is_the_truth_of_the_claim(name, seed):
    t = make_task(name, 40, seed)
    assert t.n == 40
    for it in t.items:
        assert it.label == int(_parse_sum(it.choice))
    assert t.inconsistent_pairs(t.gold) == []
    # at most one True per problem
    for g in np.unique(t.groups):
        assert t.gold[t.groups == g].sum() <= 1


def test_balance_and_imbalance():
    assert make_task("arithmetic", 200, 0).gold.mean() == pytest.approx(0.5, abs=0.01)
    assert make_task("imbalanced", 200, 0).gold.mean() == pytest.approx(0.25, abs=0.01)
    assert make_task("nonsalient", 200, 0).gold.mean() == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("seed", [0, 3])
def test_comparison_pairs_are_asymmetric(seed):
    t = make_task("comparison", 30, seed)
    for it in t.items:
        u, v = map(int, it.choice.split(" > "))
        assert it.label == int(u > v)
    for g in np.unique(t.groups):
        members = np.flatnonzero(t.groups == g)
        if members.size == 2:
            assert t.gold[members].sum() == 1
            b = t.gold.copy()
            b[members] = 1
            assert len(t.inconsistent_pairs(b)) == 1
    assert t.inconsistent_pairs(t.gold) == []


def test_inconsistency_count_for_two_true_answers():
    t = make_task("arithmetic", 10, 0)
    b = np.ones(t.n, dtype=int)
    assert len(t.inconsistent_pairs(b)) == len(np.unique(t.groups[: 2 * (t.n // 2)]))
    assert t.inconsistent_pairs(np.zeros(t.n, dtype=int)) == []


def test_salient_phrase_correlates_with_wrong_answers():
    t = make_task("salient-wrong", 400, 0, confident_p=0.8)
    conf = np.array(["absolutely sure" in it.choice for it in t.items])
    assert conf[t.gold == 0].mean() == pytest.approx(0.8, abs=0.08)
    assert conf[t.gold == 1].mean() == pytest.approx(0.2, abs=0.08)


def test_determinism_and_seeds():
    a, b, c = make_task("comparison", 20, 4), make_task("comparison", 20, 4), make_task("comparison", 20, 5)
    assert a.queries() == b.queries() and a.queries() != c.queries()


def test_jsonl_roundtrip(tmp_path):
    rows = [{"question": "q1", "choice": "c1", "label": True, "consistency_id": 0},
            {"question": "q1", "choice": "c2", "label": "False", "consistency_id": 0},
            {"question": "q2", "choice": "c3", "label": 1, "consistency_id": 1},
            {"question": "q3", "choice": "c4"}]
    p = tmp_path / "d.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(ValueError, match="holds only 4 items"):
        make_task(f"jsonl:{p}", 10)
    assert make_task(f"jsonl:{p}", 3).n == 3
    t = make_task(f"jsonl:{p}", None)
    assert t.n == 4 and t.gold.tolist() == [1, 0, 1, -1]
    assert t.groups[0] == t.groups[1] != t.groups[2]
    assert "q1" in t.queries()[0] and "c1" in t.queries()[0]
    assert t.inconsistent_pairs([1, 1, 0, 0]) == [(0, 1)]


def test_bad_inputs(tmp_path):
    with pytest.raises(ValueError, match="task"):
        make_task("poetry", 10)
    with pytest.raises(ValueError, match="n must"):
        make_task("arithmetic", 1)
    with pytest.raises(ValueError, match="no such file"):
        load_jsonl(tmp_path / "missing.jsonl")
    # malformed records: tests/test_lm_task_files.py
    assert set(TASKS) >= {"arithmetic", "comparison", "nonsalient", "salient-wrong", "imbalanced"}
