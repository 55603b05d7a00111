"""The exact searches stream ``Y^n`` in blocks: any block size gives the result of the one-shot
table (one block), for every exact method, prior family, label and constraint setting."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.search import run_search
from simulations.search.constraints import Constraints
from theory.decoders import StreamingTieSet, tie_set
from theory.softmax import coherence_blocks, log_coherence_table

from priors import ALL_FAMILIES

METHODS = {
    "exact-argmax": {},
    "joint-map": {"eta": 0.2},
    "marginal-decoder": {"eta": 0.1},
    "srm": {"lam": 0.7},
    "occam-srm": {"delta": 0.1},
}


def _same(a, b):
    assert np.array_equal(a.behaviours, b.behaviours)
    # occam-srm recomputes the table for its second pass when it does not fit in one block
    assert b.evaluations == a.evaluations * (2 if a.method == "occam-srm" and a.evaluations else 1)
    np.testing.assert_allclose(a.coherence_trace, b.coherence_trace, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.score_trace, b.score_trace, rtol=1e-12, atol=1e-12)
    if "ties" in a.extras:
        assert [t.tolist() for t in a.extras["ties"]] == [t.tolist() for t in b.extras["ties"]]
    if "marginals" in a.extras:
        np.testing.assert_allclose(a.extras["marginals"], b.extras["marginals"], rtol=1e-12, atol=1e-14)
        assert np.array_equal(a.extras["item_ties"], b.extras["item_ties"])


@pytest.mark.parametrize("family", sorted(ALL_FAMILIES))
@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("block", [1, 7, 64])
def test_blocks_give_the_one_shot_result(family, method, block):
    prior = ALL_FAMILIES[family](3, 7, 2)
    labels = {0: 1, 4: 0}
    one = run_search(method, prior, labels=labels, **METHODS[method])
    streamed = run_search(method, prior, labels=labels, block=block, **METHODS[method])
    _same(one, streamed)
    assert streamed.behaviours.shape == (7,)


def test_blocks_with_constraints():
    prior = ALL_FAMILIES["concept_mixture"](5, 8, 2)
    cons = Constraints(8, pairs=[(0, 1), (2, 3)], kinds=["exclusive", "contradiction"])
    for method in ("exact-argmax", "marginal-decoder", "occam-srm"):
        kw = {"labels": {5: 1}} if method == "occam-srm" else {}
        _same(run_search(method, prior, constraints=cons, **kw),
              run_search(method, prior, constraints=cons, block=50, **kw))


def test_ternary_behaviours():
    prior = ALL_FAMILIES["concept_mixture"](5, 6, 3)
    for method in ("exact-argmax", "marginal-decoder", "joint-map"):
        _same(run_search(method, prior, labels={1: 2}), run_search(method, prior, labels={1: 2}, block=33))


def test_coherence_blocks_concatenate_to_the_table():
    prior = ALL_FAMILIES["concept_mixture"](1, 9, 2)
    parts = list(coherence_blocks(prior, block=100))
    assert [s for s, _, _ in parts] == list(range(0, 512, 100))
    assert np.array_equal(np.concatenate([t for _, _, t in parts]), log_coherence_table(prior))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from([-np.inf, 0.0, 1.0, 1.0 + 5e-10, 2.0, 2.0 - 1e-12, 3.0]), min_size=1, max_size=30),
       st.integers(1, 8))
def test_streaming_tie_set_equals_the_whole_array_tie_set(scores, block):
    scores = np.array(scores)
    t = StreamingTieSet()
    for start in range(0, scores.size, block):
        t.update(start, scores[start:start + block], value=scores[start:start + block])
    if np.all(scores == -np.inf):
        assert t.empty
        return
    idx, sc, payload = t.result()
    assert idx.tolist() == tie_set(scores).tolist()
    assert np.array_equal(payload["value"], scores[idx])
