"""An explicit joint distribution over ``Y^n``: the most general enumerable prior.

``log_table[c] = log P(b)`` for the behaviour vector with base-``k`` code ``c`` (see
:mod:`theory.enumeration`). Marginals are ``logsumexp`` over the axes of the items left out, so
conditionals are exact ratios. Used for random priors in property tests, for tempered priors
``P^beta / Z`` and for any transform without a closed form.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from . import validation as V
from .prior import JointPrior


class TablePrior(JointPrior):
    """``P(b) = exp(log_table[code(b)])``; ``log_table`` has ``k^n`` entries and is renormalised."""

    def __init__(self, log_table, n: int, k: int = 2, normalise: bool = True):
        self.n = V.positive_int("n", n, 1)
        self.k = V.positive_int("k", k, 2)
        V.enumerable(self.n, self.k)
        t = np.asarray(log_table, dtype=float).reshape(-1)
        if t.size != self.k**self.n:
            raise ValueError(f"log_table must have k**n = {self.k ** self.n} entries, got {t.size}")
        if np.any(np.isnan(t)) or np.any(t == np.inf):
            raise ValueError("log_table must not contain nan or +inf (use -inf for zero mass)")
        z = logsumexp(t)
        if not np.isfinite(z):
            raise ValueError("log_table has no mass (every entry is -inf)")
        if not normalise and abs(z) > 1e-9:
            raise ValueError(f"log_table must be normalised (logsumexp = 0), got {z:.3g}")
        self.log_table = t - z
        self._cube = self.log_table.reshape((self.k,) * self.n)
        self._marginal_cache: dict = {}

    @classmethod
    def from_prior(cls, prior) -> "TablePrior":
        """Tabulate any enumerable prior's fixed-order coherence ``exp Coh_id``."""
        from .softmax import log_coherence_table

        return cls(log_coherence_table(prior), prior.n, prior.k)

    @classmethod
    def random(cls, rng: np.random.Generator, n: int, k: int = 2, concentration: float = 1.0) -> "TablePrior":
        """A Dirichlet(concentration)-distributed joint over ``Y^n``."""
        V.positive("concentration", concentration)
        p = rng.dirichlet(np.full(k**n, float(concentration)))
        with np.errstate(divide="ignore"):
            return cls(np.log(p), n, k)

    def _marginal_table(self, items: np.ndarray) -> np.ndarray:
        key = tuple(np.sort(items).tolist())
        if key not in self._marginal_cache:
            drop = tuple(j for j in range(self.n) if j not in set(key))
            self._marginal_cache[key] = logsumexp(self._cube, axis=drop) if drop else self._cube
        return self._marginal_cache[key]

    def log_marginal(self, B, items) -> np.ndarray:
        B = self._check(B)
        items = V.index_array("items", items, self.n)
        if items.size == 0:
            return np.zeros(B.shape[:-1])
        tab = self._marginal_table(items)
        sorted_items = np.sort(items)
        return tab[tuple(B[..., j] for j in sorted_items)]

    def log_joint(self, B, order=None) -> np.ndarray:
        B = self._check(B)
        if order is not None:
            V.order("order", order, self.n)
        return self._cube[tuple(B[..., j] for j in range(self.n))]

    def log_joint_all(self) -> np.ndarray:
        return self.log_table.copy()
