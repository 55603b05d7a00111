"""The user's constraint, one Coh with its error bar, and the moves that keep a constraint.

Model-free oracles: the constraint sets and their leaks by enumeration, the paired standard
error by a direct computation, the moves by brute force (hypothesis), the climb's certificate
against an exhaustive neighbourhood, the AUC interval by Monte Carlo coverage.
"""
import itertools
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulations.lm.searches.chunked import violations
from simulations.lm.searches.coherence_estimate import CohConfig, evaluation_orders, paired, summary, verdict
from simulations.lm.searches.local_climb import climb, moves
from theory.statistics import auc_interval


def _allowed(n, constraint, groups):
    """Every labelling of n items allowed by the constraint, by enumeration."""
    B = np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64)
    return B[[violations(b, constraint, groups) == 0 for b in B]]


GROUPS = np.array([0, 0, 1, 1, 1, 2])
#: the constraints on plain consistency ids (every relation by brute force: test_lm_relations.py)
CONSTRAINTS = ("none", "balance", "groups", "at-most-one")


# the constraint sets, their leaks and the repair by enumeration: tests/test_lm_relations.py


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=2, max_size=9), st.sampled_from(CONSTRAINTS), st.integers(0, 2 ** 31))
def test_moves_are_exactly_the_allowed_labellings_one_move_away(group_list, constraint, seed):
    groups = np.array(group_list)
    n = groups.size
    allowed = _allowed(n, constraint, groups)
    if len(allowed) == 0:
        return
    b = allowed[np.random.default_rng(seed).integers(len(allowed))]
    got = {tuple(m) for m in moves(b, constraint, groups)}
    # brute force: allowed labellings at Hamming distance 1 (none, at-most-one set/clear) or 2
    # with one 1 moved (balance swap; a group's 1 moved within its group)
    want = set()
    for c in allowed:
        d = np.flatnonzero(c != b)
        if constraint == "none" and d.size == 1:
            want.add(tuple(c))
        elif constraint == "balance" and d.size == 2:
            want.add(tuple(c))
        elif constraint in ("groups", "at-most-one") and (d.size == 2 and groups[d[0]] == groups[d[1]]
                                                          or constraint == "at-most-one" and d.size == 1):
            want.add(tuple(c))
    assert got == want
    assert len(got) == len(moves(b, constraint, groups))  # no move listed twice


def test_climb_certificate_against_the_whole_neighbourhood():
    """On random quadratic objectives, a climb whose certificate checked every move ends where
    no allowed neighbour is better; the end is never below the start."""
    rng = np.random.default_rng(1)
    groups = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    for constraint in CONSTRAINTS:
        for _ in range(10):
            W = rng.standard_normal((8, 8))
            h = rng.standard_normal(8)

            def f(b, W=W, h=h):
                return float(b @ W @ b + h @ b)

            start = _allowed(8, constraint, groups)[0]
            out = climb(f, start, constraint, groups, h, max_checks=10 ** 6)
            cert = out["certificate"]
            assert cert["checked"] == cert["total"] and cert["improving"] == 0
            assert out["value"] >= f(start) and violations(out["labels"], constraint, groups) == 0
            assert all(f(m) <= out["value"] + 1e-9 for m in moves(out["labels"], constraint, groups))


def test_paired_comparison_against_a_direct_computation():
    a = [-20.1, -19.4, -22.0, -18.7, -21.3]
    b = [-21.0, -20.9, -22.4, -19.9, -21.0]
    d = [x - y for x, y in zip(a, b)]
    se = statistics.stdev(d) / len(d) ** 0.5
    t = stats.t.ppf(0.975, len(d) - 1)
    out = paired(a, b)
    assert out["diff"] == pytest.approx(statistics.mean(d)) and out["se"] == pytest.approx(se)
    assert out["ci"] == pytest.approx([statistics.mean(d) - t * se, statistics.mean(d) + t * se])
    assert verdict(out) == ("above" if out["ci"][0] > 0 else "below" if out["ci"][1] < 0 else "tied")
    s = summary(a)
    assert s["se"] == pytest.approx(statistics.stdev(a) / 5 ** 0.5) and s["orders"] == 5
    with pytest.raises(ValueError, match="at least 2 orders"):
        paired([1.0], [2.0])
    # pairing removes what both share: a common order effect leaves the difference exact
    shared = np.array([3.0, -7.0, 11.0, 0.5])
    tight = paired(shared + 1.0, shared)
    assert tight["diff"] == pytest.approx(1.0) and tight["se"] == pytest.approx(0.0, abs=1e-12)


def test_evaluation_orders_are_prefix_stable_and_not_the_search_orders():
    from simulations.lm.searches.chunked import coherence_orders

    big, small = evaluation_orders(10, 8, 3), evaluation_orders(10, 3, 3)
    assert np.array_equal(big[:3], small)
    assert all(sorted(o) == list(range(10)) for o in big)
    assert not np.array_equal(evaluation_orders(10, 2, 3), coherence_orders(10, 2, 3))
    with pytest.raises(ValueError, match="orders must be an integer >= 2"):
        CohConfig(orders=1)


def test_auc_interval_covers_the_true_auc():
    """Monte Carlo coverage of the 95% interval: two normal classes at distance 1 (true AUC
    Phi(1/sqrt 2)), 40 + 40 items, 400 trials; the interval covers in 90-99% of them."""
    rng = np.random.default_rng(7)
    true = stats.norm.cdf(1 / np.sqrt(2))
    from simulations.lm.tasks.formats import auc

    hits = 0
    for _ in range(400):
        pos, neg = rng.normal(1.0, 1.0, 40), rng.normal(0.0, 1.0, 40)
        a = auc(np.r_[pos, neg], np.r_[np.ones(40), np.zeros(40)])
        lo, hi = auc_interval(a, 40, 40)
        hits += lo <= true <= hi
    assert 0.90 <= hits / 400 <= 0.99
    lo, hi = auc_interval(1.0, 4, 4)
    assert hi == 1.0 and lo < 1.0  # a perfect AUC from 8 items still has an interval
