"""Exact Gibbs kernels over the enumerated policy space ``Y^n`` and their stationary laws.

For small ``n`` (``k^n`` states in code order, :mod:`theory.enumeration`):

* :func:`gibbs_matrix` -- random-scan Gibbs with leave-one-out conditionals tempered by
  ``1/tau``: ``T[b, b'] = (1/n) softmax_y(log P(b_i = y | b_-i) / tau)`` for ``b'`` equal to ``b``
  except at item ``i`` (built from ``log_loo`` in one pass; dense or sparse);
* :func:`transition_matrix` -- the general kernel, built item by item from ``log_conditional``:
  random scan ``(1/n) sum_i T_i`` or systematic scan ``T_0 T_1 ... T_{n-1}``, and the
  training-friendly variant whose conditional sees a random fraction ``rho`` of the other items
  (averaged exactly over the subsets). Two independent constructions of the same random-scan
  kernel, so each checks the other;
* :func:`stationary` -- the stationary law ``pi T = pi`` (a linear solve);
* :func:`spectral_gap` -- ``1 - lambda_2`` of a chain reversible with respect to ``pi``.

For compatible conditionals the stationary law of both kernels is ``Q_tau(b) oc exp(Coh(b)/tau)``
(Theorem 4.2 of the paper); the spectral gap bounds the mixing time (C4: persona collapse).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import sparse
from scipy.special import logsumexp

from . import validation as V
from .enumeration import all_behaviours, encode


def tempered(logp: np.ndarray, tau: float) -> np.ndarray:
    """``softmax(logp / tau)`` over the last axis; ``tau = 0`` gives the argmax (first on ties)."""
    if tau == 0:
        out = np.zeros_like(logp)
        np.put_along_axis(out, logp.argmax(axis=-1)[..., None], 1.0, axis=-1)
        return out
    z = logp / tau
    return np.exp(z - logsumexp(z, axis=-1, keepdims=True))


def context_size(rho: float, n: int) -> int:
    """Number of other items a conditional sees at context fraction ``rho`` in ``(0, 1]``:
    ``ceil(rho (n - 1))``, clipped to ``[0, n - 1]``."""
    rho = float(rho)
    if not 0 < rho <= 1:
        raise ValueError(f"rho must lie in (0, 1], got {rho}")
    return max(0, min(n - 1, math.ceil(rho * (n - 1))))


def gibbs_matrix(prior, tau: float = 1.0, as_sparse: bool = False):
    """Random-scan tempered Gibbs transition matrix over ``Y^n`` in code order: ``(k^n, k^n)``."""
    V.enumerable(V.prior("prior", prior, ("log_loo",)).n, prior.k)
    n, k = prior.n, prior.k
    B = all_behaviours(n, k).astype(np.int64)
    L = prior.log_loo(B) / tau
    Q = np.exp(L - logsumexp(L, axis=-1, keepdims=True))          # (N, n, k)
    N = B.shape[0]
    codes = np.arange(N)
    powers = k ** np.arange(n - 1, -1, -1, dtype=np.int64)
    rows, cols, vals = [], [], []
    for i in range(n):
        for y in range(k):
            rows.append(codes)
            cols.append(codes + (y - B[:, i]) * powers[i])
            vals.append(Q[:, i, y] / n)
    T = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(N, N))
    return T if as_sparse else T.toarray()


def transition_matrix(model, tau: float = 1.0, scan: str = "random", rho: float = 1.0) -> np.ndarray:
    """Exact Gibbs kernel over ``Y^n`` in code order, ``(k^n, k^n)``, built from ``log_conditional``.

    ``scan="random"``: ``T = (1/n) sum_i T_i``; ``"systematic"``: ``T = T_0 T_1 ... T_{n-1}``. ``T_i``
    resamples item ``i`` from its tempered leave-one-out conditional; with ``rho < 1`` the
    conditional is averaged over the uniformly random demo subsets of size :func:`context_size`.
    """
    V.enumerable(V.prior("model", model).n, model.k)
    n, k = model.n, model.k
    B = all_behaviours(n, k).astype(np.int64)
    codes = np.arange(B.shape[0])
    size = context_size(rho, n)
    kernels = []
    for i in range(n):
        others = np.array([j for j in range(n) if j != i], dtype=np.int64)
        subsets = ([others] if size == n - 1
                   else [np.array(s, dtype=np.int64) for s in itertools.combinations(others, size)])
        prob = np.mean([tempered(model.log_conditional(B, i, s), tau) for s in subsets], axis=0)   # (k^n, k)
        Ti = np.zeros((B.shape[0], B.shape[0]))
        for y in range(k):
            By = B.copy()
            By[:, i] = y
            Ti[codes, encode(By, k)] += prob[:, y]
        kernels.append(Ti)
    if scan == "random":
        return sum(kernels) / n
    if scan == "systematic":
        T = np.eye(B.shape[0])
        for Ti in kernels:
            T = T @ Ti
        return T
    raise ValueError(f"scan must be 'random' or 'systematic', got {scan!r}")


def stationary(T) -> np.ndarray:
    """The stationary distribution ``pi T = pi`` of an irreducible chain, by the
    Grassmann-Taksar-Heyman elimination (state reduction).

    Why not a linear solve of ``pi (T - I) = 0``: for a nearly decomposable chain (tempered Gibbs
    at tau = 0.3 on a 3-label mixture, spectral gap 5e-8) that solve's error grows as the gap
    shrinks (total variation 1e-9 from the exact law, whose residual ``||pi T - pi||_1`` is
    4e-18). GTH computes every state's mass from sums of nonnegative numbers only, with no
    subtraction, so its error stays at rounding size (5e-18 on that chain) whatever the gap.
    ``O(N^3 / 3)`` operations on a dense copy."""
    P = np.array(T.toarray() if sparse.issparse(T) else T, dtype=float, copy=True)
    N = P.shape[0]
    for k in range(N - 1, 0, -1):
        # fold state k into states 0..k-1: the chain watched only on those states
        out = P[k, :k].sum()  # = 1 - P[k, k] for a stochastic row, without the cancellation
        if not out > 0:
            raise ValueError(f"the chain is not irreducible: state {k} cannot reach states 0..{k - 1}")
        P[:k, k] /= out
        P[:k, :k] += np.outer(P[:k, k], P[k, :k])
    pi = np.zeros(N)
    pi[0] = 1.0
    for k in range(1, N):
        pi[k] = pi[:k] @ P[:k, k]
    return pi / pi.sum()


def spectral_gap(T, pi) -> float:
    """``1 - lambda_2`` for a chain reversible w.r.t. ``pi`` (the symmetrised matrix
    ``D^1/2 T D^-1/2`` has real eigenvalues; the top one, 1, is deflated exactly)."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    s = np.sqrt(pi)
    if sparse.issparse(T):
        S = sparse.diags(s) @ T @ sparse.diags(1.0 / s)
        S = 0.5 * (S + S.T)
        op = LinearOperator(S.shape, matvec=lambda v: S @ v - s * (s @ v), dtype=float)
        # a fixed start vector: ARPACK's own is random per call, which moved the last digits of
        # the gap between runs of the same check (same seed, same numbers)
        v0 = np.random.default_rng(0).standard_normal(S.shape[0])
        lam2 = eigsh(op, k=1, which="LA", tol=1e-12, maxiter=20000, v0=v0 - s * (s @ v0))[0][0]
    else:
        S = (s[:, None] * T) / s[None, :]
        S = 0.5 * (S + S.T)
        lam2 = np.linalg.eigvalsh(S - np.outer(s, s))[-1]
    return float(1.0 - lam2)
