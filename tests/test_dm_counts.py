"""Oracle tests for the Dirichlet-multinomial fast path (bincount counts + log-Gamma lookup tables)
against per-item loops and ``gammaln`` evaluated directly, and against scipy per vector."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st
from scipy.special import gammaln

from coherence.benchmarks.dm_scipy import scipy_log_marginal
from theory.dirichlet_multinomial import DirichletMultinomial


def _loop_counts(model, b, items):
    cnt = np.zeros((model.C, model.k), dtype=np.int64)
    for i in sorted(set(int(j) for j in items)):
        cnt[model.clusters[i], b[i]] += 1
    return cnt


def _direct(model, cnt):
    nc = cnt.sum(axis=-1)
    return float((gammaln(model.A) - gammaln(model.A + nc)
                  + (gammaln(model.alpha + cnt) - gammaln(model.alpha)).sum(axis=-1)).sum())


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 120), k=st.integers(2, 5), C=st.integers(1, 4))
def test_counts_and_marginals_match_loops(seed, n, k, C):
    rng = np.random.default_rng(seed)
    C = min(C, n)
    clusters = np.concatenate([np.arange(C), rng.integers(0, C, n - C)])
    rng.shuffle(clusters)
    model = DirichletMultinomial(clusters, rng.uniform(0.05, 5.0, (C, k)), k=k)
    B = rng.integers(0, k, (2, 3, n))
    items = rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False)
    repeated = np.concatenate([items, items[: items.size // 2]])       # counts: duplicates count once
    cnt = model.counts(B, repeated)
    lm = model.log_marginal(B, items)
    lj = model.log_joint(B)
    for a in range(2):
        for c in range(3):
            ref = _loop_counts(model, B[a, c], items)
            np.testing.assert_array_equal(cnt[a, c], ref)
            assert abs(lm[a, c] - _direct(model, ref)) <= 1e-9 * max(1.0, abs(lm[a, c]))
            full = _loop_counts(model, B[a, c], range(n))
            assert abs(lj[a, c] - _direct(model, full)) <= 1e-9 * max(1.0, abs(lj[a, c]))


def test_vectorised_joint_matches_scipy_per_vector_at_large_n():
    """n = 400 (counts up to 400 in the lookup tables) against scipy one vector at a time."""
    rng = np.random.default_rng(3)
    clusters = rng.integers(0, 3, 400)
    model = DirichletMultinomial(clusters, rng.uniform(0.1, 3.0, (3, 4)), k=4)
    B = np.concatenate([model.sample(rng, 30), np.zeros((1, 400), dtype=np.int64)])
    peer = np.array([scipy_log_marginal(model, b) for b in B])
    np.testing.assert_allclose(model.log_joint(B), peer, rtol=1e-12, atol=1e-9)
