"""Dirichlet-multinomial clusters: the cluster assumption as a pretrained prior.

Contexts fall into clusters ``c(x_i)``; within cluster ``c`` the behaviours are i.i.d.
categorical with parameter ``theta_c ~ Dirichlet(alpha_c)``. With counts ``n_cy`` of behaviour ``y``
in cluster ``c`` and ``A_c = sum_y alpha_cy``,

    Coh(b) = sum_c [ lnGamma(A_c) - lnGamma(A_c + n_c) + sum_y lnGamma(alpha_cy + n_cy) - lnGamma(alpha_cy) ]

(nats, exchangeable within a cluster), and the leave-one-out conditional is
``(alpha_cy + n_cy^{-i}) / (A_c + n_c - 1)``. Asymptotically ``-Coh ~ n H(counts/n) + (k-1)/2 ln n``
per cluster: entropy minimisation plus a BIC-like penalty. Beta-Bernoulli is ``k = 2``, ``C = 1``.

Numbers. The log-Gamma differences above cancel catastrophically once ``alpha`` is large
(``lnGamma(1e16)`` is ``3.6e17``, its float64 ulp 64 nats). They are never formed: with
``r_cy = A_c - alpha_cy`` (the sum of the other concentrations), the rising factorials regroup as

    Coh(b) = sum_{c,y} U_cy(n_cy) + sum_c [ sum_y S_c(n_cy) - S_c(n_c) ],
    U_cy(m) = -sum_{j<m} log1p(r_cy / (alpha_cy + j)) <= 0,     S_c(m) = sum_{j<m} log1p(j / A_c) >= 0,

where every summand is a ``log1p`` of a positive ratio (accurate to an ulp at any magnitude) and both
parts are <= 0, so they do not cancel each other. As ``alpha -> inf`` with ``alpha / A`` fixed this
tends to the i.i.d. categorical ``sum n_cy log(alpha_cy / A_c)``. Cluster ids may be any
non-negative integers: they are relabelled ``0..C-1`` in sorted order (:attr:`cluster_ids`), so
memory follows the number of items and distinct clusters, not the largest id.
"""
from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from . import validation as V
from .prior import JointPrior


def log_share(p, q) -> np.ndarray:
    """``log(p / (p + q))`` in nats for ``p > 0``, ``q >= 0`` (broadcast), as ``-log1p(q / p)``:
    no ``p + q`` is formed, so huge ``p, q`` and shares near 1 keep their digits. Where ``q / p``
    overflows, ``log p - log q`` (then ``log1p(q/p) = log(q/p)`` to far below an ulp)."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    with np.errstate(over="ignore"):
        ratio = q / p
    finite = np.isfinite(ratio)
    with np.errstate(divide="ignore"):
        return np.where(finite, -np.log1p(np.where(finite, ratio, 0.0)), np.log(p) - np.log(q))


def _others(alpha) -> np.ndarray:
    """``r_cy = sum_{y' != y} alpha_cy'`` for ``alpha`` ``(C, k)``. ``A_c - alpha_cy`` loses
    digits only for the largest entry of a row (the one that can exceed ``A_c / 2``); that entry's
    complement is summed directly."""
    A = alpha.sum(axis=1)
    rest = A[:, None] - alpha
    top = alpha.argmax(axis=1)
    rows = np.arange(alpha.shape[0])
    rest[rows, top] = np.where(np.arange(alpha.shape[1]) == top[:, None], 0.0, alpha).sum(axis=1)
    return rest


class DirichletMultinomial(JointPrior):
    """``clusters``: (n,) non-negative integer cluster id of each context; ``alpha``: (k,) shared,
    or (max id + 1, k) per cluster, indexed by id. Internally clusters are ``0..C-1`` (``C`` the
    number of distinct ids, in sorted order; ``cluster_ids[c]`` is the given id)."""

    def __init__(self, clusters, alpha, k: int | None = None):
        c = np.asarray(clusters)
        if c.ndim != 1 or c.size == 0:
            raise ValueError(f"clusters must be a non-empty 1-D array of cluster indices, got shape {c.shape}")
        if not np.issubdtype(c.dtype, np.integer) or c.min() < 0:
            raise ValueError("clusters must hold non-negative integer cluster indices")
        # relabel: an id of 10**6 must not cost a 10**6-row table (memory follows the data)
        ids, inverse = np.unique(c, return_inverse=True)
        self.cluster_ids = ids.astype(np.int64)
        self.clusters = inverse.reshape(-1).astype(np.int64)
        self.n = c.size
        self.C = int(ids.size)
        a = V.positive("alpha", alpha)
        if a.ndim == 1:
            a = np.broadcast_to(a, (self.C, a.size))
        elif a.ndim == 2 and a.shape[0] == int(ids[-1]) + 1:
            a = a[ids]
        else:
            raise ValueError(f"alpha must have shape (k,) or (C, k) with C = max cluster id + 1 = {int(ids[-1]) + 1}, "
                             f"got {np.shape(alpha)}")
        self.k = a.shape[1] if k is None else V.positive_int("k", k, 2)
        if a.shape[1] != self.k or self.k < 2:
            raise ValueError(f"alpha must have k >= 2 entries per cluster (k = {self.k}), got {a.shape[1]}")
        self.alpha = np.array(a, dtype=float)
        self.A = self.alpha.sum(axis=1)
        self.rest = _others(self.alpha)                                  # (C, k): A_c - alpha_cy

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

    def _count_tables(self):
        """Lookup tables of ``U_cy(m)`` and ``S_c(m)`` (module docstring; nats) for ``m = 0..n_c``.

        Cluster ``c`` gets a row of width ``w_c``, the power of two ``>= n_c + 1``; clusters of one
        width are built together, so the tables hold at most ``2 (k + 1)(n + C)`` numbers (not
        ``C k n``). Running sums are accumulated in ``longdouble`` (extended precision where the
        platform has it) and stored as float64. Built once: the priors are immutable.
        Returns ``(U, S, row_u, base_s)``: ``U_cy(m) = U[row_u[c, y] + m]``, ``S_c(m) = S[base_s[c] + m]``.
        """
        if not hasattr(self, "_tables"):
            size = np.bincount(self.clusters, minlength=self.C)
            width = (2 ** np.ceil(np.log2(size + 1.0))).astype(np.int64)
            base_u = np.empty(self.C, dtype=np.int64)
            base_s = np.empty(self.C, dtype=np.int64)
            U, S, nu, ns = [], [], 0, 0
            for w in np.unique(width):
                cs = np.flatnonzero(width == w)
                j = np.arange(w - 1, dtype=float)
                u = np.zeros((cs.size, self.k, w))
                u[..., 1:] = -np.cumsum(np.log1p(self.rest[cs, :, None] / (self.alpha[cs, :, None] + j)),
                                        axis=-1, dtype=np.longdouble)
                s = np.zeros((cs.size, w))
                s[:, 1:] = np.cumsum(np.log1p(j / self.A[cs, None]), axis=-1, dtype=np.longdouble)
                base_u[cs] = nu + np.arange(cs.size) * self.k * w
                base_s[cs] = ns + np.arange(cs.size) * w
                U.append(u.ravel())
                S.append(s.ravel())
                nu, ns = nu + u.size, ns + s.size
            row_u = base_u[:, None] + np.arange(self.k) * width[:, None]
            self._tables = (np.concatenate(U), np.concatenate(S), row_u, base_s)
        return self._tables

    def _log_marginal_counts(self, cnt, sizes=None) -> np.ndarray:
        """``log P`` (nats) of a sequence with counts ``cnt`` ``(..., C, k)``:
        ``sum_{c,y} U_cy(n_cy) + sum_c [sum_y S_c(n_cy) - S_c(n_c)]`` by table lookup; ``sizes``:
        the ``n_c`` when they are the same for every row. Both parts are <= 0 and each cluster's
        bracket is formed before the clusters are added, so no large terms cancel."""
        U, S, row_u, base_s = self._count_tables()
        cnt = np.asarray(cnt, dtype=np.int64)
        nc = cnt.sum(axis=-1) if sizes is None else sizes
        u = U[row_u + cnt].sum(axis=(-2, -1))
        bracket = S[base_s[:, None] + cnt].sum(axis=-1) - S[base_s + nc]
        return u + bracket.sum(axis=-1)

    def log_marginal(self, B, items) -> np.ndarray:
        items = V.index_array("items", items, self.n)
        return self._log_marginal_counts(self.counts(B, items))

    def log_joint(self, B, order=None) -> np.ndarray:
        """``Coh(b) = log P(b)`` (nats) for ``B`` of shape ``(..., n)``; the cluster sizes ``n_c``
        are fixed, so the ``S_c(n_c)`` lookups are the same for every row."""
        B = self._check(B)
        if order is not None:
            V.order("order", order, self.n)
        return self._log_marginal_counts(self.counts(B), np.bincount(self.clusters, minlength=self.C))

    def log_conditional(self, B, i, demos) -> np.ndarray:
        """``log (alpha_cy + n_cy) / (A_c + n_c)`` over the demos' counts in ``i``'s cluster
        ``c`` (nats, ``(..., k)``), as :func:`log_share` of ``alpha_cy + n_cy`` against
        ``r_cy + n_c - n_cy``, so a large ``alpha`` keeps its digits."""
        d = self._check_demos(i, demos)
        c = self.clusters[i]
        cnt = self.counts(B, d)[..., c, :]                               # (..., k)
        return log_share(self.alpha[c] + cnt, self.rest[c] + (cnt.sum(axis=-1, keepdims=True) - cnt))

    def log_loo(self, B) -> np.ndarray:
        B = self._check(B)
        cnt = self.counts(B)[..., self.clusters, :]                      # (..., n, k)
        own = (B[..., :, None] == np.arange(self.k)).astype(np.int64)
        others = cnt - own                                               # counts without item i
        return log_share(self.alpha[self.clusters] + others,
                         self.rest[self.clusters] + (others.sum(axis=-1, keepdims=True) - others))

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
