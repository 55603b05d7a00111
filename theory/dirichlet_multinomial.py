"""Dirichlet-multinomial clusters: the cluster assumption as a pretrained prior.

Contexts fall into clusters ``c(x_i) in {0..C-1}``; within cluster ``c`` the behaviours are i.i.d.
categorical with parameter ``theta_c ~ Dirichlet(alpha_c)``. With counts ``n_cy`` of behaviour ``y``
in cluster ``c`` and ``A_c = sum_y alpha_cy``,

    Coh(b) = sum_c [ lnGamma(A_c) - lnGamma(A_c + n_c) + sum_y lnGamma(alpha_cy + n_cy) - lnGamma(alpha_cy) ]

(nats, exchangeable within a cluster), and the leave-one-out conditional is
``(alpha_cy + n_cy^{-i}) / (A_c + n_c - 1)``. Asymptotically ``-Coh ~ n H(counts/n) + (k-1)/2 ln n``
per cluster: entropy minimisation plus a BIC-like penalty. Beta-Bernoulli is ``k = 2``, ``C = 1``.
"""
from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from . import validation as V
from .prior import JointPrior


class DirichletMultinomial(JointPrior):
    """``clusters``: (n,) cluster index of each context; ``alpha``: (k,) shared or (C, k) per cluster."""

    def __init__(self, clusters, alpha, k: int | None = None):
        c = np.asarray(clusters)
        if c.ndim != 1 or c.size == 0:
            raise ValueError(f"clusters must be a non-empty 1-D array of cluster indices, got shape {c.shape}")
        if not np.issubdtype(c.dtype, np.integer) or c.min() < 0:
            raise ValueError("clusters must hold non-negative integer cluster indices")
        self.clusters = c.astype(np.int64)
        self.n = c.size
        self.C = int(self.clusters.max()) + 1
        a = V.positive("alpha", alpha)
        if a.ndim == 1:
            a = np.broadcast_to(a, (self.C, a.size))
        if a.ndim != 2 or a.shape[0] != self.C:
            raise ValueError(f"alpha must have shape (k,) or (C, k) with C = {self.C}, got {np.shape(alpha)}")
        self.k = a.shape[1] if k is None else V.positive_int("k", k, 2)
        if a.shape[1] != self.k or self.k < 2:
            raise ValueError(f"alpha must have k >= 2 entries per cluster (k = {self.k}), got {a.shape[1]}")
        self.alpha = np.array(a, dtype=float)
        self.A = self.alpha.sum(axis=1)
        self._onehot_cluster = np.eye(self.C)[self.clusters]          # (n, C)

    @classmethod
    def beta_bernoulli(cls, n: int, a: float = 1.0, b: float = 1.0) -> "DirichletMultinomial":
        """``theta ~ Beta(a, b)``, ``b_i ~ Bernoulli(theta)`` i.i.d.: ``theta = P(b_i = 1)``, so
        behaviour 1 has Dirichlet weight ``a`` and behaviour 0 weight ``b`` (``alpha = (b, a)``);
        zero-shot ``P(b_i = 1) = a / (a + b)`` and the number of ones is ``BetaBinomial(n, a, b)``."""
        V.positive_int("n", n, 1)
        return cls(np.zeros(n, dtype=np.int64), np.array([b, a], dtype=float))

    def counts(self, B, items=None) -> np.ndarray:
        """``n_cy``: counts of behaviour ``y`` in cluster ``c`` among ``items`` (default all):
        ``(..., C, k)`` int64, one ``bincount`` over the codes ``(row, c(x_i), b_i)``."""
        B = self._check(B)
        lead = B.shape[:-1]
        flat = B.reshape(-1, self.n)
        cl = self.clusters
        if items is not None:
            sel = np.unique(np.asarray(items, dtype=np.int64))     # a repeated item counts once
            if sel.size and (sel[0] < 0 or sel[-1] >= self.n):
                raise ValueError(f"items must be item indices in [0, {self.n - 1}]")
            flat, cl = flat[:, sel], cl[sel]
        N, ck = flat.shape[0], self.C * self.k
        code = (np.arange(N, dtype=np.int64) * ck)[:, None] + (cl * self.k) + flat
        return np.bincount(code.ravel(), minlength=N * ck).reshape(lead + (self.C, self.k))

    def _gamma_tables(self):
        """``T[c, y, m] = lnGamma(alpha_cy + m) - lnGamma(alpha_cy)`` and
        ``G[c, m] = lnGamma(A_c) - lnGamma(A_c + m)`` for ``m = 0..n``: a count's log-Gamma terms
        become one lookup each (built once; the priors are immutable)."""
        if not hasattr(self, "_tables"):
            m = np.arange(self.n + 1)
            T = gammaln(self.alpha[:, :, None] + m) - gammaln(self.alpha)[:, :, None]
            G = gammaln(self.A)[:, None] - gammaln(self.A[:, None] + m)
            self._tables = (T.reshape(-1), G.reshape(-1))
        return self._tables

    def _log_marginal_counts(self, cnt, sizes=None) -> np.ndarray:
        """``sum_c G[c, n_c] + sum_{c,y} T[c, y, n_cy]`` (nats) by table lookup; ``sizes``: the
        ``n_c`` when they are the same for every row (then that sum is one constant)."""
        T, G = self._gamma_tables()
        cnt = np.asarray(cnt, dtype=np.int64)
        stride = self.n + 1
        cy = (np.arange(self.C * self.k) * stride).reshape(self.C, self.k)
        per = T[cy + cnt].sum(axis=(-2, -1))
        nc = cnt.sum(axis=-1) if sizes is None else sizes
        return per + G[np.arange(self.C) * stride + nc].sum(axis=-1)

    def log_marginal(self, B, items) -> np.ndarray:
        items = V.index_array("items", items, self.n)
        return self._log_marginal_counts(self.counts(B, items))

    def log_joint(self, B, order=None) -> np.ndarray:
        """``Coh(b) = log P(b)`` (nats) for ``B`` of shape ``(..., n)``: the cluster sizes ``n_c``
        are fixed, so ``sum_c G[c, n_c]`` is one constant and only the ``T`` lookups vary."""
        B = self._check(B)
        if order is not None:
            V.order("order", order, self.n)
        return self._log_marginal_counts(self.counts(B), np.bincount(self.clusters, minlength=self.C))

    def log_conditional(self, B, i, demos) -> np.ndarray:
        d = self._check_demos(i, demos)
        cnt = self.counts(B, d)[..., self.clusters[i], :]               # (..., k)
        c = self.clusters[i]
        return np.log(self.alpha[c] + cnt) - np.log(self.A[c] + cnt.sum(axis=-1, keepdims=True))

    def log_loo(self, B) -> np.ndarray:
        B = self._check(B)
        cnt = self.counts(B)[..., self.clusters, :]                      # (..., n, k)
        own = (B[..., :, None] == np.arange(self.k)).astype(float)
        rest = cnt - own
        al = self.alpha[self.clusters]
        return np.log(al + rest) - np.log(self.A[self.clusters][:, None] + rest.sum(axis=-1, keepdims=True))

    def sample(self, rng: np.random.Generator, size: int = 1) -> np.ndarray:
        """Draw ``size`` behaviour vectors: ``theta_c ~ Dir(alpha_c)``, then categorical draws."""
        out = np.empty((size, self.n), dtype=np.int64)
        for s in range(size):
            theta = np.stack([rng.dirichlet(self.alpha[c]) for c in range(self.C)])
            u = rng.random(self.n)
            cdf = np.cumsum(theta[self.clusters], axis=1)
            out[s] = (u[:, None] > cdf).sum(axis=1).clip(max=self.k - 1)
        return out


def dm_asymptotic_codelength(counts, alpha) -> float:
    """Large-``n`` expansion of ``-Coh`` for one cluster with counts ``n_y`` (all > 0), nats:

        n H + (k-1)/2 ln n - (k-1)/2 ln(2 pi) - ln Gamma(A) + sum_y ln Gamma(alpha_y)
          + sum_y (1/2 - alpha_y) ln(n_y / n) + o(1),

    from Stirling's formula ``ln Gamma(z + a) = (z + a - 1/2) ln z - z + ln(2 pi)/2 + o(1)``.
    """
    cnt = np.asarray(counts, dtype=float)
    al = np.asarray(alpha, dtype=float)
    if np.any(cnt <= 0):
        raise ValueError("counts must all be > 0 for the asymptotic expansion")
    n = cnt.sum()
    k = cnt.size
    p = cnt / n
    H = -np.sum(p * np.log(p))
    return float(n * H + 0.5 * (k - 1) * np.log(n) - 0.5 * (k - 1) * np.log(2 * np.pi)
                 - gammaln(al.sum()) + gammaln(al).sum() + np.sum((0.5 - al) * np.log(p)))
