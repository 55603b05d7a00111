"""The pretrained-model interface: one protocol every prior implements and every search consumes.

A *pretrained model* ``M`` over ``n`` contexts and a finite behaviour set ``Y = {0..k-1}`` is
known only through its conditionals

    P_M(b_i = y | x_i ; D),     D = ((x_j, b_j) for j in demos), demos an *ordered* index list,

renormalised over ``Y``. The order of ``demos`` is the order in which demonstrations appear in
a prompt: exchangeable priors ignore it, in-context simulators and real language models do not.
Nothing here assumes exchangeability.

Behaviour vectors are integer arrays ``B`` of shape ``(..., n)``; every method is vectorised over
the leading axes. All log-probabilities are natural logs (nats) in float64.

Derived quantities (defaults below, overridden where a closed form is faster):

* ``log_sequential(B, order)[..., t] = log P_M(b_{s(t)} | x_{s(t)}; (s(0..t-1)))``;
* ``log_joint(B) = sum_t log_sequential(B, identity)`` -- fixed-order coherence ``Coh_id``;
* ``log_loo(B)[..., i, y] = log P_M(b_i = y | x_i; all j != i in index order)``.

:class:`JointPrior` is the exchangeable-or-not family defined by a proper joint distribution
with computable marginals ``log P(b_A)``; its conditionals are ratios of marginals, hence
compatible, and ``Coh_s`` is the same for every order ``s``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from scipy.special import logsumexp

from . import validation as V


class Prior(ABC):
    """Abstract pretrained model over ``n`` contexts with behaviours in ``{0..k-1}``."""

    n: int
    k: int
    #: True when every order gives the same sequential coherence (a Bayesian mixture).
    exchangeable: bool = False

    # -- the one primitive -------------------------------------------------------------
    @abstractmethod
    def log_conditional(self, B, i: int, demos) -> np.ndarray:
        """``log P_M(b_i = y | x_i; D)`` for every ``y``: array ``(..., k)`` in nats.

        ``demos`` is an ordered 1-D index array not containing ``i``; only ``B[..., demos]`` is
        read. The result is normalised over ``Y`` (``logsumexp`` over the last axis is 0).
        """

    # -- derived quantities ------------------------------------------------------------
    def log_sequential(self, B, order=None) -> np.ndarray:
        """Per-step log conditionals along ``order`` (default identity): ``(..., n)`` nats.

        Entry ``t`` is ``log P_M(b_{s(t)} | x_{s(t)}; (x_{s(u)}, b_{s(u)})_{u<t})``.
        """
        B = self._check(B)
        s = np.arange(self.n) if order is None else V.order("order", order, self.n)
        out = np.empty(B.shape[:-1] + (self.n,))
        for t in range(self.n):
            lc = self.log_conditional(B, int(s[t]), s[:t])
            out[..., t] = np.take_along_axis(lc, B[..., s[t], None], axis=-1)[..., 0]
        return out

    def log_joint(self, B, order=None) -> np.ndarray:
        """Coherence ``Coh_s(b) = sum_t log P_M(b_{s(t)} | earlier)`` in nats, shape ``(...)``."""
        return self.log_sequential(B, order).sum(axis=-1)

    def log_loo(self, B) -> np.ndarray:
        """Leave-one-out conditionals ``log P_M(b_i = y | x_i; D \\ (x_i, b_i))``: ``(..., n, k)``."""
        B = self._check(B)
        out = np.empty(B.shape[:-1] + (self.n, self.k))
        idx = np.arange(self.n)
        for i in range(self.n):
            out[..., i, :] = self.log_conditional(B, i, idx[idx != i])
        return out

    def log_zero_shot(self) -> np.ndarray:
        """``log P_M(b_i = y | x_i)`` with no demonstrations: ``(n, k)`` nats."""
        B0 = np.zeros((1, self.n), dtype=np.int64)
        return np.stack([self.log_conditional(B0, i, np.arange(0))[0] for i in range(self.n)])

    # -- capabilities --------------------------------------------------------------------
    def concept_structure(self):
        """This prior as a :class:`~theory.concept_mixture.ConceptMixture` (the same distribution)
        when it is a mixture of noisy concepts, else None. Searches use it for their incremental
        fast paths (agreement counts, ``O(K)`` per update) instead of testing the prior's type."""
        return None

    # -- helpers -----------------------------------------------------------------------
    def _check(self, B) -> np.ndarray:
        return V.behaviours(B, self.n, self.k)

    def _check_demos(self, i: int, demos) -> np.ndarray:
        d = V.index_array("demos", demos, self.n)
        if not 0 <= int(i) < self.n:
            raise ValueError(f"i must be an item index in [0, {self.n - 1}], got {i}")
        if np.any(d == i):
            raise ValueError(f"demos must not contain the queried item i = {i}")
        return d


class JointPrior(Prior):
    """A prior given by a proper joint distribution over ``Y^n`` with computable marginals.

    Subclasses implement :meth:`log_marginal`; conditionals are ratios of marginals,
    ``P(b_i = y | b_D) = P(b_D, b_i = y) / P(b_D)``, so they are compatible and the chain rule
    gives ``Coh_s(b) = log P(b)`` for every order ``s``.
    """

    exchangeable = True

    @abstractmethod
    def log_marginal(self, B, items) -> np.ndarray:
        """``log P(b_A)`` for the item set ``A = items`` (entries of ``B`` outside ``A`` are
        ignored): shape ``(...)``, nats. ``log_marginal(B, [])`` is 0."""

    def log_conditional(self, B, i, demos) -> np.ndarray:
        B = self._check(B)
        d = self._check_demos(i, demos)
        items = np.append(d, i)
        outs = []
        Bc = B.copy()
        for y in range(self.k):
            Bc[..., i] = y
            outs.append(self.log_marginal(Bc, items))
        lj = np.stack(outs, axis=-1)
        return lj - logsumexp(lj, axis=-1, keepdims=True)

    def log_joint(self, B, order=None) -> np.ndarray:
        """``log P(b)``: the same for every order (chain rule over compatible conditionals)."""
        B = self._check(B)
        if order is not None:
            V.order("order", order, self.n)
        return self.log_marginal(B, np.arange(self.n))
