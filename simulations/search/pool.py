"""Leave-one-out conditionals *within a labelled pool*, the quantity ICM rescores at every step.

For a pool ``L`` of labelled items, item ``i in L`` is scored by ``log P_M(b_i = . | x_i; L \\ i)``
(demos in index order). Two implementations with the same numbers:

* :class:`GenericPool` calls ``log_conditional`` once per pool item (``|L|`` evaluations per
  rescoring), as ICM's released code does with a language model;
* :class:`MixturePool` (concept mixtures) carries the pool's agreement counts
  ``A_k = #{j in L : b_j = f_k(x_j)}``: a flip or an addition updates them in ``O(K)`` and all
  ``|L|`` conditionals follow in one ``O(|L| K)`` pass, instead of ``|L|`` passes of ``O(|L| K)``.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from theory.concept_mixture import ConceptMixture


class GenericPool:
    """Pool conditionals through the model's ``log_conditional`` (counted by the evaluator)."""

    def __init__(self, model, ev):
        self.model, self.ev = model, ev

    def stats(self, b, pool):
        return None

    def update(self, stats, b, changes):
        return None

    def loo(self, b, pool, stats=None) -> np.ndarray:
        """``log P(b_i = . | pool \\ i)`` for the pool items in index order: ``(|pool|, k)``."""
        idx = np.flatnonzero(pool)
        out = np.empty((idx.size, self.model.k))
        for r, i in enumerate(idx):
            out[r] = self.ev.conditional(b[None], i, idx[idx != i])[0]
        return out

    def conditional(self, b, i, pool, stats=None) -> np.ndarray:
        """``log P(b_i = . | pool \\ i)``: ``(k,)``."""
        idx = np.flatnonzero(pool)
        return self.ev.conditional(b[None], i, idx[idx != i])[0]

    def predict(self, b, pool, items, stats=None) -> np.ndarray:
        """``log P(b_i = . | pool)`` for items outside the pool: ``(len(items), k)``."""
        idx = np.flatnonzero(pool)
        return np.stack([self.ev.conditional(b[None], i, idx[idx != i])[0] for i in items]) if len(items) else \
            np.empty((0, self.model.k))


class MixturePool:
    """Pool conditionals from incrementally maintained agreement counts (``stats = (A, m)``)."""

    def __init__(self, model: ConceptMixture, ev):
        self.model, self.ev = model, ev
        self.F = model.F
        self.lh, self.lm, self.lw = model.log_hit, model.log_miss, model.log_w
        self.ys = np.arange(model.k)

    def stats(self, b, pool):
        idx = np.flatnonzero(pool)
        return ((self.F[:, idx] == b[idx]).sum(axis=1).astype(np.int64), int(idx.size))

    def update(self, stats, b, changes):
        """Stats after ``changes = [(i, y_new, was_in_pool)]`` applied to ``b`` (pre-change): O(K) each."""
        A, m = stats
        A = A.copy()
        for i, y, was in changes:
            if was:
                A -= self.F[:, i] == b[i]
            else:
                m += 1
            A += self.F[:, i] == y
        return A, m

    def _lj(self, A_rest, m_rest, items) -> np.ndarray:
        """``log P(b_i = . | rest)`` from the rest's agreements ``A_rest (r, K)``: ``(r, k)``."""
        post = self.lw + A_rest * self.lh + (m_rest[:, None] - A_rest) * self.lm          # (r, K)
        lik = np.where(self.F[:, items].T[:, :, None] == self.ys, self.lh[:, None], self.lm[:, None])  # (r, K, k)
        lj = logsumexp(post[:, :, None] + lik, axis=1)
        return lj - logsumexp(lj, axis=-1, keepdims=True)

    def loo(self, b, pool, stats=None) -> np.ndarray:
        idx = np.flatnonzero(pool)
        A, m = self.stats(b, pool) if stats is None else stats
        self.ev.count += idx.size
        own = (self.F[:, idx] == b[idx]).T                                                # (r, K)
        return self._lj(A - own, np.full(idx.size, m - 1), idx)

    def conditional(self, b, i, pool, stats=None) -> np.ndarray:
        A, m = self.stats(b, pool) if stats is None else stats
        self.ev.count += 1
        if pool[i]:
            A, m = A - (self.F[:, i] == b[i]), m - 1
        return self._lj(A[None], np.array([m]), np.array([i]))[0]

    def predict(self, b, pool, items, stats=None) -> np.ndarray:
        items = np.asarray(items, dtype=np.int64)
        A, m = self.stats(b, pool) if stats is None else stats
        self.ev.count += items.size
        return self._lj(np.broadcast_to(A, (items.size, A.size)), np.full(items.size, m), items)


def pool_scorer(model, ev, incremental: bool = True):
    """:class:`MixturePool` for concept mixtures when ``incremental``, else :class:`GenericPool`."""
    mixture = model.concept_structure() if incremental else None
    return MixturePool(mixture, ev) if mixture is not None else GenericPool(model, ev)
