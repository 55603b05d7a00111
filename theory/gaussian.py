"""Gaussian and Gaussian-process behaviours.

Real-valued behaviours ``b ~ N(mu, K)``: coherence is the log density
``Coh(b) = log N(b; mu, K)`` (nats, a density, so it can be positive). With precision
``Lambda = K^{-1}`` the leave-one-out conditional is Gaussian with

    mean_i = b_i - (Lambda (b - mu))_i / Lambda_ii,     var_i = 1 / Lambda_ii,

and the coherence maximiser given labels ``b_S = y_S`` is the kriging (conditional) mean
``mu_U + K_US K_SS^{-1} (y_S - mu_S)``, computed by :func:`kriging_mean` with one Cholesky
factorisation of ``K_SS`` and triangular solves (no inverse is formed).

:class:`ProbitGP` is the classification variant: ``b_i = 1[f_i > 0]`` with ``f ~ N(mu, K)``, a
:class:`~theory.prior.JointPrior` whose marginals are orthant probabilities (Genz's algorithm in
SciPy, absolute error ``abseps``; exact enough for small ``n``).
"""
from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.stats import multivariate_normal

from . import validation as V
from .prior import JointPrior


def _check_cov(mu, cov):
    mu = V.as_float_array("mu", mu, ndim=1)
    K = V.as_float_array("cov", cov, ndim=2)
    if K.shape != (mu.size, mu.size):
        raise ValueError(f"cov must have shape ({mu.size}, {mu.size}) to match mu, got {K.shape}")
    if not np.allclose(K, K.T, atol=1e-10):
        raise ValueError("cov must be symmetric")
    try:
        chol = linalg.cholesky(K, lower=True)
    except linalg.LinAlgError as exc:
        raise ValueError("cov must be positive definite (Cholesky failed)") from exc
    return mu, K, chol


def rbf_kernel(x, lengthscale: float = 1.0, variance: float = 1.0, jitter: float = 1e-8) -> np.ndarray:
    """``K_ij = variance * exp(-|x_i - x_j|^2 / (2 lengthscale^2)) + jitter * 1(i = j)``."""
    x = V.as_float_array("x", x)
    x = x[:, None] if x.ndim == 1 else x
    V.positive("lengthscale", lengthscale)
    V.positive("variance", variance)
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    return variance * np.exp(-0.5 * d2 / lengthscale**2) + jitter * np.eye(len(x))


class GaussianBehaviour:
    """``b ~ N(mu, cov)`` over real-valued behaviours of ``n`` contexts."""

    def __init__(self, mu, cov):
        self.mu, self.cov, self._chol = _check_cov(mu, cov)
        self.n = self.mu.size

    @property
    def precision(self) -> np.ndarray:
        """``K^{-1}`` from the Cholesky factor, formed on first use: only the leave-one-out
        conditionals need it (their variances are ``1 / (K^{-1})_ii``)."""
        if not hasattr(self, "_precision"):
            self._precision = linalg.cho_solve((self._chol, True), np.eye(self.n))
        return self._precision

    def log_joint(self, b) -> np.ndarray:
        """``log N(b; mu, K)`` in nats for ``b`` of shape ``(..., n)``."""
        b = V.as_float_array("b", b)
        if b.shape[-1] != self.n:
            raise ValueError(f"b must have shape (..., {self.n}), got {b.shape}")
        r = b - self.mu
        z = linalg.solve_triangular(self._chol, r.reshape(-1, self.n).T, lower=True)
        maha = (z**2).sum(axis=0).reshape(r.shape[:-1])
        logdet = 2 * np.log(np.diag(self._chol)).sum()
        return -0.5 * (maha + logdet + self.n * np.log(2 * np.pi))

    def loo(self, b):
        """Leave-one-out conditional means and variances, each ``(..., n)``, via the precision."""
        b = V.as_float_array("b", b)
        r = (b - self.mu) @ self.precision
        d = np.diag(self.precision)
        return b - r / d, np.broadcast_to(1.0 / d, b.shape)

    def log_loo(self, b) -> np.ndarray:
        """``log N(b_i; mean_i, var_i)`` for each ``i`` (nats): ``(..., n)``."""
        mean, var = self.loo(b)
        return -0.5 * (np.log(2 * np.pi * var) + (np.asarray(b) - mean) ** 2 / var)

    def pseudo_likelihood(self, b) -> np.ndarray:
        return self.log_loo(b).sum(axis=-1)

    def kriging(self, labeled, values) -> np.ndarray:
        """The coherence maximiser given ``b_S = values``: full vector with the kriging mean on
        the unlabelled items ``mu_U + K_US K_SS^{-1} (y_S - mu_S)``."""
        return kriging_mean(self.mu, self.cov, labeled, values)

    def sample(self, rng: np.random.Generator, size: int = 1) -> np.ndarray:
        return self.mu + rng.standard_normal((size, self.n)) @ self._chol.T


def kriging_mean(mu, cov, labeled, values) -> np.ndarray:
    """``E[b | b_S = values]`` for ``b ~ N(mu, cov)``: ``values`` on ``S = labeled`` and
    ``mu_U + K_US K_SS^{-1} (y_S - mu_S)`` elsewhere, shape ``(n,)``.

    Reads only the rows ``K_S.`` of ``cov`` (the cross-covariance as ``K_US = K_SU^T``, as for any
    covariance; :class:`GaussianBehaviour` checks the whole matrix) and checks what it reads:
    finite, ``K_SS`` symmetric and positive definite (its Cholesky factorisation succeeds). One
    factorisation, two triangular solves and one matrix-vector product; no inverse is formed.
    """
    mu = V.as_float_array("mu", mu, ndim=1)
    n = mu.size
    cov = np.asarray(cov, dtype=float)
    if cov.shape != (n, n):
        raise ValueError(f"cov must have shape ({n}, {n}) to match mu, got {cov.shape}")
    S = V.index_array("labeled", labeled, n, allow_empty=False)
    y = V.as_float_array("values", values, ndim=1)
    if y.size != S.size:
        raise ValueError(f"values must have one entry per labeled item ({S.size}), got {y.size}")
    rows = cov[S]                                               # K_S. (contiguous rows)
    block = rows[:, S]
    if not np.abs(block - block.T).max() <= 1e-10:             # nan fails the comparison too
        raise ValueError("cov must be symmetric (K_SS is not)")
    try:
        factor = linalg.cho_factor(block, lower=True, check_finite=False)
    except linalg.LinAlgError as exc:
        raise ValueError("cov must be positive definite (Cholesky of K_SS failed)") from exc
    if not np.isfinite(factor[0]).all() or not np.isfinite(rows).all():
        raise ValueError("cov must be finite (no nan or inf)")
    weights = linalg.cho_solve(factor, y - mu[S], check_finite=False)
    out = mu + weights @ rows                                   # mu + K_.S K_SS^{-1} (y_S - mu_S)
    out[S] = y
    return out


class ProbitGP(JointPrior):
    """Binary behaviours ``b_i = 1[f_i > 0]``, ``f ~ N(mu, cov)``: ``P(b_A)`` is an orthant probability."""

    exchangeable = True

    def __init__(self, mu, cov, abseps: float = 1e-7):
        self.mu, self.cov, _ = _check_cov(mu, cov)
        self.n = self.mu.size
        self.k = 2
        self.abseps = float(V.positive("abseps", abseps))
        if self.n > 12:
            raise ValueError(f"ProbitGP is for small n (mvn orthant probabilities); accepted n <= 12, got {self.n}")
        self._cache: dict = {}

    def _log_orthant(self, items: tuple, signs: tuple) -> float:
        key = (items, signs)
        if key not in self._cache:
            idx = np.array(items)
            s = np.array(signs, dtype=float)
            # P(s_j f_j > 0 for all j) = P(g < 0), g = -s f ~ N(-s mu, D K D)
            mean = -s * self.mu[idx]
            cov = self.cov[np.ix_(idx, idx)] * np.outer(s, s)
            if idx.size == 1:
                from scipy.stats import norm

                p = norm.cdf(0.0, loc=mean[0], scale=np.sqrt(cov[0, 0]))
            else:
                # a fixed generator makes Genz's quasi-Monte Carlo rule deterministic
                p = multivariate_normal.cdf(np.zeros(idx.size), mean=mean, cov=cov, abseps=self.abseps,
                                            releps=self.abseps, rng=np.random.default_rng(0))
            self._cache[key] = float(np.log(max(p, 1e-300)))
        return self._cache[key]

    def log_marginal(self, B, items) -> np.ndarray:
        B = self._check(B)
        items = tuple(int(j) for j in np.sort(V.index_array("items", items, self.n)))
        if not items:
            return np.zeros(B.shape[:-1])
        flat = B.reshape(-1, self.n)
        out = np.array([self._log_orthant(items, tuple(int(2 * row[j] - 1) for j in items)) for row in flat])
        return out.reshape(B.shape[:-1])
