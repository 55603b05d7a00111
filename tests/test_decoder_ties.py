"""Per-item decoders with exact ties: ``zero-shot`` and ``marginal-decoder`` report their tie sets,
and :meth:`SearchResult.accuracy` is the expected accuracy under a uniform tie-break.

The expected values are derived by hand here: at R5 with w = (0.6, 0.4), eps = (0.2, 0.05) the
two concepts give ``P(b_i = truth_i) = 0.6 * 0.8 + 0.4 * 0.05 = 1/2`` on every item where they
disagree, so with 3 of 12 agreeing items the tie-aware accuracy is ``(3 + 9/2) / 12 = 0.625``.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.search import run_search
from theory import ConceptMixture
from theory.decoders import item_accuracy, item_ties, joint_accuracy, tie_set, tied_items


def _r5_tie_instance(seed=0):
    truth = np.random.default_rng(seed).integers(0, 2, 12)
    wrong = truth.copy()
    wrong[3:] = 1 - wrong[3:]                     # agreement 3/12
    return truth, ConceptMixture(F=np.stack([truth, wrong]), eps=[0.2, 0.05], w=[0.6, 0.4])


@pytest.mark.parametrize("method", ["zero-shot", "marginal-decoder"])
def test_r5_tie_example_gives_0625(method):
    truth, prior = _r5_tie_instance()
    res = run_search(method, prior)
    assert res.accuracy(truth) == pytest.approx(0.625, abs=1e-12)
    assert res.extras["tied_items"].tolist() == list(range(3, 12))
    # the tie-break of ``behaviours`` is one arbitrary pick; its accuracy is not 0.625
    assert (res.behaviours == truth).mean() != pytest.approx(0.625)


@pytest.mark.parametrize("method", ["zero-shot", "marginal-decoder"])
def test_mirror_personas_tie_everywhere(method):
    truth = np.random.default_rng(1).integers(0, 2, 8)
    prior = ConceptMixture(F=np.stack([truth, 1 - truth]), eps=[0.1, 0.1], w=[0.5, 0.5])
    res = run_search(method, prior)
    assert res.extras["tied_items"].tolist() == list(range(8))
    assert res.accuracy(truth) == pytest.approx(0.5, abs=1e-12)
    assert res.accuracy(1 - truth) == pytest.approx(0.5, abs=1e-12)


def test_labels_remove_ties_on_labelled_items():
    truth, prior = _r5_tie_instance()
    res = run_search("zero-shot", prior, labels={5: int(truth[5]), 6: int(1 - truth[6])})
    assert 5 not in res.extras["tied_items"] and 6 not in res.extras["tied_items"]
    # items 5 (right label) and 6 (wrong label) count 1 and 0; 7 ties left at 1/2 each
    assert res.accuracy(truth) == pytest.approx((3 + 1 + 0 + 7 / 2) / 12, abs=1e-12)


def test_tie_tolerance_is_a_parameter():
    truth, prior = _r5_tie_instance()
    with pytest.raises(ValueError, match="tie_atol"):
        run_search("zero-shot", prior, tie_atol=-1.0)
    with pytest.raises(ValueError, match="tie_atol"):
        run_search("marginal-decoder", prior, tie_atol=float("nan"))
    # with a zero tolerance the float ties may or may not survive, but a clearly separated
    # score is never a tie
    res = run_search("zero-shot", ConceptMixture(F=np.stack([truth]), eps=[0.1], w=[1.0]), tie_atol=0.0)
    assert res.extras["tied_items"].size == 0 and res.accuracy(truth) == 1.0


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(2, 3), st.data())
def test_item_accuracy_is_the_average_over_every_tie_break(n, k, data):
    # scores drawn from a small integer range produce many exact ties
    scores = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n * k, max_size=n * k)), float).reshape(n, k)
    truth = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    ties = item_ties(scores)
    choices = [np.flatnonzero(scores[i] == scores[i].max()) for i in range(n)]
    brute = np.mean([np.mean(np.array(b) == truth) for b in itertools.product(*choices)])
    assert item_accuracy(ties, truth) == pytest.approx(brute, abs=1e-12)
    assert tied_items(ties).tolist() == [i for i in range(n) if len(choices[i]) > 1]


def test_joint_accuracy_averages_tied_vectors():
    B = np.array([[0, 0], [0, 1], [1, 1]])
    scores = np.array([1.0, 1.0 + 1e-12, 0.5])    # first two tie within the tolerance
    assert tie_set(scores).tolist() == [0, 1]
    assert joint_accuracy(B, scores, truth=[0, 1]) == pytest.approx(0.75)
