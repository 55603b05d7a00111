"""Concept (persona) mixture prior: the synthetic pretrained model with an exact answer.

    P(b) = sum_k w_k prod_i [ (1 - eps_k) 1(b_i = f_k(x_i)) + eps_k / (|Y| - 1) 1(b_i != f_k(x_i)) ]

Each concept ``f_k`` is a d-policy (a row of ``F``) followed with per-item noise ``eps_k``. Given
the number of agreements ``a_k(b) = #{i : b_i = f_k(x_i)}`` the component log-likelihood is
``a_k log(1 - eps_k) + (n - a_k) log(eps_k / (|Y| - 1))``, so every coherence quantity is a
``logsumexp`` over ``K`` closed forms: exact for any ``n`` (tested to ``10^6``), and by
enumeration for ``|Y|^n <= 2^24``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from . import validation as V
from .enumeration import encode, popcount
from .prior import JointPrior


@dataclass(eq=False)
class ConceptMixture(JointPrior):
    """Mixture of noisy concepts. ``F``: (K, n) concept maps; ``eps``: (K,) noise; ``w``: (K,) weights."""

    F: np.ndarray
    eps: np.ndarray
    w: np.ndarray
    k: int = 2
    names: tuple = field(default=())

    def __post_init__(self):
        self.k = V.positive_int("k", self.k, 2)
        F = np.asarray(self.F)
        if F.ndim != 2:
            raise ValueError(f"F must be a (K, n) array of concept maps, got shape {F.shape}")
        if F.shape[0] < 1 or F.shape[1] < 1:
            raise ValueError(f"F must hold at least one concept over at least one item (K >= 1, n >= 1), "
                             f"got shape {F.shape}")
        self.F = V.behaviours(F, F.shape[1], self.k, name="F").astype(np.int64)
        K, self.n = self.F.shape
        self.eps = V.broadcast("eps", V.open_unit("eps", self.eps), (K,), "one noise level per concept")
        if np.any(self.eps >= 1.0 - 1e-15):
            raise ValueError("eps must lie in (0, 1)")
        self.w = V.probability_vector("w", self.w)
        if self.w.shape != (K,):
            raise ValueError(f"w must have one weight per concept: shape ({K},), got {self.w.shape}")
        self.names = tuple(self.names) if self.names else tuple(f"concept{j}" for j in range(K))
        if len(self.names) != K:
            raise ValueError(f"names must have {K} entries, got {len(self.names)}")
        self.log_w = np.log(self.w)
        self.log_hit = np.log1p(-self.eps)                  # log(1 - eps_k)
        self.log_miss = np.log(self.eps / (self.k - 1))      # log(eps_k / (|Y| - 1))

    @property
    def K(self) -> int:
        return self.F.shape[0]

    def concept_structure(self) -> "ConceptMixture":
        """The fast-path capability of :meth:`theory.prior.Prior.concept_structure`: itself."""
        return self

    # -- closed forms ------------------------------------------------------------------
    def agreements(self, B, items=None) -> np.ndarray:
        """``a_k(b_A) = #{i in A : b_i = f_k(x_i)}``: shape ``(..., K)``."""
        B = self._check(B)
        if items is None:
            return (B[..., None, :] == self.F).sum(axis=-1)
        items = np.asarray(items, dtype=np.int64)
        return (B[..., None, items] == self.F[:, items]).sum(axis=-1)

    def log_components(self, B, items=None) -> np.ndarray:
        """``log w_k + log P(b_A | concept k)``: shape ``(..., K)``, nats."""
        m = self.n if items is None else len(np.asarray(items).reshape(-1))
        a = self.agreements(B, items)
        return self.log_w + a * self.log_hit + (m - a) * self.log_miss

    def log_marginal(self, B, items) -> np.ndarray:
        return logsumexp(self.log_components(B, items), axis=-1)

    def log_joint(self, B, order=None) -> np.ndarray:
        B = self._check(B)
        if order is not None:
            V.order("order", order, self.n)
        return logsumexp(self.log_components(B), axis=-1)

    def log_factors(self) -> np.ndarray:
        """``log p_j(b_i = y | x_i)``: ``log(1 - eps_j)`` if ``y = f_j(x_i)``, else
        ``log(eps_j / (k - 1))``; shape ``(K, n, k)``, nats."""
        return np.where(np.arange(self.k) == self.F[:, :, None], self.log_hit[:, None, None],
                        self.log_miss[:, None, None])

    def log_joint_all(self) -> np.ndarray:
        """``log P(b)`` for every ``b`` in code order (:mod:`theory.enumeration`): ``(k^n,)``,
        from the per-concept factors (:func:`theory.joint_table.product_mixture_log_table`), so no
        ``(k^n, n)`` array is built."""
        from .joint_table import product_mixture_log_table

        V.enumerable(self.n, self.k)
        if self.k == 2 and self.n <= 32:
            # the popcount path of log_joint_codes, so a table streamed in blocks of codes is
            # bit-identical to the whole table (tie sets must not depend on the block size)
            return self.log_joint_codes(np.arange(2**self.n, dtype=np.uint32))
        return product_mixture_log_table(self.log_w, self.log_factors())

    def log_joint_codes(self, codes) -> np.ndarray:
        """``log P(b)`` for the behaviour vectors with base-``k`` ``codes`` (nats), shape of ``codes``.

        Binary (``n <= 32``): agreements from popcounts of ``code XOR code(f_k)``, as in
        :meth:`log_joint_all`, so a block of codes gives bit-identical values to the full table.
        """
        if self.k == 2 and self.n <= 32:
            codes = np.asarray(codes).astype(np.uint32)
            fcodes = encode(self.F, 2).astype(np.uint32)
            a_range = np.arange(self.n + 1)
            # per-concept table of log w_k + log P(b | k) indexed by the agreement count
            table = self.log_w[:, None] + a_range * self.log_hit[:, None] + (self.n - a_range) * self.log_miss[:, None]
            vals = np.empty((self.K, codes.size))
            for j in range(self.K):
                vals[j] = table[j][self.n - popcount(codes ^ fcodes[j])]
            top = vals.max(axis=0)
            vals -= top
            np.exp(vals, out=vals)
            return top + np.log(vals.sum(axis=0))
        from .enumeration import decode

        return self.log_joint(decode(codes, self.n, self.k))

    def log_conditional(self, B, i, demos) -> np.ndarray:
        B = self._check(B)
        d = self._check_demos(i, demos)
        post = self.log_components(B, d)                      # (..., K) unnormalised posterior
        lik = np.where(np.arange(self.k)[:, None] == self.F[:, i], self.log_hit, self.log_miss).T  # (K, k)
        lj = logsumexp(post[..., :, None] + lik, axis=-2)
        return lj - logsumexp(lj, axis=-1, keepdims=True)

    def log_loo(self, B) -> np.ndarray:
        """All leave-one-out conditionals in ``O(n K k)``: remove item ``i``'s own term."""
        B = self._check(B)
        hit = B[..., None, :] == self.F                         # (..., K, n)
        own = np.where(hit, self.log_hit[:, None], self.log_miss[:, None])
        rest = self.log_components(B)[..., :, None] - own       # (..., K, n)
        lik = np.where(np.arange(self.k)[None, :, None] == self.F[:, None, :],
                       self.log_hit[:, None, None], self.log_miss[:, None, None])  # (K, k, n)
        lj = logsumexp(rest[..., :, None, :] + lik, axis=-3)    # (..., k, n)
        lj = np.swapaxes(lj, -1, -2)
        return lj - logsumexp(lj, axis=-1, keepdims=True)

    def log_zero_shot(self) -> np.ndarray:
        lik = np.where(np.arange(self.k)[None, :, None] == self.F[:, None, :],
                       self.log_hit[:, None, None], self.log_miss[:, None, None])  # (K, k, n)
        return logsumexp(self.log_w[:, None, None] + lik, axis=0).T

    def concept_posterior(self, B) -> np.ndarray:
        """``P(concept k | b)``: shape ``(..., K)``."""
        lc = self.log_components(B)
        return np.exp(lc - logsumexp(lc, axis=-1, keepdims=True))

    def sample(self, rng: np.random.Generator, size: int = 1) -> np.ndarray:
        """Draw ``size`` behaviour vectors from ``P``: ``(size, n)`` int64."""
        comp = rng.choice(self.K, size=size, p=self.w)
        B = self.F[comp].copy()
        flip = rng.random((size, self.n)) < self.eps[comp][:, None]
        if self.k == 2:
            B[flip] = 1 - B[flip]
        else:
            shift = rng.integers(1, self.k, size=(size, self.n))
            B = np.where(flip, (B + shift) % self.k, B)
        return B


def persona_mixture(truth, concepts: dict, k: int = 2) -> ConceptMixture:
    """Build a mixture from named concepts: ``{name: (map, eps, weight)}`` with maps as arrays.

    The weights are a probability vector: non-negative and summing to 1 (within 1e-9); they are
    not renormalised, so a mistyped weight is an error rather than a silently different prior.
    Convenience for experiments; see :func:`standard_concepts` for the usual maps.
    """
    names = tuple(concepts)
    if not names:
        raise ValueError("concepts must name at least one concept: {name: (map, eps, weight)}")
    F = np.stack([np.asarray(concepts[c][0]) for c in names])
    eps = np.array([concepts[c][1] for c in names], dtype=float)
    w = V.probability_vector("concept weights", [concepts[c][2] for c in names])
    return ConceptMixture(F=F, eps=eps, w=w, k=k, names=names)


def standard_concepts(truth, rng: np.random.Generator, *, flip_fraction: float = 0.25,
                      feature=None, n_random: int = 0) -> dict:
    """The usual binary concept maps of docs/theory.md section 4, keyed by name.

    ``truth``; ``negation`` (1 - truth); ``flipped`` (truth with ``flip_fraction`` of items flipped);
    ``constant0``/``constant1``; ``feature`` (a sycophantic map copying a surface feature, if
    given); ``random0..`` (uniform random maps).
    """
    truth = np.asarray(truth, dtype=np.int64)
    n = truth.size
    out = {"truth": truth, "negation": 1 - truth}
    flipped = truth.copy()
    idx = rng.choice(n, size=int(round(flip_fraction * n)), replace=False)
    flipped[idx] = 1 - flipped[idx]
    out["flipped"] = flipped
    out["constant0"] = np.zeros(n, dtype=np.int64)
    out["constant1"] = np.ones(n, dtype=np.int64)
    if feature is not None:
        out["feature"] = np.asarray(feature, dtype=np.int64)
    for r in range(n_random):
        out[f"random{r}"] = rng.integers(0, 2, size=n)
    return out
