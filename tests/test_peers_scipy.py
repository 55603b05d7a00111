"""Peer check of the Dirichlet-multinomial prior against scipy's count-vector distributions.

``scipy.stats.dirichlet_multinomial.logpmf(x, alpha, m)`` and ``scipy.stats.betabinom`` give the
probability of a count vector; one sequence with those counts has that probability divided by the
multinomial coefficient. From these we rebuild ``Coh(b) = log P(b)``, the marginals of item
subsets and the leave-one-out conditionals (ratios of joints), and compare with
:class:`theory.dirichlet_multinomial.DirichletMultinomial`.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammaln, logsumexp
from scipy.stats import betabinom

from coherence.benchmarks.dm_scipy import scipy_log_marginal, scipy_log_marginal_vectorised
from theory.dirichlet_multinomial import DirichletMultinomial


def _model(seed):
    rng = np.random.default_rng(seed)
    n, k, C = int(rng.integers(4, 25)), int(rng.integers(2, 5)), int(rng.integers(1, 4))
    clusters = np.concatenate([np.arange(C), rng.integers(0, C, n - C)])
    rng.shuffle(clusters)
    return DirichletMultinomial(clusters, rng.uniform(0.1, 4.0, (C, k)), k=k), rng


@pytest.mark.parametrize("seed", range(10))
def test_joint_matches_scipy(seed):
    model, rng = _model(seed)
    B = np.concatenate([model.sample(rng, 20), rng.integers(0, model.k, (20, model.n))])
    peer = np.array([scipy_log_marginal(model, b) for b in B])
    np.testing.assert_allclose(model.log_joint(B), peer, rtol=0, atol=1e-9)
    np.testing.assert_allclose(scipy_log_marginal_vectorised(model, B), peer, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_subset_marginals_and_loo_match_scipy(seed):
    model, rng = _model(seed)
    b = model.sample(rng, 1)[0]
    for size in (1, 2, model.n // 2, model.n - 1):
        A = np.sort(rng.choice(model.n, size=size, replace=False))
        assert model.log_marginal(b[None], A)[0] == pytest.approx(scipy_log_marginal(model, b, A), abs=1e-9)
    # leave-one-out conditionals: P(b_i = y | b_{-i}) = P(b with b_i = y) / sum_y' P(b with b_i = y')
    loo = np.empty((model.n, model.k))
    for i in range(model.n):
        row = []
        for y in range(model.k):
            c = b.copy()
            c[i] = y
            row.append(scipy_log_marginal(model, c))
        loo[i] = np.array(row) - logsumexp(row)
    np.testing.assert_allclose(model.log_loo(b[None])[0], loo, rtol=0, atol=1e-9)


@pytest.mark.parametrize("a,bb", [(1.0, 1.0), (0.5, 0.5), (2.0, 5.0), (7.5, 0.3)])
def test_beta_bernoulli_matches_betabinom(a, bb):
    n = 17
    model = DirichletMultinomial.beta_bernoulli(n, a, bb)
    rng = np.random.default_rng(int(10 * a + bb))
    B = rng.integers(0, 2, (40, n))
    ones = B.sum(axis=1)
    # theta = P(b_i = 1) ~ Beta(a, bb), so the number of ones is BetaBinomial(n, a, bb)
    log_choose = gammaln(n + 1) - gammaln(ones + 1) - gammaln(n - ones + 1)
    np.testing.assert_allclose(model.log_joint(B), betabinom.logpmf(ones, n, a, bb) - log_choose, rtol=0, atol=1e-10)


@pytest.mark.parametrize("n,a,bb", [(6, 1.5, 0.7), (9, 0.4, 3.0), (1, 2.0, 5.0)])
def test_beta_bernoulli_zero_shot_and_counts_follow_docstring(n, a, bb):
    """a != b: zero-shot P(b_i = 1) = a / (a + b), and the law of the number of ones is scipy's
    betabinom(n, a, b) (the issue's instance: n = 6, a = 1.5, b = 0.7 gives 0.682, not 0.318)."""
    model = DirichletMultinomial.beta_bernoulli(n, a, bb)
    assert np.exp(model.log_zero_shot()[:, 1]) == pytest.approx(np.full(n, a / (a + bb)), abs=1e-12)
    from theory.enumeration import all_behaviours

    B = all_behaviours(n, 2).astype(np.int64)
    ones = B.sum(axis=1)
    mass = np.array([np.exp(logsumexp(model.log_joint(B)[ones == s])) for s in range(n + 1)])
    np.testing.assert_allclose(mass, betabinom.pmf(np.arange(n + 1), n, a, bb), rtol=0, atol=1e-12)
