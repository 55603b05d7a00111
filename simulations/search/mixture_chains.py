"""Parallel Gibbs chains on a concept mixture with incremental agreement counts: the fast path a
:class:`~theory.concept_mixture.ConceptMixture` offers the samplers (one update costs ``O(K)``
instead of an ``O(n)`` rescan, vectorised over chains).
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from theory.concept_mixture import ConceptMixture
from theory.markov import tempered


class MixtureChains:
    """``C`` parallel chains on a concept mixture with incremental agreement counts.

    ``B``: ``(C, n)`` int8 states; ``a``: ``(C, K)`` agreements ``#{i : b_i = f_k(x_i)}``. The
    leave-one-out conditional of item ``i`` is ``P(y) oc sum_k exp(base_k) * e_k^{1(y = f_k(x_i))}``
    with ``base_k = log w_k + n log m_k + a_k^{-i} (log h_k - log m_k)`` and ``e_k = h_k / m_k``
    (``h_k = 1 - eps_k``, ``m_k = eps_k / (k - 1)``): ``O(K)`` per chain and update.

    Binary fast path: the chain also carries ``R_k = exp(log w_k + log P(b | k) - M)`` (one shift
    ``M`` per chain), updated by multiplying with ``e_k^{+-1}`` -- no ``exp`` or ``max`` per
    update. ``R`` is recomputed exactly from the integer counts every ``resync`` updates, before
    the multiplicative drift could under- or overflow (each update moves ``log R_k`` by at most
    ``max_k |log e_k|``).
    """

    def __init__(self, model: ConceptMixture, B: np.ndarray):
        self.model = model
        self.B = np.ascontiguousarray(B, dtype=np.int8)
        self.FT = np.ascontiguousarray(model.F.T.astype(np.int8))               # (n, K)
        self.d = model.log_hit - model.log_miss                                  # (K,)
        self.c = model.log_w + model.n * model.log_miss                          # (K,)
        # float64 holds the integer counts exactly and saves a cast per update; one concept at a
        # time keeps the temporary at (C, n) instead of (C, K, n)
        self.a = np.stack([(self.B == f).sum(axis=1) for f in model.F.astype(np.int8)], axis=1).astype(np.float64)
        self.rows = np.arange(self.B.shape[0])
        self._flat = self.B.reshape(-1)                                         # a view: flat indexing is cheaper
        self._off = self.rows * model.n
        e = np.exp(self.d)
        K = self.d.size
        # per item: [factor if b_i = 1 | factor if b_i = 0 | their difference | 2 f_k(x_i) - 1],
        # fetched with one gather per update
        G = np.empty((model.n, 4 * K))
        G[:, :K] = np.where(self.FT == 1, e, 1.0)
        G[:, K:2 * K] = np.where(self.FT == 0, e, 1.0)
        G[:, 2 * K:3 * K] = G[:, :K] - G[:, K:2 * K]
        G[:, 3 * K:] = 2.0 * self.FT - 1.0
        self.G = G
        self.resync = int(np.clip(300.0 / (2.0 * max(np.abs(self.d).max(), 1e-12)), 1, 256))
        self._since = 0
        self._sync()

    def _sync(self) -> None:
        L = self.c + self.a * self.d
        self.R = np.exp(L - L.max(axis=1, keepdims=True))
        self._since = 0

    def log_conditional(self, items: np.ndarray) -> np.ndarray:
        """``log P(b_i = . | rest)`` for item ``items[c]`` of chain ``c``: ``(C, k)`` nats."""
        f = self.FT[items]                                                       # (C, K)
        own = f == self.B[self.rows, items][:, None]
        base = self.c + (self.a - own) * self.d
        ys = np.arange(self.model.k)
        lj = logsumexp(base[:, :, None] + (f[:, :, None] == ys) * self.d[None, :, None], axis=1)
        return lj - logsumexp(lj, axis=-1, keepdims=True)

    def _split(self, items, old):
        """``R`` without item ``i``'s own factor and the unnormalised ``P(b_i = 1)``, ``P(b_i = 0)``."""
        K = self.d.size
        g = np.take(self.G, items, axis=0)                                       # (C, 4K)
        E1, E0, D, S = g[:, :K], g[:, K:2 * K], g[:, 2 * K:3 * K], g[:, 3 * K:]
        oldf = old[:, None].astype(np.float64)
        Rb = self.R / (E0 + oldf * D)
        return Rb, np.einsum("ck,ck->c", Rb, E1), np.einsum("ck,ck->c", Rb, E0), E0, D, S, oldf

    def prob_one(self, items: np.ndarray) -> np.ndarray:
        """``P(b_i = 1 | rest)`` from the multiplicative state ``R`` (binary; for testing drift)."""
        if self._since >= self.resync:
            self._sync()
        _, s1, s0, *_ = self._split(items, np.take(self._flat, self._off + items))
        return s1 / (s0 + s1)

    def set(self, items: np.ndarray, new: np.ndarray) -> None:
        """Set ``b_{items[c]} = new[c]`` in chain ``c``, updating the agreement counts (O(K))."""
        f = self.FT[items]
        self.a -= f == self.B[self.rows, items][:, None]
        self.B[self.rows, items] = new
        self.a += f == np.asarray(new, dtype=np.int8)[:, None]
        self._since = self.resync                                                # R is stale

    def step(self, items: np.ndarray, tau: float, u: np.ndarray, extra=None) -> int:
        """Update item ``items[c]`` of every chain ``c`` with uniforms ``u``; returns the number
        of chains whose behaviour changed. ``extra``: ``(C, k)`` added log-weights (constraints)."""
        flat_idx = self._off + items
        old = np.take(self._flat, flat_idx)
        if self.model.k == 2 and extra is None:
            if self._since >= self.resync:
                self._sync()
            Rb, s1, s0, E0, D, S, oldf = self._split(items, old)
            if tau == 0:
                new = (s1 > s0).astype(np.int8)
            elif tau == 1:
                new = (u * (s0 + s1) < s1).astype(np.int8)
            else:
                new = (u < 1.0 / (1.0 + (s0 / s1) ** (1.0 / tau))).astype(np.int8)
            newf = new[:, None].astype(np.float64)
            self.R = Rb * (E0 + newf * D)
            self.a += (newf - oldf) * S
            self._since += 1
        else:
            f = self.FT[items]                                                   # (C, K)
            self.a -= f == old[:, None]
            base = self.c + self.a * self.d
            ys = np.arange(self.model.k)
            lj = logsumexp(base[:, :, None] + (f[:, :, None] == ys) * self.d[None, :, None], axis=1)
            lj -= logsumexp(lj, axis=-1, keepdims=True)
            if extra is not None:
                lj = lj + extra
            prob = tempered(lj, tau)
            c = np.cumsum(prob, axis=-1)
            new = np.minimum((u[:, None] * c[:, -1:] >= c).sum(axis=-1), self.model.k - 1).astype(np.int8)
            self.a += f == new[:, None]
            self._since = self.resync
        self._flat[flat_idx] = new
        return int(np.count_nonzero(new != old))
