"""The softmax over coherence ``Q_tau(b) = exp(Coh(b) / tau) / Z_tau`` on an enumerable ``Y^n``.

For a fixed order with normalised conditionals the chain rule gives ``Z_1 = 1``; for the order
average ``E_s Coh_s`` Jensen gives ``Z_1 <= 1``, the gap measuring non-exchangeability.
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from . import validation as V
from .enumeration import all_behaviours


def log_coherence_table(prior, order=None, n_orders: int | None = None, rng=None) -> np.ndarray:
    """``Coh(b)`` in nats for every ``b`` in code order: shape ``(k^n,)``.

    ``order``: None (identity), a permutation, or ``"average"`` for ``E_s Coh_s`` (exact over all
    orders for ``n! <= 5040``, else Monte Carlo over ``n_orders`` random orders).
    """
    V.enumerable(V.prior("prior", prior, ("log_joint",)).n, prior.k)
    if isinstance(order, str):
        if order != "average":
            raise ValueError(f"order must be None, a permutation or 'average', got {order!r}")
        from .codelength import order_averaged_coherence

        return order_averaged_coherence(prior, all_behaviours(prior.n, prior.k), n_orders, rng).mean
    if order is None and hasattr(prior, "log_joint_all"):
        return prior.log_joint_all()
    return prior.log_joint(all_behaviours(prior.n, prior.k), order)


#: rows per block when streaming ``Y^n`` (2^18 rows: the int64 decoding temporaries, 2^18 x n x 8 bytes,
#: stay near 50 MB at n = 24; peak memory does not grow with ``k^n``)
BLOCK = 2**18


def coherence_blocks(prior, order=None, block: int = BLOCK):
    """Stream ``Y^n`` in code order: yields ``(start, B, table)`` with ``B`` the ``(m, n)`` behaviour
    vectors of codes ``start .. start + m - 1`` and ``table`` their coherence (nats), ``m <= block``.

    Memory is bounded by ``block`` rows instead of ``k^n``. When ``k^n <= block`` there is one block,
    equal to :func:`log_coherence_table` with :func:`all_behaviours`; smaller blocks give the same
    values (row-wise closed forms, and :meth:`ConceptMixture.log_joint_codes` for the popcount path).
    """
    V.enumerable(V.prior("prior", prior, ("log_joint",)).n, prior.k)
    block = V.positive_int("block", block, 1)
    n, k = prior.n, prior.k
    N = k**n
    if N <= block:
        yield 0, all_behaviours(n, k), log_coherence_table(prior, order)
        return
    for start in range(0, N, block):
        codes = np.arange(start, min(N, start + block), dtype=np.int64)
        B, table = coherence_of_codes(prior, codes, order, with_behaviours=True)
        yield start, B, table


def coherence_of_codes(prior, codes, order=None, with_behaviours: bool = False):
    """``Coh(b)`` (nats) for the behaviour vectors with base-``k`` ``codes`` ``(m,)``, row for row
    as in :func:`log_coherence_table`; with ``with_behaviours`` also the ``(m, n)`` vectors."""
    from .enumeration import decode

    codes = np.asarray(codes, dtype=np.int64).reshape(-1)
    B = decode(codes, V.prior("prior", prior, ("log_joint",)).n, prior.k)
    if isinstance(order, str):
        if order != "average":
            raise ValueError(f"order must be None, a permutation or 'average', got {order!r}")
        from .codelength import order_averaged_coherence

        table = order_averaged_coherence(prior, B).mean
    elif order is None and hasattr(prior, "log_joint_codes"):
        table = prior.log_joint_codes(codes)
    else:
        table = prior.log_joint(B, order)
    return (B, table) if with_behaviours else table


def _tau(tau) -> float:
    return float(V.positive("tau", tau))


def log_partition(prior=None, tau: float = 1.0, order=None, table=None) -> float:
    """``log Z_tau = log sum_b exp(Coh(b) / tau)`` (nats); pass ``table`` to reuse a coherence table."""
    t = log_coherence_table(prior, order) if table is None else np.asarray(table, dtype=float)
    return float(logsumexp(t / _tau(tau)))


def log_softmax_coherence(prior=None, tau: float = 1.0, order=None, table=None) -> np.ndarray:
    """``log Q_tau(b)`` for every ``b`` in code order (nats), shape ``(k^n,)``."""
    t = log_coherence_table(prior, order) if table is None else np.asarray(table, dtype=float)
    scaled = t / _tau(tau)
    return scaled - logsumexp(scaled)
