"""Peer check of the exact arithmetic coder against constriction's range coder (Rust core).

Both coders are driven by the same sequential conditionals of a prior along an order ``s``. The
ideal code length is ``-Coh_s(b) / ln 2`` bits. Ours keeps the interval exactly, so its length
lies in ``[ideal, ideal + 2]`` up to ``n 2^-40`` quantisation; constriction emits whole 32-bit
words and quantises to 24-bit probabilities, so its length lies in
``[ideal - 0.01 n, ideal + 34 + 0.01 n]`` (one word of padding, termination, and at most
``log2(1/(1 - 2^-8)) < 0.006`` bits per symbol of range truncation for conditionals >= 1e-3).
The two must agree to within one 32-bit word, and each must decode back to ``b`` when the decoder
recomputes the conditionals from its own decoded prefix.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

constriction = pytest.importorskip("constriction")

from theory import arithmetic_coder  # noqa: E402
from coherence.benchmarks.coder_constriction import constriction_encode, sequential_conditionals  # noqa: E402

from priors import concept_mixture, simulator  # noqa: E402

FAMILIES = {"concept_mixture": concept_mixture, "in_context_simulator": simulator}


def _instance(family, seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(3, 90)), int(rng.integers(2, 4))
    prior = FAMILIES[family](seed, n, k)
    return prior, rng.integers(0, k, n), rng.permutation(n)


def _adaptive_decode(prior, words, order):
    """constriction decoding with each conditional computed from the prefix decoded so far."""
    dec = constriction.stream.queue.RangeDecoder(np.asarray(words, dtype=np.uint32))
    out = np.zeros(prior.n, dtype=np.int64)
    for t, i in enumerate(order):
        p = np.exp(prior.log_conditional(out[None], int(i), order[:t])[0])
        out[i] = int(dec.decode(constriction.stream.model.Categorical(p, perfect=False)))
    return out


def _ideal_bits(prior, b, order):
    return float(-prior.log_joint(b[None], order)[0] / math.log(2))


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("seed", range(8))
def test_code_lengths_agree_and_meet_the_bound(family, seed):
    prior, b, order = _instance(family, seed)
    n = prior.n
    rows = sequential_conditionals(prior, b, order)
    assert rows.min() > 1e-3  # the premise of the per-symbol constriction overhead bound
    ideal = _ideal_bits(prior, b, order)
    # the rows handed to constriction are the conditionals Coh_s is made of
    assert -np.log2(rows[np.arange(n), b[order]]).sum() == pytest.approx(ideal, rel=1e-10, abs=1e-9)

    ours = arithmetic_coder.encode(prior, b, order)
    words = constriction_encode(rows, b[order])
    peer_bits = 32 * words.size
    assert ideal - 1e-6 <= ours.size <= ideal + 2 + 1e-6
    assert ideal - 0.01 * n <= peer_bits <= ideal + 34 + 0.01 * n
    assert abs(words.size - math.ceil(ours.size / 32)) <= 1

    np.testing.assert_array_equal(arithmetic_coder.decode(prior, ours, order), b)
    np.testing.assert_array_equal(_adaptive_decode(prior, words, order), b)


@pytest.mark.parametrize("seed", range(3))
def test_mixture_lengths_do_not_depend_on_the_order(seed):
    """Exchangeable prior: Coh_s is one number for every s, so both coders stay within their
    bounds of the same ideal length for every random order."""
    rng = np.random.default_rng(100 + seed)
    prior = concept_mixture(seed, 40, 2, K=4)
    b = prior.sample(rng, 1)[0]
    ideals, ours, peer = [], [], []
    for _ in range(6):
        order = rng.permutation(prior.n)
        ideals.append(_ideal_bits(prior, b, order))
        ours.append(arithmetic_coder.encode(prior, b, order).size)
        peer.append(32 * constriction_encode(sequential_conditionals(prior, b, order), b[order]).size)
    ideal = -prior.log_joint(b[None])[0] / math.log(2)
    np.testing.assert_allclose(ideals, ideal, rtol=1e-10)
    assert ideal <= min(ours) and max(ours) <= ideal + 2
    assert max(peer) <= ideal + 34 + 0.01 * prior.n


def test_simulator_lengths_track_the_order():
    """Non-exchangeable prior: Coh_s changes with s, and both code lengths follow it."""
    rng = np.random.default_rng(7)
    prior = simulator(7, 60, 2)
    b = rng.integers(0, 2, prior.n)
    orders = [rng.permutation(prior.n) for _ in range(30)]
    ideals = np.array([_ideal_bits(prior, b, s) for s in orders])
    lo, hi = orders[int(ideals.argmin())], orders[int(ideals.argmax())]
    gap = ideals.max() - ideals.min()
    assert gap > 3  # otherwise the instance cannot tell the orders apart
    ours_gap = arithmetic_coder.encode(prior, b, hi).size - arithmetic_coder.encode(prior, b, lo).size
    assert abs(ours_gap - gap) <= 2
    peer_lo = 32 * constriction_encode(sequential_conditionals(prior, b, lo), b[lo]).size
    peer_hi = 32 * constriction_encode(sequential_conditionals(prior, b, hi), b[hi]).size
    assert abs((peer_hi - peer_lo) - gap) <= 34 + 0.02 * prior.n
