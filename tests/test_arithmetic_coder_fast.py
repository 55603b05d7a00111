"""The fast coder (``exact=False``, constriction's range coder inside) against the exact big-integer
oracle and the ideal length ``-Coh_s(b)/ln 2``: round trips, bit overhead, input errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

pytest.importorskip("constriction")

from theory import arithmetic_coder as ac  # noqa: E402
from theory.concept_mixture import ConceptMixture  # noqa: E402

from priors import ALL_FAMILIES  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 9999), n=st.integers(1, 40), family=st.sampled_from(sorted(ALL_FAMILIES)))
def test_fast_round_trip_for_every_family_and_order(seed, n, family):
    k = 3 if seed % 2 else 2
    n = min(n, 8) if family == "table" else n
    prior = ALL_FAMILIES[family](seed, n, k)
    rng = np.random.default_rng(seed)
    b = rng.integers(0, k, n)
    s = rng.permutation(n)
    bits = ac.encode(prior, b, s, exact=False)
    assert bits.size % 32 == 0 and set(np.unique(bits)) <= {0, 1}
    np.testing.assert_array_equal(ac.decode(prior, bits, s, exact=False), b)
    ideal = -prior.log_joint(b[None], s)[0] / math.log(2)
    # whole 32-bit words, 24-bit probabilities: at most one word plus 1% over the ideal here
    assert bits.size <= ideal + 64 + 0.01 * n


def test_fast_coder_within_2_percent_of_ideal_at_n_2000():
    """The benchmark instance: n = 2000 draws from a K = 4 mixture in a random order."""
    rng = np.random.default_rng(0)
    model = ConceptMixture(F=rng.integers(0, 2, (4, 2000)), eps=rng.uniform(0.05, 0.45, 4), w=np.full(4, 0.25))
    b = model.sample(rng, 1)[0]
    order = rng.permutation(2000)
    ideal = -model.log_joint(b[None])[0] / math.log(2)
    fast = ac.encode(model, b, order, exact=False)
    exact = ac.encode(model, b, order, exact=True)
    assert ideal - 0.01 * 2000 <= fast.size <= 1.02 * ideal
    assert ideal - 1e-6 <= exact.size <= ideal + 2
    np.testing.assert_array_equal(ac.decode(model, fast, order, exact=False), b)


def test_rows_api_matches_prior_api_and_round_trips():
    rng = np.random.default_rng(5)
    P = rng.dirichlet(np.ones(3) * 0.5, size=300)
    P[::7, 0] = 0.0                                         # zero-probability entries stay codable
    y = np.array([rng.choice(3, p=p / p.sum()) for p in P])
    for exact in (True, False):
        bits = ac.encode_rows(P, y, exact=exact)
        np.testing.assert_array_equal(ac.decode_rows(P, bits, exact=exact), y)
    # unnormalised rows code the same as their normalised versions
    np.testing.assert_array_equal(ac.encode_rows(3.0 * P, y, exact=False), ac.encode_rows(P, y, exact=False))


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("P,y,match", [
    (np.array([[0.5, np.nan], [0.5, 0.5]]), [0, 1], "probs"),
    (np.array([[-0.5, 1.5], [0.5, 0.5]]), [0, 1], "probs"),
    (np.array([[np.inf, 1.0], [0.5, 0.5]]), [0, 1], "probs"),
    (np.array([[0.0, 0.0], [0.5, 0.5]]), [0, 1], "probs"),
    (np.array([[0.5, 0.5], [0.5, 0.5]]), [0, 2], "symbols"),
    (np.array([[0.5, 0.5], [0.5, 0.5]]), [0], "symbols"),
    (np.array([[0.5, 0.5], [0.5, 0.5]]), [0.0, 1.0], "symbols"),
])
def test_bad_rows_and_symbols_are_refused(exact, P, y, match):
    with pytest.raises(ValueError, match=match):
        ac.encode_rows(P, np.asarray(y), exact=exact)


def test_fast_code_must_be_whole_words():
    with pytest.raises(ValueError, match="32-bit"):
        ac.decode_rows(np.full((2, 2), 0.5), np.zeros(31, dtype=np.uint8), exact=False)
