"""Kriging by Cholesky solves (:func:`theory.gaussian.kriging_mean`) against the explicit-inverse
formula, against numerical maximisation's closed form via GaussianBehaviour, and against
scikit-learn's GaussianProcessRegressor with the same fixed kernel."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from theory.gaussian import GaussianBehaviour, kriging_mean, rbf_kernel


def _instance(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 6, n)
    K = rbf_kernel(x, rng.uniform(0.3, 2.0), rng.uniform(0.5, 3.0), jitter=rng.uniform(1e-3, 0.5))
    mu = rng.normal(0, 1, n)
    S = np.sort(rng.choice(n, int(rng.integers(1, n + 1)), replace=False))
    y = rng.normal(0, 2, S.size)
    return x, K, mu, S, y


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 40))
def test_kriging_matches_explicit_inverse(seed, n):
    x, K, mu, S, y = _instance(seed, n)
    U = np.setdiff1d(np.arange(n), S)
    ref = mu.copy()
    ref[S] = y
    ref[U] = mu[U] + K[np.ix_(U, S)] @ np.linalg.inv(K[np.ix_(S, S)]) @ (y - mu[S])
    got = kriging_mean(mu, K, S, y)
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-7 * (1 + np.abs(ref).max()))
    np.testing.assert_array_equal(got, GaussianBehaviour(mu, K).kriging(S, y))
    np.testing.assert_array_equal(got[S], y)


def test_precision_is_the_inverse_and_loo_unchanged():
    _, K, mu, _, _ = _instance(3, 12)
    g = GaussianBehaviour(mu, K)
    np.testing.assert_allclose(g.precision, np.linalg.inv(K), rtol=1e-8, atol=1e-8)
    b = np.random.default_rng(0).normal(size=12)
    mean, var = g.loo(b)
    # leave-one-out mean of item 4 = kriging mean from all the others
    others = np.setdiff1d(np.arange(12), [4])
    assert mean[4] == pytest.approx(kriging_mean(mu, K, others, b[others])[4], rel=1e-8, abs=1e-8)


@pytest.mark.parametrize("seed", range(3))
def test_kriging_matches_sklearn_gpr(seed):
    sk = pytest.importorskip("sklearn")  # noqa: F841
    from coherence.benchmarks.kriging_sklearn import sklearn_gpr

    rng = np.random.default_rng(seed)
    n, m = 300, 60
    x = np.sort(rng.uniform(0, 10, n))
    ls, var, jit = 0.9, 1.7, 1e-4
    K = rbf_kernel(x, ls, var, jit)
    S = np.sort(rng.choice(n, m, replace=False))
    y = rng.normal(0, 1, m)
    U = np.setdiff1d(np.arange(n), S)
    np.testing.assert_allclose(kriging_mean(np.zeros(n), K, S, y)[U], sklearn_gpr(x, S, y, ls, var, jit),
                               rtol=0, atol=1e-8)


@pytest.mark.parametrize("cov,match", [
    (np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), "positive definite"),
    (np.array([[1.0, 0.5, 0.0], [0.1, 1.0, 0.0], [0.0, 0.0, 1.0]]), "symmetric"),
    (np.array([[1.0, np.nan, 0.0], [np.nan, 1.0, 0.0], [0.0, 0.0, 1.0]]), "symmetric|finite"),
    (np.eye(4), "shape"),
])
def test_kriging_refuses_bad_covariances(cov, match):
    with pytest.raises(ValueError, match=match):
        kriging_mean(np.zeros(3), cov, [0, 1], [0.5, -0.5])


def test_kriging_refuses_bad_labels():
    with pytest.raises(ValueError, match="values"):
        kriging_mean(np.zeros(3), np.eye(3), [0, 1], [0.5])
    with pytest.raises(ValueError, match="labeled"):
        kriging_mean(np.zeros(3), np.eye(3), [0, 5], [0.5, 1.0])
