"""Dirichlet-multinomial numbers at the edges: every concentration in [1e-3, 1e300] against
mpmath's rising factorials at 400 digits, golden values of the Beta-Bernoulli at large ``alpha``,
the i.i.d. categorical limit, and cluster ids relabelled so memory follows the data, not the ids."""
from __future__ import annotations

import math
import tracemalloc

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from theory.dirichlet_multinomial import DirichletMultinomial

#: digits of the reference: log Gamma(1e300) is ~7e302, so the rising-factorial logs of one
#: cluster must keep ~320 digits before they cancel down to a log-probability near 1e-303
DPS = 400


def ref_log_prob(alpha, clusters, b, items) -> float:
    """``log P(b_items)`` (nats) = ``sum_c [sum_y log rf(alpha_cy, n_cy) - log rf(A_c, n_c)]``,
    ``rf`` mpmath's rising factorial (a product for integer counts), ``A_c`` the exact sum."""
    with mp.workdps(DPS):
        total = mp.mpf(0)
        for c in range(alpha.shape[0]):
            sel = [int(b[i]) for i in items if clusters[i] == c]
            if not sel:
                continue
            a = [mp.mpf(float(x)) for x in alpha[c]]
            cnt = [sel.count(y) for y in range(len(a))]
            total += mp.fsum(mp.log(mp.rf(a[y], cnt[y])) for y in range(len(a))) - mp.log(mp.rf(mp.fsum(a), len(sel)))
        return float(total)


def ref_log_conditional(alpha, clusters, b, i, demos) -> np.ndarray:
    """``log (alpha_cy + n_cy) / (A_c + n_c)`` (nats) over the demos in ``i``'s cluster, at ``DPS`` digits."""
    c = clusters[i]
    with mp.workdps(DPS):
        a = [mp.mpf(float(x)) for x in alpha[c]]
        cnt = [sum(1 for j in demos if clusters[j] == c and b[j] == y) for y in range(len(a))]
        den = mp.fsum(a) + sum(cnt)
        return np.array([float(mp.log((a[y] + cnt[y]) / den)) for y in range(len(a))])


def close(got, ref, rtol) -> bool:
    return abs(got - ref) <= rtol * abs(ref)


exponents = st.floats(-3.0, 300.0, allow_nan=False)         # alpha = 10**e, log-uniform in [1e-3, 1e300]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n=st.integers(1, 30), k=st.integers(2, 4), C=st.integers(1, 3),
       symmetric=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_log_probabilities_match_mpmath_for_every_alpha(data, n, k, C, symmetric, seed):
    rng = np.random.default_rng(seed)
    C = min(C, n)
    clusters = rng.permutation(np.concatenate([np.arange(C), rng.integers(0, C, n - C)]))
    if symmetric:
        alpha = np.repeat([[10.0 ** data.draw(exponents)] for _ in range(C)], k, axis=1)
    else:
        alpha = np.array([[10.0 ** data.draw(exponents) for _ in range(k)] for _ in range(C)])
    model = DirichletMultinomial(clusters, alpha, k=k)
    # all one behaviour (the largest share: log P can be ~ -1e-303) or uniform draws
    b = np.full(n, int(alpha[0].argmax())) if data.draw(st.booleans()) else rng.integers(0, k, n)

    assert close(float(model.log_joint(b)), ref_log_prob(alpha, clusters, b, range(n)), 1e-12)
    items = np.sort(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False))
    assert close(float(model.log_marginal(b, items)), ref_log_prob(alpha, clusters, b, items), 1e-12)

    i = int(rng.integers(0, n))
    demos = rng.permutation(np.delete(np.arange(n), i))[: int(rng.integers(0, n))]
    got = model.log_conditional(b, i, demos)
    ref = ref_log_conditional(alpha, clusters, b, i, demos)
    assert all(close(g, r, 1e-13) for g, r in zip(got, ref)), (got, ref)
    loo = model.log_loo(b)
    for j in range(n):
        ref = ref_log_conditional(alpha, clusters, b, j, np.delete(np.arange(n), j))
        assert all(close(g, r, 1e-13) for g, r in zip(loo[j], ref)), (j, loo[j], ref)


#: log P(0, 1, 1, 0) under Beta(A, A)-Bernoulli = log[A (A+1) / (4 (2A+1) (2A+3))], evaluated by
#: mpmath at 60 digits (the float nearest each value); the A -> inf limit is 4 ln(1/2)
GOLDEN = {
    1e12: -2.7725887222407812377,
    1e16: -2.7725887222397813377,
    1e20: -2.7725887222397812377,
    1e300: -2.7725887222397812377,
}


@pytest.mark.parametrize("A", sorted(GOLDEN))
def test_beta_bernoulli_golden_values_at_large_alpha(A):
    model = DirichletMultinomial.beta_bernoulli(4, a=A, b=A)
    assert float(model.log_joint(np.array([0, 1, 1, 0]))) == pytest.approx(GOLDEN[A], rel=1e-15, abs=0)


@pytest.mark.parametrize("scale", [1e20, 1e100, 1e300])
def test_large_alpha_is_the_iid_categorical(scale):
    """``alpha = scale * p``: ``log P(b) -> sum_i log p_{b_i}`` and every conditional -> ``log p``."""
    p = np.array([0.2, 0.3, 0.5])
    b = np.array([2, 0, 2, 1, 2, 0, 1, 2])
    model = DirichletMultinomial(np.zeros(b.size, dtype=np.int64), scale * p)
    assert float(model.log_joint(b)) == pytest.approx(math.fsum(math.log(p[y]) for y in b), rel=1e-14)
    np.testing.assert_allclose(model.log_loo(b), np.log(np.broadcast_to(p, (b.size, 3))), rtol=1e-14)


def all_pairs(k):
    return np.array([[x, y] for x in range(k) for y in range(k)])


def test_a_large_cluster_id_costs_nothing():
    """ids [0, 10**6] once allocated an identity of side 10**6 + 1 (7.28 TiB); relabelled, they give
    the numbers of ids [0, 1] in bounded memory."""
    B = all_pairs(3)
    alpha = [0.5, 1.0, 2.0]
    tracemalloc.start()
    try:
        far = DirichletMultinomial(np.array([0, 10**6]), alpha)
        lj = far.log_joint(B)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"peak {peak} bytes"
    near = DirichletMultinomial(np.array([0, 1]), alpha)
    assert far.C == 2 and far.cluster_ids.tolist() == [0, 10**6]
    np.testing.assert_array_equal(lj, near.log_joint(B))
    np.testing.assert_array_equal(far.counts(B), near.counts(B))
    np.testing.assert_array_equal(far.log_marginal(B, [1]), near.log_marginal(B, [1]))
    np.testing.assert_array_equal(far.log_conditional(B, 0, [1]), near.log_conditional(B, 0, [1]))
    np.testing.assert_array_equal(far.log_loo(B), near.log_loo(B))
    np.testing.assert_array_equal(far.sample(np.random.default_rng(1), 5), near.sample(np.random.default_rng(1), 5))
    # independent check: two singleton clusters are independent items, log P = sum_i log(alpha_b / A)
    ref = np.log(np.array(alpha)[B]).sum(axis=1) - 2 * np.log(sum(alpha))
    np.testing.assert_allclose(lj, ref, rtol=1e-14)


def test_per_cluster_alpha_is_indexed_by_the_given_id():
    alpha = np.arange(1.0, 13.0).reshape(6, 2)                       # rows for ids 0..5
    B = all_pairs(2)
    sparse = DirichletMultinomial(np.array([5, 2]), alpha)
    dense = DirichletMultinomial(np.array([1, 0]), alpha[[2, 5]])
    np.testing.assert_array_equal(sparse.log_joint(B), dense.log_joint(B))
    ref = np.log(alpha[5][B[:, 0]] / alpha[5].sum()) + np.log(alpha[2][B[:, 1]] / alpha[2].sum())
    np.testing.assert_allclose(sparse.log_joint(B), ref, rtol=1e-14)
    with pytest.raises(ValueError, match=r"alpha must have shape \(k,\) or \(C, k\) with C = max cluster id \+ 1 = 6"):
        DirichletMultinomial(np.array([5, 2]), alpha[:2])


def test_lookup_tables_follow_the_items_not_clusters_times_items():
    """3000 singleton clusters: tables of C k (n + 1) float64 would be 144 MB; the built ones hold
    at most 2 (k + 1)(n + C) numbers, and log P is the independent-items closed form."""
    n = 3000
    rng = np.random.default_rng(0)
    alpha = np.array([0.7, 1.9])
    b = rng.integers(0, 2, (2, n))
    model = DirichletMultinomial(7 * np.arange(n), alpha)
    tracemalloc.start()
    try:
        lj = model.log_joint(b)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"peak {peak} bytes"
    U, S = model._count_tables()[:2]
    assert U.size + S.size <= 2 * (2 + 1) * (n + n)          # the documented 2 (k + 1)(n + C) numbers
    ref = [math.fsum(math.log(alpha[y] / alpha.sum()) for y in row) for row in b]
    np.testing.assert_allclose(lj, ref, rtol=1e-13)
