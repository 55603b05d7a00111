"""Full joint tables and marginals of per-concept product priors, from the factors alone.

A *product mixture* over ``Y^n`` (``|Y| = k``) is

    P(b) = sum_j w_j prod_i p_j(b_i | x_i),

the form of :class:`theory.concept_mixture.ConceptMixture` (``p_j(y | x_i) = 1 - eps_j`` if
``y = f_j(x_i)``, else ``eps_j / (k - 1)``). The marginal of an item set ``A`` is the same
mixture with the factors of ``A`` only (the others sum to 1), so every marginal table is a joint
table of a smaller product mixture.

The items are split into two halves ``L`` and ``R``; each half's per-concept products
``u_j(b_L) = w_j prod_{i in L} p_j(b_i)`` and ``v_j(b_R)`` are outer products of the factor
vectors (``K k^(n/2)`` numbers each), and the table is one matrix product
``P(b_L, b_R) = sum_j u_j(b_L) v_j(b_R)``, in probability space after factoring out each concept's
largest entry. No ``(k^n, n)`` array of behaviour vectors is ever built. Cost: ``K k^n``
multiply-adds inside BLAS plus ``k^n`` logarithms; memory one table. When the scaled products could underflow
(tiny noise rates at large ``n``) it falls back to a log-space ``logsumexp`` over concepts, which is exact at every
magnitude.

Tables are in code order (:mod:`theory.enumeration`): item ``A[0]`` is the most significant digit.
"""
from __future__ import annotations

import numpy as np

from . import validation as V

#: smallest log-value a scaled product may reach in probability space (exp(-600) is far from the
#: float64 subnormal range, so the dominant concept keeps full relative precision)
SAFE_LOG = -600.0


def _factors(log_w, log_lik):
    """Validated ``(log_w, log_lik)``: ``log_w`` may hold ``-inf`` (a concept of weight 0), not all."""
    log_w = np.asarray(log_w, dtype=float)
    if log_w.ndim != 1 or np.any(np.isnan(log_w)) or np.any(log_w == np.inf) or not np.any(np.isfinite(log_w)):
        raise ValueError("log_w must be a 1-D array of log-weights in [-inf, inf) with at least one finite entry")
    L = V.as_float_array("log_lik", log_lik, ndim=3)
    if L.shape[0] != log_w.size:
        raise ValueError(f"log_lik must have shape (K, n, k) with K = {log_w.size}, got {L.shape}")
    return log_w, L


def product_mixture_log_table(log_w, log_lik) -> np.ndarray:
    """``log P(b)`` for every ``b`` in ``Y^n`` (code order), nats: ``(k^n,)``.

    ``log_w``: ``(K,)`` log mixture weights; ``log_lik``: ``(K, n, k)`` with
    ``log_lik[j, i, y] = log p_j(b_i = y | x_i)``.
    """
    log_w, L = _factors(log_w, log_lik)
    K, n, k = L.shape
    V.enumerable(n, k)
    top_i = L.max(axis=2)                                        # (K, n) each factor's largest entry
    s = log_w + top_i.sum(axis=1)                                # (K,) each concept's largest log-mass
    S = s.max()
    # lower bound on min_b max_j log(scaled mass_j(b)): the concept whose worst vector is best
    floor = float((s - S + (L.min(axis=2) - top_i).sum(axis=1)).max())
    if floor < SAFE_LOG:
        return _log_space_table(log_w, L)
    R = np.exp(L - top_i[:, :, None])                            # (K, n, k) ratios in (0, 1]
    scale = np.exp(s - S)                                        # 0 for a concept of weight 0
    h = n // 2
    left = _outer_products(R[:, :h]) * scale[:, None]            # (K, k^h): items 0..h-1
    right = _outer_products(R[:, h:])                            # (K, k^(n-h)): items h..n-1
    out = (left.T @ right).reshape(-1)                           # sum over concepts: one matrix product
    np.log(out, out=out)
    out += S
    return out


def _outer_products(R) -> np.ndarray:
    """``prod_i R[j, i, b_i]`` for every ``b`` over the items of ``R`` (code order): ``(K, k^m)``."""
    K, m, k = R.shape
    t = np.ones((K, 1))
    for i in range(m):
        t = (t[:, :, None] * R[:, i, None, :]).reshape(K, -1)
    return t


def _log_space_table(log_w, L) -> np.ndarray:
    """The same table by a ``logsumexp`` over concepts of outer sums (no underflow at any size)."""
    K, n, k = L.shape
    out = None
    for j in np.flatnonzero(np.isfinite(log_w)):
        t = log_w[j] + L[j, 0]
        for i in range(1, n):
            t = np.add.outer(t, L[j, i]).reshape(-1)
        out = t if out is None else np.logaddexp(out, t)
    return out


def product_mixture_log_marginal_table(log_w, log_lik, items) -> np.ndarray:
    """``log P(b_A)`` for every ``b_A`` in ``Y^|A|`` (code order over ``A`` in the given order),
    nats: ``(k^|A|,)``; the empty set gives ``[0.0]``."""
    log_w, L = _factors(log_w, log_lik)
    A = V.index_array("items", items, L.shape[1])
    if A.size == 0:
        return np.zeros(1)
    return product_mixture_log_table(log_w, L[:, A, :])


def product_mixture_item_marginals(log_w, log_lik) -> np.ndarray:
    """``log P(b_i = y)`` for every item and behaviour: ``(n, k)`` nats."""
    from scipy.special import logsumexp

    log_w, L = _factors(log_w, log_lik)
    return logsumexp(log_w[:, None, None] + L, axis=0)
