"""Every consistency relation by brute force at small n (model-free), and every search's end on a
tiny random model inside its relation.

For each relation the allowed set is enumerated over all ``2^n`` labellings by an independent
predicate written here from the relation's definition (not from the code under test); then the
repair (projection) must be the allowed labelling with the largest linear score, the leak the
mean accuracy of a uniform draw from the set, the moves exactly the allowed labellings that
differ in one group, and every search's end allowed.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.lm.tasks import relations as R
from simulations.lm.searches.chunked import initial_labels, project, violations
from simulations.lm.tasks.constraints import check_constraint, constraint_leak
from simulations.lm.searches.local_climb import moves


def _ok(b, name, gid, key) -> bool:
    """The relation's definition, group by group."""
    if name in ("none", "free-groups"):
        return True
    if name == "balance":
        return int(b.sum()) == b.size // 2
    for q in np.unique(gid):
        idx = np.flatnonzero(gid == q)
        on = b[idx]
        if name == "groups" and on.sum() != 1:
            return False
        if name == "at-most-one" and on.sum() > 1:
            return False
        if name == "mirror-pairs" and (idx.size != 2 or on[0] == on[1]):
            return False
        if name.startswith("same-answer"):
            k = key[idx]
            true_keys = set(k[on == 1].tolist())
            # one answer at most is true, and then every item with that answer is
            if len(true_keys) > 1 or any(on[k == t].min() == 0 for t in true_keys):
                return False
    return True


def _case(name, gid, key):
    gid, key = np.asarray(gid), np.asarray(key)
    groups = np.stack([gid, key], axis=1) if name.startswith("same-answer") else gid
    B = np.array(list(itertools.product((0, 1), repeat=gid.size)), dtype=np.int64)
    allowed = B[[_ok(b, name, gid, key) for b in B]]
    return groups, allowed


CASES = [
    ("none", [0, 0, 1, 1, 2], [0] * 5),
    ("free-groups", [0, 0, 1, 1, 2], [0] * 5),
    ("balance", [0, 0, 1, 1, 2, 2], [0] * 6),
    ("groups", [0, 0, 1, 1, 1, 2], [0] * 6),
    ("at-most-one", [0, 0, 1, 1, 1, 2], [0] * 6),
    ("mirror-pairs", [0, 0, 1, 1, 2, 2], [0] * 6),
    ("same-answer:answer", [0, 0, 0, 0, 1, 1, 1], [5, 5, 7, 9, 5, 5, 5]),
    ("same-answer:answer", [0, 0, 0, 1, 1], [1, 2, 3, 4, 4]),
]


@pytest.mark.parametrize("name, gid, key", CASES)
def test_repair_leak_moves_and_starts_by_brute_force(name, gid, key):
    groups, allowed = _case(name, gid, key)
    n = len(gid)
    assert len(allowed) > 0
    assert {tuple(b) for b in allowed} == {tuple(b) for b in R.allowed_labellings(name, groups)} \
        if R.is_grouped(name) else True
    rng = np.random.default_rng(0)
    for _ in range(25):
        gold = rng.integers(0, 2, n)
        assert constraint_leak(name, gold, groups) == pytest.approx(np.mean(allowed == gold))
        odds = rng.standard_normal(n)
        b = project(odds, name, groups)
        assert violations(b, name, groups) == 0 and _ok(b, name, np.asarray(gid), np.asarray(key))
        assert b @ odds == pytest.approx(max(allowed @ odds))  # the most likely consistent labelling
        assert violations(initial_labels(n, name, groups, rng), name, groups) == 0
    for b in allowed:
        got = {tuple(m) for m in moves(b, name, groups)}
        assert all(_ok(np.array(m), name, np.asarray(gid), np.asarray(key)) for m in got)
        if R.is_grouped(name):
            # exactly the allowed labellings that differ from b inside one group only
            g = np.asarray(gid)
            want = {tuple(c) for c in allowed if (c != b).any() and len(set(g[c != b].tolist())) == 1}
            assert got == want
    bad = [b for b in itertools.product((0, 1), repeat=n) if not _ok(np.array(b), name, np.asarray(gid),
                                                                   np.asarray(key))]
    assert all(violations(np.array(b), name, groups) > 0 for b in bad)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 2), min_size=2, max_size=8), st.lists(st.integers(0, 2), min_size=8, max_size=8),
       st.integers(0, 2 ** 31))
def test_same_answer_repair_is_exact_on_random_groups(gid, key, seed):
    key = key[: len(gid)]
    name = "same-answer:answer"
    groups, allowed = _case(name, gid, key)
    z = np.random.default_rng(seed).standard_normal(len(gid))
    b = project(z, name, groups)
    assert b @ z == pytest.approx(max(allowed @ z)) and violations(b, name, groups) == 0


def test_relations_refuse_what_they_cannot_hold():
    with pytest.raises(ValueError, match="mirror-pairs needs groups of exactly two"):
        project(np.zeros(3), "mirror-pairs", np.array([0, 0, 0]))
    with pytest.raises(ValueError, match=f"more than the {R.GROUP_LIMIT}"):
        project(np.zeros(R.GROUP_LIMIT + 1), "groups", np.zeros(R.GROUP_LIMIT + 1, dtype=int))
    for bad in ("same-answer", "same-answer:", "groups:x", "exactly", "mirror"):
        with pytest.raises(ValueError, match="constraint must be one of"):
            check_constraint(bad)


@pytest.fixture(scope="module")
def lm():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from simulations.lm.backends.loader import load

    return load("tiny-random", device="cpu", threads=1)


@pytest.mark.parametrize("name", ["same-answer:answer", "mirror-pairs", "at-most-one"])
def test_every_search_ends_inside_the_relation_on_a_tiny_model(lm, tmp_path, name):
    """A GSM8K-like file (several solutions per problem, an ``answer`` field) or mirrored pairs:
    every chunked search and the certified ascent end on a labelling the relation allows."""
    import json

    from simulations.lm.searches.certified import certified_ascent
    from simulations.lm.searches.chunked import ChunkConfig, run_chunked
    from simulations.lm.backends.knowledge import prior_for
    from simulations.lm.tasks.registry import make_task

    answers = [["4", "4", "5"], ["12", "13"], ["7", "7"]] if name != "mirror-pairs" else [["a", "b"]] * 3
    rows = [{"question": f"problem {q}", "choice": f"solution {j} gives {a}", "answer": a, "label": int(j == 0),
             "consistency_id": q} for q, group in enumerate(answers) for j, a in enumerate(group)]
    p = tmp_path / "gsm8k.json"
    p.write_text(json.dumps(rows))
    task = make_task(f"jsonl:{p}", None)
    groups = task.relation_groups(name)
    prior = prior_for(lm, task)
    cfg = ChunkConfig(chunk=2, sweeps=2, orders=2)
    for method in ("bootstrap", "icm", "coherence"):
        res = run_chunked(method, prior, constraint=name, groups=groups, seed=1, config=cfg)
        assert violations(res["labels"], name, groups) == 0, method
    end = certified_ascent(prior, constraint=name, groups=groups, seed=1, config=cfg, max_checks=10 ** 6)
    assert violations(end["labels"], name, groups) == 0 and end["certificate"]["improving"] == 0
    if name == "same-answer:answer":
        # the two solutions answering 4 (and the two answering 7) stand or fall together
        assert end["labels"][0] == end["labels"][1] and end["labels"][5] == end["labels"][6]


def test_a_relation_on_a_missing_field_is_refused_before_the_model_loads(tmp_path):
    import json
    import subprocess
    import sys

    p = tmp_path / "t.jsonl"
    p.write_text("\n".join(json.dumps({"question": "q", "choice": c, "label": 1, "consistency_id": 0})
                           for c in ("a", "b")) + "\n")
    r = subprocess.run([sys.executable, "-m", "coherence.cli", "lm", "run", "--model", str(tmp_path / "no-model"),
                        "--task", f"jsonl:{p}", "--method", "chunked-bootstrap", "--constraint", "same-answer:answer"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no field 'answer'" in r.stderr and "Traceback" not in r.stderr


def test_the_documented_relation_numbers_are_the_codes():
    """docs/lm.md states the group limit and an at-most-one leak of 3/4 for a group of three false
    items: both from the code."""
    from pathlib import Path

    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "lm.md").read_text().split())
    assert f"a group may hold at most {R.GROUP_LIMIT} items" in text
    reliability = " ".join((Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text().split())
    assert f"a group over {R.GROUP_LIMIT} items" in reliability
    assert "under `at-most-one`, a group of 3 whose items are all false has leak 3/4" in text
    assert constraint_leak("at-most-one", np.zeros(3, dtype=int), np.zeros(3, dtype=int)) == pytest.approx(0.75)
