"""Logical-consistency constraints: counts against brute force, the LM task semantics, R12 switch."""
import numpy as np
from hypothesis import given, settings, strategies as st

from simulations.search.constraints import KINDS, for_task, from_items, from_relations, gold_partition
from theory.enumeration import all_behaviours


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 9), P=st.integers(0, 12))
def test_violation_counts_match_brute_force(seed, n, P):
    rng = np.random.default_rng(seed)
    rel = []
    for _ in range(P):
        i, j = rng.choice(n, 2, replace=False)
        rel.append((int(i), int(j), str(rng.choice(sorted(KINDS)))))
    c = from_relations(n, rel)
    B = rng.integers(0, 2, (16, n))
    brute = np.array([sum((b[i], b[j]) in KINDS[kd] for i, j, kd in rel) for b in B])
    assert np.array_equal(c.violations(B), brute)
    items = rng.integers(0, n, 16)
    local = c.item_violations(B, items)
    for r in range(16):
        for y in (0, 1):
            b = B[r].copy()
            b[items[r]] = y
            want = sum((b[i], b[j]) in KINDS[kd] for i, j, kd in rel if items[r] in (i, j))
            assert local[r, y] == want
    for p in range(P):
        assert set(c.options(p)) == {(a, b) for a in (0, 1) for b in (0, 1)} - set(KINDS[rel[p][2]])


def test_from_items_matches_the_lm_task_semantics():
    from simulations.lm.tasks.registry import make_task

    for name in ("arithmetic", "comparison"):
        task = make_task(name, 12, 0)
        c = from_items([{"consistency_id": it.consistency_id, "kind": it.kind, "key": it.key} for it in task.items])
        rng = np.random.default_rng(1)
        for _ in range(30):
            b = rng.integers(0, 2, task.n)
            assert int(c.violations(b)) == len(task.inconsistent_pairs(b))
        assert int(c.violations(task.gold)) == 0


def test_gold_partition_pins_the_labelling_to_gold_or_its_negation():
    gold = np.array([1, 0, 0, 1, 1, 0, 1])
    c = gold_partition(gold)
    assert c.leaks_gold
    B = all_behaviours(7, 2)
    ok = B[c.violations(B) == 0]
    assert {tuple(b) for b in ok} == {tuple(gold), tuple(1 - gold)}


def test_for_task_switch_adds_leaking_relations_only_when_asked():
    group = np.array([0, 0, 0, 1, 1, 1])
    gold = np.array([1, 0, 0, 0, 1, 0])
    plain = for_task(group)
    leak = for_task(group, gold, leaks_gold=True)
    assert not plain.leaks_gold and leak.leaks_gold and len(leak) > len(plain)
    B = all_behaviours(6, 2)
    assert (plain.violations(B) == 0).sum() > (leak.violations(B) == 0).sum() >= 1
    assert leak.violations(gold) == 0 and plain.violations(gold) == 0
